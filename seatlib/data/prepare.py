"""Tokenise, filter by length, build the vocabulary on train, encode, and describe the splits.

Jain & Wallace's protocol: every text goes through :func:`seatlib.data.text.clean`; the
vocabulary holds the train-split words whose document frequency is at least ``min_df``
(ids 0-3 are PAD, UNK, SOS, EOS); a sequence is ``[SOS] tokens [EOS]`` with out-of-vocabulary
words as UNK; JW's strict length filter ``min_len < n < max_len`` on the token count n without
the two markers (``filterbylength``) applies to every split.

Every split must keep at least one example and train at least two classes; otherwise
``prepare`` stops with a one-line error naming the source (a user's file) and the counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from seatlib.data.text import EOS, SOS, SPECIALS, UNK, clean

SPLITS = ("train", "dev", "test")
PAIR_SEPARATOR = "<sep>"  # joins the two texts of a sentence pair (RTE) for word-level models


@dataclass
class Prepared:
    splits: dict[str, pd.DataFrame]  # each fits schema "split"
    vocab: list[str]
    stats: pd.DataFrame  # fits schema "dataset_stats"


def tokenize_frame(df: pd.DataFrame) -> list[list[str]]:
    """Cleaned tokens per row; a ``text_pair`` column is appended after ``<sep>``."""
    tokens = [clean(t) for t in df["text"]]
    if "text_pair" in df.columns:
        pairs = zip(tokens, df["text_pair"], strict=True)
        tokens = [a + [PAIR_SEPARATOR] + clean(b) for a, b in pairs]
    return tokens


def build_vocab(token_lists: list[list[str]], min_df: int) -> list[str]:
    """Specials, then words with document frequency >= min_df by (-df, word)."""
    df = Counter(w for toks in token_lists for w in set(toks))
    words = sorted((w for w, c in df.items() if c >= min_df and w not in SPECIALS),
                   key=lambda w: (-df[w], w))
    return list(SPECIALS) + words


def encode(tokens: list[str], index: dict[str, int]) -> list[int]:
    unk = index[UNK]
    return [index[SOS]] + [index.get(w, unk) for w in tokens] + [index[EOS]]


def length_keep(n_tokens: np.ndarray, min_len: int | None, max_len: int | None) -> np.ndarray:
    """JW's strict filter (``Trainers/DatasetBC.py::filterbylength``) on the token count without
    SOS/EOS: keep iff ``min_len < n_tokens < max_len``; a bound of None is no bound.

    JW's code replaces a missing bound by the observed minimum or maximum of the split, so its
    strict test also drops the shortest or longest texts (SST: one sentence per split); the
    paper states no such bound, and neither do we (docs/datasets.md, "Length filter")."""
    n_tokens = np.asarray(n_tokens)
    keep = np.ones(len(n_tokens), dtype=bool)
    if min_len is not None:
        keep &= n_tokens > min_len
    if max_len is not None:
        keep &= n_tokens < max_len
    return keep


def prepare(raw: pd.DataFrame, dataset: str, min_df: int, min_len: int | None,
            max_len: int | None, n_classes: int, source: str | None = None) -> Prepared:
    """raw: columns example_id, text, label, split (and text_pair for pairs). ``source`` (a
    user's file) is named in the errors."""
    what = f"dataset {dataset!r}" + (f" ({source})" if source else "")
    bad = sorted(set(raw["split"]) - set(SPLITS))
    if bad:
        raise ValueError(f"{what}: split value(s) {bad}, expected {list(SPLITS)}")
    tokens = tokenize_frame(raw)
    n_tok = np.array([len(t) for t in tokens], dtype=np.int64)
    keep = length_keep(n_tok, min_len, max_len)
    split_arr = raw["split"].to_numpy()
    _check_sizes(what, raw, split_arr, keep, min_len, max_len)
    rows = zip(tokens, keep, split_arr, strict=True)
    train_tokens = [t for t, k, s in rows if k and s == "train"]
    vocab = build_vocab(train_tokens, min_df)
    index = {w: i for i, w in enumerate(vocab)}

    splits, rows = {}, []
    for split in SPLITS:
        sel = np.flatnonzero((split_arr == split) & keep)
        toks = [tokens[i] for i in sel]
        ids = [encode(t, index) for t in toks]
        part = raw.iloc[sel]
        splits[split] = pd.DataFrame({
            "example_id": part["example_id"].astype(str).to_numpy(),
            "text": part["text"].astype(str).to_numpy(),
            "tokens": toks,
            "token_ids": ids,
            "label": part["label"].astype("int64").to_numpy(),
        })
        rows.append(_stats_row(dataset, split, toks, ids, splits[split]["label"].to_numpy(),
                               int(((split_arr == split) & ~keep).sum()), n_classes, len(vocab)))
    all_toks = [t for s in SPLITS for t in splits[s]["tokens"]]
    all_ids = [t for s in SPLITS for t in splits[s]["token_ids"]]
    all_labels = np.concatenate([splits[s]["label"].to_numpy() for s in SPLITS])
    rows.append(_stats_row(dataset, "all", all_toks, all_ids, all_labels, int((~keep).sum()),
                           n_classes, len(vocab)))
    return Prepared(splits=splits, vocab=vocab, stats=pd.DataFrame(rows))


def _check_sizes(what: str, raw: pd.DataFrame, split_arr: np.ndarray, keep: np.ndarray,
                 min_len: int | None, max_len: int | None) -> None:
    """Every split keeps an example and train two classes, or a one-line error with counts."""
    kept = {s: int(((split_arr == s) & keep).sum()) for s in SPLITS}
    rows = {s: int((split_arr == s).sum()) for s in SPLITS}
    counts = ", ".join(f"{s} {kept[s]}" for s in SPLITS)
    dropped = int((~keep).sum())
    by_length = (f" ({dropped} of {len(raw)} rows dropped by the length filter "
                 f"min_len {min_len}, max_len {max_len})") if dropped else ""
    empty = [s for s in SPLITS if kept[s] == 0]
    if empty:
        raise ValueError(f"{what}: too few examples: split {' and '.join(empty)} "
                         f"{'is' if len(empty) == 1 else 'are'} empty ({counts} of "
                         f"{sum(rows.values())} rows{by_length}); every split needs at least "
                         "one example (a seeded split needs a few rows per class)")
    train_labels = raw["label"].to_numpy()[(split_arr == "train") & keep]
    classes = np.unique(train_labels)
    if len(classes) < 2:
        raise ValueError(f"{what}: the train split has only class {int(classes[0])} "
                         f"({kept['train']} examples{by_length}); training needs at least "
                         "2 classes")


def _stats_row(dataset, split, toks, ids, labels, dropped, n_classes, vocab_size) -> dict:
    lengths = np.array([len(t) for t in toks]) if toks else np.zeros(0)
    n_words = max(int(lengths.sum()), 1)
    n_unk = sum(sum(1 for i in row[1:-1] if i == 1) for row in ids)
    return {
        "dataset": dataset,
        "split": split,
        "n_examples": len(toks),
        "n_dropped_by_length": dropped,
        "mean_tokens": float(lengths.mean()) if len(lengths) else 0.0,
        "median_tokens": float(np.median(lengths)) if len(lengths) else 0.0,
        "max_tokens": int(lengths.max()) if len(lengths) else 0,
        "positive_fraction": float((labels == 1).mean()) if len(labels) else 0.0,
        "n_classes": n_classes,
        "vocab_size": vocab_size,
        "unk_rate": n_unk / n_words,
    }


def read_vocab(path) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        vocab = [line.rstrip("\n") for line in fh]
    if tuple(vocab[: len(SPECIALS)]) != SPECIALS:
        raise ValueError(f"{path}: the first lines must be {list(SPECIALS)}, found "
                         f"{vocab[: len(SPECIALS)]}")
    return vocab
