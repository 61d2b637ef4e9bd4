"""Compare the Parquet tables of two pipeline runs (before / after a speed change).

For every ``*.parquet`` under both result folders: the same rows and columns, equal non-float
columns, and the largest absolute and relative difference of each float column. Wall-clock
columns (``seconds``) are left out. Prints one line per table and a summary; exits non-zero if
a table is missing, has other rows or columns, or differs beyond ``--atol`` + ``--rtol``.

    .venv/bin/python bench/compare_runs.py BEFORE/results AFTER/results [--atol 1e-6 --rtol 1e-5]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

SKIP_COLUMNS = {"seconds"}


def _flat(col: pd.Series) -> np.ndarray | None:
    """A float column, or a column of equal-length float lists, as one float array."""
    if pd.api.types.is_float_dtype(col):
        return col.to_numpy(dtype=np.float64)
    if len(col) and isinstance(col.iloc[0], (list, np.ndarray)):
        try:
            parts = [np.asarray(v, dtype=np.float64).ravel() for v in col]
        except (TypeError, ValueError):
            return None
        if parts and all(p.dtype.kind == "f" for p in parts):
            return np.concatenate(parts) if parts else np.zeros(0)
    return None


def compare_table(a: pd.DataFrame, b: pd.DataFrame, atol: float, rtol: float) -> dict:
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return {"ok": False, "why": f"shape {a.shape} vs {b.shape} or columns differ"}
    worst = {"abs": 0.0, "rel": 0.0, "column": None}
    for c in a.columns:
        if c in SKIP_COLUMNS:
            continue
        x, y = _flat(a[c]), _flat(b[c])
        if x is None or y is None:
            same = a[c].astype(str).equals(b[c].astype(str))
            if not same:
                return {"ok": False, "why": f"column {c!r} differs (non-float)"}
            continue
        if x.shape != y.shape:
            return {"ok": False, "why": f"column {c!r}: list lengths differ"}
        both_nan = np.isnan(x) & np.isnan(y)
        d = np.where(both_nan, 0.0, np.abs(x - y))
        if np.isnan(d).any():
            return {"ok": False, "why": f"column {c!r}: NaN in one run only"}
        if d.size and d.max() > worst["abs"]:
            rel = d / np.maximum(np.abs(x), 1e-300)
            worst = {"abs": float(d.max()), "rel": float(rel[np.argmax(d)]), "column": c}
        if (d > atol + rtol * np.abs(x)).any():
            worst["ok"] = False
    worst.setdefault("ok", True)
    return worst


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--atol", type=float, default=1e-6)
    ap.add_argument("--rtol", type=float, default=1e-5)
    args = ap.parse_args(argv)
    names = sorted({p.relative_to(args.before) for p in args.before.rglob("*.parquet")}
                   | {p.relative_to(args.after) for p in args.after.rglob("*.parquet")})
    bad = 0
    for name in names:
        pa, pb = args.before / name, args.after / name
        if not (pa.exists() and pb.exists()):
            print(f"MISSING {name}: only in {'before' if pa.exists() else 'after'}")
            bad += 1
            continue
        res = compare_table(pd.read_parquet(pa), pd.read_parquet(pb), args.atol, args.rtol)
        if res.get("why"):
            print(f"DIFFERS {name}: {res['why']}")
        else:
            print(f"{'ok     ' if res['ok'] else 'DIFFERS'} {name}: max |diff| "
                  f"{res['abs']:.2e} (rel {res['rel']:.1e}) in {res['column']}")
        bad += not res["ok"]
    print(f"{len(names)} tables, {bad} differ beyond atol {args.atol} + rtol {args.rtol}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
