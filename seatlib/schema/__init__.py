"""Every Parquet table the pipeline writes, declared once: one module per track
(``data``, ``models``, ``jw``, ``wp``, ``seat``, ``attattr``, ...), built from the shared column
groups of ``columns``.

``write_table(df, path, "predictions")`` checks the frame against the declared schema (columns,
order, types, no nulls in required columns), writes atomically, and returns nothing; a frame that
does not fit raises a one-line ``SchemaError`` naming the table and the column.
``read_table(path, name)`` reads and checks the same way.
"""

from __future__ import annotations

import importlib
import os

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from seatlib import TRACKS
from seatlib.io import atomic_path


def _collect() -> dict[str, pa.Schema]:
    tables: dict[str, pa.Schema] = {}
    for track in TRACKS:  # a track without tables has no module; names must not collide
        try:
            module = importlib.import_module(f"seatlib.schema.{track}")
        except ModuleNotFoundError as err:
            if err.name != f"seatlib.schema.{track}":
                raise
            continue
        clash = sorted(set(tables) & set(module.TABLES))
        if clash:
            raise RuntimeError(f"seatlib/schema/{track}.py redeclares table(s) {clash}")
        tables.update(module.TABLES)
    return tables


TABLES: dict[str, pa.Schema] = _collect()


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
