"""From a dataset name (built-in or user file) to prepared splits, as the workflow runs it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from seatlib.data.prepare import Prepared, prepare


def load_raw(dataset: str, raw_dir: Path | None, user_datasets: dict) -> tuple[pd.DataFrame,
                                                                                dict]:
    """-> (raw frame with example_id/text/label/split, prepare options)."""
    if dataset in user_datasets:
        from seatlib.data.user import read_user_dataset

        u = user_datasets[dataset]
        frame = read_user_dataset(u["path"], u["text_column"], u["label_column"],
                                  split_column=u.get("split_column"),
                                  label_map=u.get("label_map"), seed=u.get("seed", 0),
                                  fractions=tuple(u.get("fractions", (0.8, 0.1, 0.1))),
                                  empty_text=u.get("empty_text", "drop"),
                                  duplicates=u.get("duplicates", "drop"),
                                  key=f"data.user_datasets.{dataset}")
        label_map = u.get("label_map")
        n_classes = (len(set(label_map.values())) if label_map
                     else int(frame["label"].max()) + 1)
        return frame, {"min_df": u.get("min_df", 1), "min_len": u.get("min_len"),
                       "max_len": u.get("max_len"), "n_classes": max(n_classes, 2),
                       "source": str(u["path"])}
    from seatlib.data.readers import read_dataset
    from seatlib.data.sources import get_spec

    spec = get_spec(dataset)
    frame = read_dataset(dataset, Path(raw_dir))
    return frame, {"min_df": spec.min_df, "min_len": spec.min_len, "max_len": spec.max_len,
                   "n_classes": len(spec.label_names)}


def subsample(frame: pd.DataFrame, max_train: int | None, max_eval: int | None,
              seed: int = 0) -> pd.DataFrame:
    """Keep a seeded sample of at most max_train train rows and max_eval dev/test rows,
    in the original row order."""
    rng = np.random.default_rng(seed)
    keep = np.ones(len(frame), dtype=bool)
    splits = frame["split"].to_numpy()
    for split, cap in (("train", max_train), ("dev", max_eval), ("test", max_eval)):
        rows = np.flatnonzero(splits == split)
        if cap is not None and len(rows) > cap:
            drop = rng.choice(rows, size=len(rows) - cap, replace=False)
            keep[drop] = False
    return frame[keep].reset_index(drop=True)


def prepare_dataset(dataset: str, raw_dir: Path | None, user_datasets: dict,
                    max_train: int | None = None, max_eval: int | None = None) -> Prepared:
    frame, opts = load_raw(dataset, raw_dir, user_datasets)
    frame = subsample(frame, max_train, max_eval)
    return prepare(frame, dataset, **opts)


def sample_rows(frame: pd.DataFrame, max_rows: int | None, seed: int = 0) -> pd.DataFrame:
    """A seeded subset of at most max_rows rows, in the original order (all rows for None)."""
    if max_rows is None or len(frame) <= max_rows:
        return frame
    keep = np.sort(np.random.default_rng(seed).choice(len(frame), size=max_rows, replace=False))
    return frame.iloc[keep].reset_index(drop=True)
