"""Summary tables of part two of the track (triggers, attention vs attribution); pandas only."""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["dataset", "model", "seed"]


def triggers_summary(triggers: pd.DataFrame) -> pd.DataFrame:
    """attattr_triggers rows -> per model x attacked gold label: accuracy before, after the
    attribution patterns (mean over patterns) and after the random controls (mean over
    patterns x controls), and the drops (before - after)."""
    rows = []
    for key, g in triggers.groupby([*KEY, "gold_label"], sort=True):
        att = g[g["kind"] == "attattr"]
        rnd = g[g["kind"] == "random"]
        before = float(g["accuracy_before"].iloc[0])
        a = float(att["accuracy_after"].mean()) if len(att) else np.nan
        r = float(rnd["accuracy_after"].mean()) if len(rnd) else np.nan
        rows.append({**dict(zip([*KEY, "gold_label"], key, strict=True)),
                     "n_examples": int(g["n_examples"].iloc[0]), "n_patterns": len(att),
                     "accuracy_before": before, "accuracy_attattr": a, "accuracy_random": r,
                     "drop_attattr": before - a, "drop_random": before - r})
    return pd.DataFrame(rows, columns=[*KEY, "gold_label", "n_examples", "n_patterns",
                                       "accuracy_before", "accuracy_attattr", "accuracy_random",
                                       "drop_attattr", "drop_random"])


def bias_summary(tau: pd.DataFrame) -> pd.DataFrame:
    """attattr_bias_tau rows -> mean, sd and fraction with p < 0.05 of tau per model x summary x
    method (x method layer), pooled over the summary's layers and heads (layer -1) and per
    layer (the per-layer summaries cls_head, mean_heads, received)."""
    frames = []
    pooled = tau.assign(layer=-1)
    per_layer = tau[tau["layer"] >= 0]
    for part in (pooled, per_layer):
        g = part.groupby([*KEY, "summary", "layer", "method", "method_layer"], sort=False)
        frames.append(g.agg(mean_tau=("tau", "mean"), sd_tau=("tau", "std"),
                            frac_significant=("p", lambda s: float((s < 0.05).mean())),
                            n=("tau", "count")).reset_index())
    out = pd.concat(frames, ignore_index=True)
    out["sd_tau"] = out["sd_tau"].fillna(0.0)
    return out[[*KEY, "summary", "layer", "method", "method_layer", "mean_tau", "sd_tau",
                "frac_significant", "n"]]
