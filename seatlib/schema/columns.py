"""Column groups shared by the tables of several tracks, and ``table(...)`` to build a schema
from groups and single columns in order."""

from __future__ import annotations

import pyarrow as pa

LIST_STR = pa.list_(pa.string())
LIST_INT = pa.list_(pa.int32())
LIST_F32 = pa.list_(pa.float32())
LIST_F64 = pa.list_(pa.float64())

Columns = list[tuple[str, pa.DataType]]

# a trained word model of the grid: dataset, "{encoder}-{attention}", seed
MODEL_KEY: Columns = [("dataset", pa.string()), ("model", pa.string()), ("seed", pa.int64())]
# one example of a prepared split
EXAMPLE: Columns = [("split", pa.string()), ("example_id", pa.string())]
# a SEAT model: dataset, encoder, training method, seed
SEAT_KEY: Columns = [("dataset", pa.string()), ("encoder", pa.string()),
                     ("method", pa.string()), ("seed", pa.int64())]
# classification scores of one model on one split
SCORES: Columns = [("accuracy", pa.float64()), ("f1", pa.float64()),  # positive-class F1
                   ("macro_f1", pa.float64())]
# the same on the dev split, per training epoch
DEV_SCORES: Columns = [(f"dev_{name}", t) for name, t in SCORES]


def table(*parts) -> pa.Schema:
    """pa.schema of column groups (lists) and single (name, type) columns, in order."""
    fields: Columns = []
    for part in parts:
        fields.extend(part if isinstance(part, list) else [part])
    names = [n for n, _ in fields]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"schema declares column(s) {dup} twice")
    return pa.schema(fields)
