"""The summary tables of the track (pandas only; no torch)."""

from __future__ import annotations

import pandas as pd

KEY = ["dataset", "model", "seed"]


def pruning_summary(pruning: pd.DataFrame) -> pd.DataFrame:
    """attattr_pruning rows -> one row per model x ranking x fraction; the random seeds (and
    any ranking with several seeds) as mean and sample sd (0 for a single ranking)."""
    g = pruning.groupby([*KEY, "ranking", "fraction"], sort=False)
    out = g.agg(n_pruned=("n_pruned", "first"), accuracy=("accuracy", "mean"),
                accuracy_sd=("accuracy", "std"), n_rankings=("accuracy", "size"),
                n_examples=("n_examples", "first")).reset_index()
    out["accuracy_sd"] = out["accuracy_sd"].fillna(0.0)
    return out[[*KEY, "ranking", "fraction", "n_pruned", "accuracy", "accuracy_sd",
                "n_rankings", "n_examples"]]


def finetune_summary(epochs: list[pd.DataFrame], sizes: list[tuple[int, int]]) -> pd.DataFrame:
    """attattr_epochs frames (one per model) and (n_train, n_dev) -> the selected epochs."""
    rows = []
    for frame, (n_train, n_dev) in zip(epochs, sizes, strict=True):
        sel = frame[frame["selected"]].iloc[0]
        rows.append({**{k: sel[k] for k in KEY}, "n_train": n_train, "n_dev": n_dev,
                     "selected_epoch": int(sel["epoch"]), "dev_accuracy": sel["dev_accuracy"],
                     "dev_macro_f1": sel["dev_macro_f1"], "seconds": frame["seconds"].sum()})
    return pd.DataFrame(rows)
