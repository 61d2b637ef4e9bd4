"""The frames of the Wiegreffe & Pinter tables, built from other frames (no file access).

Each returns a frame of the schema of the same name in ``seatlib/schema/wp.py``; the functions
of ``seatlib.wp.steps`` read the inputs and write the results. Torch is imported only by the
tables that compare two models' outputs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from seatlib.metrics import classification_scores


def scores(pred: pd.DataFrame) -> dict:
    """Classification scores of a "predictions" frame."""
    return classification_scores(pred["label"].to_numpy(), np.stack(pred["prob"].to_numpy()))


def comparison_row(base: pd.DataFrame, other: pd.DataFrame, what: str) -> dict:
    """Mean/median divergences of ``other`` from ``base`` per instance, and ``other``'s F1."""
    from seatlib.wp.common import compare_to_base  # torch: only the rules that compare models

    d = compare_to_base(base, other, what)
    return {"n": len(d), "mean_jsd": float(d["jsd"].mean()),
            "median_jsd": float(d["jsd"].median()), "mean_tvd": float(d["tvd"].mean()),
            "mean_kl": float(d["kl"].mean()), "f1": scores(other)["f1"]}


def base_columns(base: pd.DataFrame) -> dict:
    return {"dataset": base["dataset"].iat[0], "base_model": base["model"].iat[0],
            "base_seed": int(base["seed"].iat[0])}


def uniform_frame(pairs: list) -> pd.DataFrame:
    """pairs: [(trained "test_metrics" frame, uniform "test_metrics" frame)], one per encoder
    -> "wp_uniform"."""
    rows = []
    for trained, uniform in pairs:
        t, u = trained.iloc[0], uniform.iloc[0]
        encoder, attention = t["model"].split("-", 1)
        rows.append({"dataset": t["dataset"], "encoder": encoder, "attention": attention,
                     "seed": int(t["seed"]), "n": int(t["n"]), "trained_f1": t["f1"],
                     "uniform_f1": u["f1"], "f1_difference": t["f1"] - u["f1"],
                     "trained_accuracy": t["accuracy"], "uniform_accuracy": u["accuracy"]})
    return pd.DataFrame(rows)


def adversary_frame(base: pd.DataFrame, adversaries: list) -> pd.DataFrame:
    """adversaries: [(what, "predictions" frame, config.json dict)] -> "wp_adversary", sorted
    by lambda."""
    base_f1 = scores(base)["f1"]
    head = base_columns(base)
    rows = []
    for what, pred, cfg in adversaries:
        row = comparison_row(base, pred, what)
        rows.append({**head, "model": cfg["model_name"],
                     "seed": int(cfg["seed"]), "lam": float(cfg["adversary"]["lam"]),
                     "selection": cfg["adversary"]["selection"],
                     "epochs_run": int(cfg["epochs_run"]),
                     "selected_epoch": int(cfg["selected_epoch"]), **row,
                     "accuracy": scores(pred)["accuracy"], "base_f1": base_f1})
    return pd.DataFrame(rows).sort_values("lam", ignore_index=True)


def guided_frame(entries: list) -> pd.DataFrame:
    """entries: [(guide label, guide model name, "test_metrics" frame)] -> "wp_guided"."""
    rows = []
    for guide, guide_model, metrics in entries:
        m = metrics.iloc[0]
        rows.append({"dataset": m["dataset"], "guide": guide, "guide_model": guide_model,
                     "model": m["model"], "seed": int(m["seed"]), "n": int(m["n"]),
                     "accuracy": m["accuracy"], "f1": m["f1"], "macro_f1": m["macro_f1"],
                     "selected_epoch": int(m["selected_epoch"])})
    return pd.DataFrame(rows)


def tradeoff_frame(base: pd.DataFrame, points: list) -> pd.DataFrame:
    """points: [(kind, label, what, "predictions" frame)] -> "wp_tradeoff", one row per point."""
    head = base_columns(base)
    return pd.DataFrame([{**head, "kind": kind, "label": label, "model": pred["model"].iat[0],
                          "seed": int(pred["seed"].iat[0]), **comparison_row(base, pred, what)}
                         for kind, label, what, pred in points])
