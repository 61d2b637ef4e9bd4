"""Every Parquet table the pipeline writes, declared once.

``write_table(df, path, "predictions")`` checks the frame against the declared schema (columns,
order, types, no nulls in required columns), writes atomically, and returns nothing; a frame that
does not fit raises a one-line ``SchemaError`` naming the table and the column.
``read_table(path, name)`` reads and checks the same way.
"""

from __future__ import annotations

import os

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from seatlib.io import atomic_path

_list_str = pa.list_(pa.string())
_list_int = pa.list_(pa.int32())
_list_f32 = pa.list_(pa.float32())

TABLES: dict[str, pa.Schema] = {
    # one row per example of a prepared split; tokens excludes SOS/EOS, token_ids includes them
    "split": pa.schema([
        ("example_id", pa.string()),
        ("text", pa.string()),
        ("tokens", _list_str),
        ("token_ids", _list_int),
        ("label", pa.int64()),
    ]),
    # dataset statistics, one row per split (and one for "all")
    "dataset_stats": pa.schema([
        ("dataset", pa.string()),
        ("split", pa.string()),
        ("n_examples", pa.int64()),
        ("n_dropped_by_length", pa.int64()),
        ("mean_tokens", pa.float64()),
        ("median_tokens", pa.float64()),
        ("max_tokens", pa.int64()),
        ("positive_fraction", pa.float64()),
        ("n_classes", pa.int64()),
        ("vocab_size", pa.int64()),
        ("unk_rate", pa.float64()),
    ]),
    # one row per training epoch
    "epoch_metrics": pa.schema([
        ("dataset", pa.string()),
        ("model", pa.string()),
        ("seed", pa.int64()),
        ("epoch", pa.int64()),
        ("train_loss", pa.float64()),
        ("dev_accuracy", pa.float64()),
        ("dev_f1", pa.float64()),
        ("dev_macro_f1", pa.float64()),
        ("dev_roc_auc", pa.float64()),
        ("selected", pa.bool_()),
        ("seconds", pa.float64()),
    ]),
    # one row per example: prediction, attention over [SOS] tokens [EOS]
    "predictions": pa.schema([
        ("dataset", pa.string()),
        ("model", pa.string()),
        ("seed", pa.int64()),
        ("split", pa.string()),
        ("example_id", pa.string()),
        ("label", pa.int64()),
        ("pred", pa.int64()),
        ("prob", _list_f32),  # class probabilities, length n_classes
        ("tokens", _list_str),  # incl. <SOS> and <EOS>
        ("attention", _list_f32),  # same length as tokens; 0 at SOS/EOS
        ("max_attention", pa.float32()),
    ]),
    # test-set scores of one model
    "test_metrics": pa.schema([
        ("dataset", pa.string()),
        ("model", pa.string()),
        ("seed", pa.int64()),
        ("split", pa.string()),
        ("n", pa.int64()),
        ("accuracy", pa.float64()),
        ("f1", pa.float64()),  # positive-class F1 (the papers' "F1")
        ("macro_f1", pa.float64()),
        ("roc_auc", pa.float64()),
        ("selected_epoch", pa.int64()),
    ]),
}


class SchemaError(ValueError):
    pass


def _check(table: pa.Table, name: str, where: str) -> pa.Table:
    if name not in TABLES:
        raise SchemaError(f"table {name!r} is not declared in seatlib.schema.TABLES")
    schema = TABLES[name]
    missing = [f.name for f in schema if f.name not in table.column_names]
    if missing:
        raise SchemaError(f"{where}: table {name!r} lacks column(s) {missing}")
    extra = [c for c in table.column_names if c not in schema.names]
    if extra:
        raise SchemaError(f"{where}: table {name!r} has undeclared column(s) {extra}")
    table = table.select(schema.names)
    for field in schema:
        col = table.column(field.name)
        if col.null_count:
            raise SchemaError(f"{where}: column {field.name!r} of table {name!r} has "
                              f"{col.null_count} null value(s)")
        if not col.type.equals(field.type):
            try:
                col = col.cast(field.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
                raise SchemaError(f"{where}: column {field.name!r} of table {name!r} is "
                                  f"{col.type}, expected {field.type}") from err
            table = table.set_column(schema.get_field_index(field.name), field.name, col)
    return table


def to_arrow(df: pd.DataFrame, name: str, where: str = "<frame>") -> pa.Table:
    return _check(pa.Table.from_pandas(df, preserve_index=False), name, where)


def write_table(df: pd.DataFrame, path: str | os.PathLike, name: str) -> None:
    table = to_arrow(df, name, str(path))
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def read_table(path: str | os.PathLike, name: str) -> pd.DataFrame:
    return _check(pq.read_table(path), name, str(path)).to_pandas()
