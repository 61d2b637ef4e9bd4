"""Raw readers: a built-in dataset's files (mirror layout) -> one DataFrame.

``read_dataset(name, raw_dir)`` returns the columns ``example_id`` (str, unique and stable),
``text`` (str), ``label`` (int64, 0..n_classes-1) and ``split`` ("train", "dev" or "test"),
plus ``text_pair`` for ``rte``. Rows come in split order (train, dev, test), each split in
source order. Every seeded split is a constant of this module (see docs/datasets.md):

* ``imdb``: dev = a seeded 20% of the kept train reviews and test = a seeded 20% of the kept
  test reviews, both with ``numpy.random.RandomState(IMDB_SEED).permutation``;
* ``rotten_tomatoes``: stratified 80/10/10 with ``RT_SEED``;
* ``20news_sports``: stratified 80/20 train/test, then 80/20 train/dev, both ``NEWS_SEED``;
* ``rte``: dev = a stratified seeded 10% of GLUE train (``RTE_DEV_SEED``), test = GLUE dev.

Malformed input raises a one-line ``ValueError`` naming the file and its 1-based line.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from seatlib.data.sources import get_spec
from seatlib.data.text import tokenize

IMDB_SEED = 1378  # JW: train/dev split and test sample
IMDB_MAX_TOKENS = 400  # keep reviews with fewer tokens than this (len(clean(text)))
RT_SEED = 2005  # Pang & Lee 2005; no official split exists
NEWS_SEED = 13478  # JW: both the test and the dev split
RTE_DEV_SEED = 2019

SPLITS = ("train", "dev", "test")
COLUMNS = ["example_id", "text", "label", "split"]

csv.field_size_limit(sys.maxsize)


# ---------------------------------------------------------------------------------------------
# shared helpers


def _open_text(path: Path) -> io.TextIOBase:
    """Open a (possibly gzip-compressed) UTF-8 text file without newline translation."""
    if not path.is_file():
        raise ValueError(f"{path}: file not found")
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", newline="")  # type: ignore[return-value]
    return open(path, encoding="utf-8", newline="")


def _lines(path: Path) -> list[str]:
    """The lines of a text file, split on LF only (a CR before the LF is dropped)."""
    with _open_text(path) as fh:
        try:
            text = fh.read()
        except UnicodeDecodeError as err:
            raise ValueError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})"
                             ) from None
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _csv_records(path: Path, needed: Sequence[str], delimiter: str = ","
                 ) -> Iterator[tuple[int, dict[str, str]]]:
    """(1-based line where the record ends, record as a dict) of a CSV/TSV with a header that
    has the needed columns (standard CSV quoting)."""
    with _open_text(path) as fh:
        reader = csv.reader(fh, delimiter=delimiter, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                raise ValueError(f"{path}: empty file (expected a header line)")
            _require_columns(path, header, needed)
            for row in reader:
                if len(row) != len(header):
                    raise ValueError(f"{path} line {reader.line_num}: expected {len(header)} "
                                     f"fields, found {len(row)}")
                yield reader.line_num, dict(zip(header, row, strict=True))
        except csv.Error as err:
            raise ValueError(f"{path} line {reader.line_num}: {err}") from None
        except UnicodeDecodeError as err:
            raise ValueError(f"{path}: not UTF-8 text ({err.reason})") from None


def _require_columns(path: Path, header: Sequence[str], needed: Sequence[str]) -> None:
    missing = [c for c in needed if c not in header]
    if missing:
        raise ValueError(f"{path}: missing column {missing[0]!r} (columns: "
                         f"{', '.join(header)})")


def _int_label(value: str, allowed: Sequence[int], path: Path, line: int) -> int:
    try:
        label = int(value.strip())
    except ValueError:
        label = None
    if label is None or label not in allowed:
        raise ValueError(f"{path} line {line}: label {value!r} is not one of "
                         f"{', '.join(map(str, allowed))}")
    return label


def _frame(records: list[dict], extra: Sequence[str] = ()) -> pd.DataFrame:
    """Records -> DataFrame in split order (stable within a split), checked columns/dtypes."""
    columns = COLUMNS + list(extra)
    frame = pd.DataFrame.from_records(records, columns=columns)
    rank = frame["split"].map({s: i for i, s in enumerate(SPLITS)})
    if rank.isna().any():
        raise AssertionError("split outside train/dev/test")
    order = np.argsort(rank.to_numpy(), kind="stable")
    frame = frame.iloc[order].reset_index(drop=True)
    frame["label"] = frame["label"].astype("int64")
    for column in ["example_id", "text", "split", *extra]:
        frame[column] = frame[column].astype(str)
    if frame["example_id"].duplicated().any():
        dup = frame.loc[frame["example_id"].duplicated(), "example_id"].iloc[0]
        raise ValueError(f"duplicate example_id {dup!r}")
    return frame


def seeded_sample(n: int, fraction: float, seed: int) -> np.ndarray:
    """Boolean mask selecting round(fraction * n) of n items, seeded (RandomState)."""
    mask = np.zeros(n, dtype=bool)
    k = int(round(fraction * n))
    mask[np.random.RandomState(seed).permutation(n)[:k]] = True
    return mask


def stratified_assign(labels: Sequence, fractions: Sequence[float], names: Sequence[str],
                      seed: int) -> list[str]:
    """Assign each item one of names, class by class (classes in sorted order): the items of
    a class are permuted with one RandomState(seed) shared across classes; every part except
    the first gets round(fraction * class size) items, the first part the rest."""
    labels = list(labels)
    rng = np.random.RandomState(seed)
    out = [""] * len(labels)
    by_class: dict = {}
    for i, label in enumerate(labels):
        by_class.setdefault(label, []).append(i)
    for label in sorted(by_class):
        idx = np.asarray(by_class[label])
        perm = idx[rng.permutation(len(idx))]
        sizes = [int(round(f * len(idx))) for f in fractions[1:]]
        first = len(idx) - sum(sizes)
        if first < 0:
            raise ValueError(f"fractions {tuple(fractions)} do not fit class {label!r}")
        bounds = np.cumsum([first, *sizes])
        start = 0
        for name, stop in zip(names, bounds, strict=True):
            for i in perm[start:stop]:
                out[int(i)] = name
            start = int(stop)
    return out


# ---------------------------------------------------------------------------------------------
# SST (PTB trees)

_TREE_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_NON_WORD = re.compile(r"\W")
_SPACES = re.compile(r"\s+")


def parse_tree(line: str) -> tuple[int, list[str]]:
    """(root label, leaves) of one PTB tree ``(3 (2 a) (4 b))``; ValueError if malformed."""
    tokens = _TREE_TOKEN.findall(line)
    if len(tokens) < 4 or tokens[0] != "(":
        raise ValueError("not a bracketed tree")
    leaves: list[str] = []
    depth = 0
    root: int | None = None
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "(":
            if depth == 0 and root is not None:
                raise ValueError("text after the end of the tree")
            if i + 1 >= len(tokens) or not tokens[i + 1].isdigit():
                raise ValueError("a node without a numeric label")
            if root is None:
                root = int(tokens[i + 1])
            depth += 1
            i += 2
            words = []
            while i < len(tokens) and tokens[i] not in ("(", ")"):
                words.append(tokens[i])
                i += 1
            if words:  # a leaf: (label word), the word may hold a space ("8 1\/2")
                if i >= len(tokens) or tokens[i] != ")":
                    raise ValueError("a node with both a word and children")
                leaves.append(" ".join(words))
                depth -= 1
                i += 1
            elif i >= len(tokens) or tokens[i] != "(":
                raise ValueError("a node with neither a word nor children")
        elif tok == ")":
            depth -= 1
            if depth < 0:
                raise ValueError("unbalanced ')'")
            i += 1
        else:
            raise ValueError(f"unexpected word {tok!r}")
    if depth != 0 or root is None:
        raise ValueError("unbalanced brackets")
    if not 0 <= root <= 4:
        raise ValueError(f"root label {root} outside 0-4")
    return root, leaves


def sst_text(leaves: Sequence[str]) -> str:
    """JW's SST tokeniser: drop -LRB-/-RRB-, turn every non-word character into a space,
    collapse whitespace. Case is kept (JW's cleaner lower-cases later)."""
    words = [w for w in leaves if w not in ("-LRB-", "-RRB-")]
    return _SPACES.sub(" ", _NON_WORD.sub(" ", " ".join(words))).strip()


def _read_sst(raw: Path) -> pd.DataFrame:
    records = []
    for split in SPLITS:
        path = raw / "sst" / f"{split}.txt"
        for lineno, line in enumerate(_lines(path), start=1):
            try:
                root, leaves = parse_tree(line)
            except ValueError as err:
                raise ValueError(f"{path} line {lineno}: unparseable tree ({err})") from None
            if root == 2:
                continue
            records.append({"example_id": f"{split}-{lineno - 1:05d}", "text": sst_text(leaves),
                            "label": int(root >= 3), "split": split})
    return _frame(records)


# ---------------------------------------------------------------------------------------------
# GLUE SST-2 (TSV, quoting off)


def _read_sst2(raw: Path) -> pd.DataFrame:
    records = []
    for split, name in (("train", "train.tsv"), ("dev", "dev.tsv"),
                        ("test", "test_with_labels.tsv")):
        path = raw / "sst2" / name
        lines = _lines(path)
        header = lines[0].split("\t") if lines else []
        if len(header) != 2 or header[0] != "label":
            raise ValueError(f"{path} line 1: expected the header label<TAB><text column>")
        for lineno, line in enumerate(lines[1:], start=2):
            fields = line.split("\t")
            if len(fields) != 2:
                raise ValueError(f"{path} line {lineno}: expected 2 tab-separated fields, "
                                 f"found {len(fields)}")
            records.append({"example_id": f"{split}-{lineno - 2:05d}", "text": fields[1],
                            "label": _int_label(fields[0], (0, 1), path, lineno),
                            "split": split})
    return _frame(records)


# ---------------------------------------------------------------------------------------------
# IMDB


def imdb_keep(text: str) -> bool:
    """JW's length rule: fewer than IMDB_MAX_TOKENS tokens by len(clean(text)).

    Every whitespace-separated chunk yields at least one token, so texts with
    IMDB_MAX_TOKENS chunks or more are rejected without tokenising (same result, faster)."""
    if len(text.split()) >= IMDB_MAX_TOKENS:
        return False
    return len(tokenize(text)) < IMDB_MAX_TOKENS  # len(clean(t)) == len(tokenize(t))


def _read_imdb_file(path: Path) -> list[dict]:
    kept = []
    for lineno, rec in _csv_records(path, ("id", "label", "text")):
        text = rec["text"].replace("<br />", " ")
        label = _int_label(rec["label"], (0, 1), path, lineno)
        if imdb_keep(text):
            kept.append({"example_id": rec["id"], "text": text, "label": label})
    return kept


def _read_imdb(raw: Path) -> pd.DataFrame:
    train = _read_imdb_file(raw / "imdb" / "train.csv.gz")
    test = _read_imdb_file(raw / "imdb" / "test.csv.gz")
    dev_mask = seeded_sample(len(train), 0.2, IMDB_SEED)
    test_mask = seeded_sample(len(test), 0.2, IMDB_SEED)
    records = [dict(r, split="dev" if d else "train") for r, d in zip(train, dev_mask,
                                                                    strict=True)]
    records += [dict(r, split="test") for r, t in zip(test, test_mask, strict=True) if t]
    return _frame(records)


# ---------------------------------------------------------------------------------------------
# Rotten Tomatoes (rt-polarity)


def _read_rotten_tomatoes(raw: Path) -> pd.DataFrame:
    records = []
    for polarity, label in (("neg", 0), ("pos", 1)):
        path = raw / "rt_polarity" / f"rt-polarity.{polarity}"
        for lineno, line in enumerate(_lines(path), start=1):
            records.append({"example_id": f"{polarity}-{lineno - 1:04d}",
                            "text": line.strip(), "label": label})
    splits = stratified_assign([r["label"] for r in records], (0.8, 0.1, 0.1), SPLITS, RT_SEED)
    for rec, split in zip(records, splits, strict=True):
        rec["split"] = split
    return _frame(records)


# ---------------------------------------------------------------------------------------------
# TweetEval


def _read_mapping(path: Path) -> dict[int, str]:
    mapping = {}
    for lineno, line in enumerate(_lines(path), start=1):
        fields = line.split("\t")
        if len(fields) != 2 or not fields[0].strip().isdigit():
            raise ValueError(f"{path} line {lineno}: expected label_id<TAB>label_name")
        mapping[int(fields[0])] = fields[1].strip()
    return mapping


def _read_tweeteval(raw: Path, task: str, keep: dict[int, int]) -> pd.DataFrame:
    folder = raw / "tweeteval" / task
    mapping_path = folder / "mapping.txt"
    valid = sorted(_read_mapping(mapping_path)) if mapping_path.is_file() else sorted(keep)
    records = []
    for split, source in (("train", "train"), ("dev", "val"), ("test", "test")):
        text_path = folder / f"{source}_text.txt"
        label_path = folder / f"{source}_labels.txt"
        texts, labels = _lines(text_path), _lines(label_path)
        if len(texts) != len(labels):
            raise ValueError(f"{text_path} has {len(texts)} lines but {label_path} has "
                             f"{len(labels)}")
        for lineno, (text, value) in enumerate(zip(texts, labels, strict=True), start=1):
            label = _int_label(value, valid, label_path, lineno)
            if label in keep:
                records.append({"example_id": f"{split}-{lineno - 1:05d}", "text": text,
                                "label": keep[label], "split": split})
    return _frame(records)


# ---------------------------------------------------------------------------------------------
# 20 Newsgroups, baseball vs hockey

NEWS_GROUPS = ("rec.sport.baseball", "rec.sport.hockey")  # -> labels 0, 1
_QUOTE_LINE = re.compile(
    r"(writes in|writes:|wrote:|says:|said:|^In article|^Quoted from|^\||^>)"
)


def strip_header(text: str) -> str:
    """Drop everything up to the first blank line (the message headers)."""
    _headers, sep, body = text.partition("\n\n")
    return body if sep else ""


def strip_footer(text: str) -> str:
    """Drop a signature block: everything after the last line that is empty or only dashes,
    if such a line exists past the first line."""
    lines = text.strip().split("\n")
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].strip().strip("-") == "":
            return "\n".join(lines[:i]) if i > 0 else text
    return text


def strip_quotes(text: str) -> str:
    """Drop quoted lines ('>' or '|' prefixes) and attribution lines ('... writes:')."""
    return "\n".join(line for line in text.split("\n") if not _QUOTE_LINE.search(line))


def clean_newsgroup(text: str) -> str:
    """sklearn-style remove=('headers', 'footers', 'quotes'), in that order."""
    return strip_quotes(strip_footer(strip_header(text)))


def _read_20news_sports(raw: Path) -> pd.DataFrame:
    folder = raw / "20newsgroups"
    classes_path = folder / "classes.txt"
    classes = [c.strip() for c in _lines(classes_path)]
    keep = {}
    for label, group in enumerate(NEWS_GROUPS):
        if group not in classes:
            raise ValueError(f"{classes_path}: newsgroup {group!r} not listed")
        keep[classes.index(group)] = label
    records = []
    for source in ("train", "test"):
        path = folder / f"{source}.csv.gz"
        for lineno, rec in _csv_records(path, ("id", "label", "group", "text")):
            index = _int_label(rec["label"], range(len(classes)), path, lineno)
            if rec["group"] != classes[index]:
                raise ValueError(f"{path} line {lineno}: group {rec['group']!r} does not "
                                 f"match label {index} ({classes[index]})")
            if index not in keep:
                continue
            text = clean_newsgroup(rec["text"])
            if not text.strip():
                continue
            records.append({"example_id": f"{rec['group']}/{rec['id']}", "text": text,
                            "label": keep[index]})
    labels = [r["label"] for r in records]
    first = stratified_assign(labels, (0.8, 0.2), ("train", "test"), NEWS_SEED)
    train_idx = [i for i, s in enumerate(first) if s == "train"]
    second = stratified_assign([labels[i] for i in train_idx], (0.8, 0.2), ("train", "dev"),
                               NEWS_SEED)
    for i, split in zip(train_idx, second, strict=True):
        first[i] = split
    for rec, split in zip(records, first, strict=True):
        rec["split"] = split
    return _frame(records)


# ---------------------------------------------------------------------------------------------
# GLUE RTE


def _read_rte_file(path: Path) -> list[dict]:
    out = []
    needed = ("sentence1", "sentence2", "label", "idx")
    for lineno, rec in _csv_records(path, needed, delimiter="\t"):
        out.append({"idx": rec["idx"], "text": rec["sentence1"], "text_pair": rec["sentence2"],
                    "label": _int_label(rec["label"], (0, 1), path, lineno)})
    return out


def _read_rte(raw: Path) -> pd.DataFrame:
    train = _read_rte_file(raw / "rte" / "train.tsv")
    glue_dev = _read_rte_file(raw / "rte" / "dev.tsv")
    splits = stratified_assign([r["label"] for r in train], (0.9, 0.1), ("train", "dev"),
                               RTE_DEV_SEED)
    records = []
    for rec, split in zip(train, splits, strict=True):
        records.append({"example_id": f"glue_train-{rec['idx']}", "text": rec["text"],
                        "label": rec["label"], "split": split, "text_pair": rec["text_pair"]})
    for rec in glue_dev:
        records.append({"example_id": f"glue_dev-{rec['idx']}", "text": rec["text"],
                        "label": rec["label"], "split": "test", "text_pair": rec["text_pair"]})
    return _frame(records, extra=("text_pair",))


READERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    "sst": _read_sst,
    "sst2": _read_sst2,
    "imdb": _read_imdb,
    "rotten_tomatoes": _read_rotten_tomatoes,
    "tweet_emotion": lambda raw: _read_tweeteval(raw, "emotion", {0: 0, 1: 1}),
    "tweet_hate": lambda raw: _read_tweeteval(raw, "hate", {0: 0, 1: 1}),
    "20news_sports": _read_20news_sports,
    "rte": _read_rte,
}


def read_dataset(name: str, raw_dir: Path | str) -> pd.DataFrame:
    """Read a built-in dataset from raw_dir (mirror layout) into the common frame."""
    get_spec(name)  # ValueError listing valid names
    return READERS[name](Path(raw_dir))
