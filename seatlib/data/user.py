"""A user's own labelled text file -> the common raw frame (see ``seatlib.data.readers``).

Formats by suffix: ``.csv`` / ``.csv.gz`` (standard CSV quoting), ``.tsv`` / ``.tsv.gz`` (tab
separated, quoting off: quotes are ordinary characters), ``.parquet``. Rows are numbered from 1
in error messages: for CSV/TSV the line number in the file (the header is line 1), for Parquet
the data row.

Labels: ``label_map`` maps raw label values (compared as strings) to ints 0..n-1; without one,
the sorted unique raw labels become 0..n-1 (numerically sorted when every label is an
integer, else sorted as strings). Splits: a split column with train/dev/test (validation or
val mean dev; case and surrounding spaces are ignored), else a seeded stratified split with
``fractions`` (train, dev, test) as in ``readers.stratified_assign``.

Before the split: rows whose text has no token (a blank cell, or only whitespace; a missing
cell in Parquet) are dropped and counted in the log (``empty_text="error"`` refuses them), then
rows whose text (surrounding whitespace stripped) repeats an earlier row are dropped, keeping
the first, and counted (``duplicates="error"`` refuses them, ``"keep"`` keeps them), so no text
is in two splits. Fewer than two classes left is an error naming the file and the counts.
"""

from __future__ import annotations

import csv
import gzip
import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from seatlib.data.readers import SPLITS, _frame, stratified_assign

log = logging.getLogger("seatlib.data")

EMPTY_TEXT = ("drop", "error")
DUPLICATES = ("drop", "error", "keep")
SPLIT_ALIASES = {"train": "train", "dev": "dev", "test": "test", "validation": "dev",
                 "val": "dev"}


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in (".csv.gz", ".tsv.gz", ".csv", ".tsv", ".parquet"):
        if name.endswith(suffix):
            return suffix
    raise ValueError(f"{path}: unsupported file type (use .csv, .tsv, .csv.gz, .tsv.gz or "
                     ".parquet)")


def _read_delimited(path: Path, suffix: str) -> tuple[list[str], list[tuple[int, list]]]:
    """(header, [(line, row)]) of a CSV/TSV file."""
    tsv = suffix.startswith(".tsv")
    opener = gzip.open if suffix.endswith(".gz") else open
    rows = []
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as fh:  # type: ignore[operator]
            if tsv:
                reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            else:
                reader = csv.reader(fh, strict=True)
            header = next(reader, None)
            if header is None:
                raise ValueError(f"{path}: empty file (expected a header line)")
            for row in reader:
                if not row:
                    continue  # a blank line
                if len(row) != len(header):
                    raise ValueError(f"{path} line {reader.line_num}: expected {len(header)} "
                                     f"fields, found {len(row)}")
                rows.append((reader.line_num, row))
    except csv.Error as err:
        raise ValueError(f"{path} line {reader.line_num}: {err}") from None
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 text ({err.reason})") from None
    except (OSError, EOFError) as err:
        raise ValueError(f"{path}: cannot read ({' '.join(str(err).split())})") from None
    return header, rows


def _read_parquet(path: Path) -> tuple[list[str], list[tuple[int, list]]]:
    try:
        frame = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several types
        raise ValueError(f"{path}: cannot read Parquet ({' '.join(str(err).split())})"
                         ) from None
    header = [str(c) for c in frame.columns]
    rows = [(i + 1, list(values)) for i, values in enumerate(frame.itertuples(index=False))]
    return header, rows


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return value is pd.NA


def _as_str(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 1.0 -> "1" (Parquet may store int labels as floats)
    return str(value)


def _sorted_labels(values: set[str]) -> list[str]:
    try:
        return sorted(values, key=int)
    except ValueError:
        return sorted(values)


def _some(where: list[int], n: int = 5) -> str:
    return ", ".join(map(str, where[:n])) + (", ..." if len(where) > n else "")


def _after(empty: list, dups: list) -> str:
    parts = [f"{len(empty)} empty" if empty else "", f"{len(dups)} duplicate" if dups else ""]
    parts = [p for p in parts if p]
    return f", after dropping {' and '.join(parts)}" if parts else ""


def read_user_dataset(path: Path | str, text_column: str, label_column: str,
                      split_column: str | None = None, label_map: Mapping | None = None,
                      seed: int = 0, fractions: Sequence[float] = (0.8, 0.1, 0.1),
                      empty_text: str = "drop", duplicates: str = "drop",
                      key: str = "data.user_datasets.<name>") -> pd.DataFrame:
    """Read a user file into the columns example_id, text, label (int64), split. ``key`` is the
    config key of the dataset, named in the messages."""
    path = Path(path)
    if empty_text not in EMPTY_TEXT:
        raise ValueError(f"{key}.empty_text: {empty_text!r}, expected one of {EMPTY_TEXT}")
    if duplicates not in DUPLICATES:
        raise ValueError(f"{key}.duplicates: {duplicates!r}, expected one of {DUPLICATES}")
    if not path.is_file():
        raise ValueError(f"{path}: file not found")
    suffix = _suffix(path)
    unit = "row" if suffix == ".parquet" else "line"
    header, rows = _read_parquet(path) if suffix == ".parquet" else _read_delimited(path, suffix)
    for column in (text_column, label_column, split_column):
        if column is not None and column not in header:
            raise ValueError(f"{path}: missing column {column!r} (columns: "
                             f"{', '.join(header)})")
    if not rows:
        raise ValueError(f"{path}: no data rows")
    t_i, l_i = header.index(text_column), header.index(label_column)
    s_i = header.index(split_column) if split_column is not None else None
    if split_column is None:
        fractions = tuple(float(f) for f in fractions)
        if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1) > 1e-6:
            raise ValueError(f"fractions must be three non-negative numbers (train, dev, test) "
                             f"summing to 1, got {fractions}")

    records, empty, seen, dups, conflicting = [], [], {}, [], 0
    for n, (where, row) in enumerate(rows, start=1):
        text, raw_label = row[t_i], row[l_i]
        if _is_missing(text) or not str(text).strip():
            if empty_text == "error":
                raise ValueError(f"{path} {unit} {where}: empty text in column {text_column!r} "
                                 f"({key}.empty_text is 'error'; 'drop' drops such rows)")
            empty.append(where)
            continue
        if _is_missing(raw_label) or _as_str(raw_label).strip() == "":
            raise ValueError(f"{path} {unit} {where}: missing label in column "
                             f"{label_column!r}")
        record = {"example_id": f"row-{n:06d}", "text": str(text),
                  "raw_label": _as_str(raw_label).strip(), "where": where}
        if s_i is not None:
            value = row[s_i]
            split = None if _is_missing(value) else SPLIT_ALIASES.get(str(value).strip().lower())
            if split is None:
                raise ValueError(f"{path} {unit} {where}: split value {value!r} is not one of "
                                 f"train, dev, test (validation/val are read as dev)")
            record["split"] = split
        first = seen.get(record["text"].strip())
        if first is not None and duplicates != "keep":
            if duplicates == "error":
                raise ValueError(f"{path} {unit} {where}: text repeats {unit} {first['where']} "
                                 f"({key}.duplicates is 'error'; 'drop' keeps the first)")
            dups.append(where)
            conflicting += first["raw_label"] != record["raw_label"]
            continue
        seen.setdefault(record["text"].strip(), record)
        records.append(record)
    if empty:
        log.warning("%s: dropped %d row(s) with empty text in column %r (%s %s)", path,
                    len(empty), text_column, unit + "s" if len(empty) > 1 else unit,
                    _some(empty))
    if dups:
        log.warning("%s: dropped %d duplicate row(s) whose text repeats an earlier row (%d with "
                    "a different label; %s %s)", path, len(dups), conflicting,
                    unit + "s" if len(dups) > 1 else unit, _some(dups))
    if not records:
        raise ValueError(f"{path}: no rows with text left (of {len(rows)}: {len(empty)} empty, "
                         f"{len(dups)} duplicate)")

    if label_map is not None:
        mapping = {str(k).strip(): int(v) for k, v in label_map.items()}
        n_classes = len(set(mapping.values()))
        if sorted(set(mapping.values())) != list(range(n_classes)):
            raise ValueError(f"label_map values must be 0..n-1, got "
                             f"{sorted(set(mapping.values()))}")
    else:
        mapping = {raw: i for i, raw in enumerate(_sorted_labels({r["raw_label"]
                                                                   for r in records}))}
    for record in records:
        if record["raw_label"] not in mapping:
            raise ValueError(f"{path} {unit} {record['where']}: label {record['raw_label']!r} "
                             f"is not in label_map ({', '.join(map(repr, mapping))})")
        record["label"] = mapping[record["raw_label"]]
    present = sorted({r["label"] for r in records})
    if len(present) < 2:
        raw = records[0]["raw_label"]
        raise ValueError(f"{path}: only one class in column {label_column!r} ({raw!r}: "
                         f"{len(records)} rows{_after(empty, dups)}); a classifier needs at "
                         "least 2 classes")

    if split_column is None:
        splits = stratified_assign([r["label"] for r in records], fractions, SPLITS, seed)
        for record, split in zip(records, splits, strict=True):
            record["split"] = split
    return _frame([{k: r[k] for k in ("example_id", "text", "label", "split")}
                   for r in records])


__all__ = ["read_user_dataset", "SPLIT_ALIASES", "EMPTY_TEXT", "DUPLICATES"]
