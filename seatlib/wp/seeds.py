"""Variance across random seeds (Wiegreffe & Pinter section 3.2, ``seed_graphs.py``).

Per test instance: the median over seeds of JSD(base attention, seed attention), the base
model's maximum attention weight and predicted class, and the mean over seeds of the output
difference TVD(y_seed, y_base) (= |p_seed - p_base| for a binary model). ``seed_graphs.py`` is
followed, not ``Seed_graphs.ipynb`` (whose output difference is |JSD - y|, a bug).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from seatlib.metrics import max_attention_bin_label
from seatlib.wp.common import compare_to_base


def seed_variance(base: pd.DataFrame, seeds: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """-> frame of schema "wp_seed_variance", one row per base test instance."""
    if not seeds:
        raise ValueError("seed variance needs at least one extra seed (config wp.seeds)")
    per = [compare_to_base(base, df, f"seed {s}") for s, df in seeds.items()]
    jsd = np.stack([p["jsd"].to_numpy() for p in per])  # (S, N)
    tvd = np.stack([p["tvd"].to_numpy() for p in per])
    return pd.DataFrame({
        "dataset": base["dataset"].to_numpy(),
        "model": base["model"].to_numpy(),
        "base_seed": base["seed"].to_numpy(),
        "example_id": base["example_id"].to_numpy(),
        "pred": base["pred"].to_numpy(),
        "max_attention": base["max_attention"].to_numpy().astype(np.float64),
        "n_seeds": len(seeds),
        "median_jsd": np.median(jsd, axis=0),
        "mean_tvd": tvd.mean(axis=0),
    })


def seed_variance_summary(per_instance: pd.DataFrame) -> pd.DataFrame:
    """-> schema "wp_seed_variance_summary": per predicted class x max-attention bin, plus
    "all" rows (pred_class "all" and/or bin "all")."""
    df = per_instance.assign(pred_class=per_instance["pred"].astype(str),
                             max_attention_bin=max_attention_bin_label(
                                 per_instance["max_attention"].to_numpy()))
    rows = []
    for cls_key in ("pred_class", None):
        for bin_key in ("max_attention_bin", None):
            keys = [k for k in (cls_key, bin_key) if k]
            groups = df.groupby(keys, sort=True) if keys else [((), df)]
            for key, g in groups:
                key = key if isinstance(key, tuple) else (key,)
                named = dict(zip(keys, key, strict=True))
                rows.append({
                    "dataset": g["dataset"].iat[0], "model": g["model"].iat[0],
                    "base_seed": int(g["base_seed"].iat[0]), "n_seeds": int(g["n_seeds"].iat[0]),
                    "pred_class": named.get("pred_class", "all"),
                    "max_attention_bin": named.get("max_attention_bin", "all"),
                    "n": len(g), "mean_jsd": float(g["median_jsd"].mean()),
                    "median_jsd": float(g["median_jsd"].median()),
                    "mean_tvd": float(g["mean_tvd"].mean()),
                })
    return pd.DataFrame(rows)
