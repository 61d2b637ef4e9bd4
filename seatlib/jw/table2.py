"""JW's Table 2 from the per-instance agreement table (pandas only: the table job does not
import torch)."""

from __future__ import annotations

import numpy as np
import pandas as pd

SIGNIFICANCE = 0.05
_META = ("dataset", "model", "seed", "split")


def table2(agreement_df: pd.DataFrame) -> pd.DataFrame:
    """JW's Table 2 per (dataset, model, seed, split, method_a, method_b): mean tau, population
    std (np.std), fraction with p <= 0.05 and n, per predicted class (``group`` "0", "1", ...)
    and "overall". Table "agreement_summary".

    As in JW's code, an instance whose tau is undefined (``defined`` False: fewer than two real
    tokens or constant scores) counts in the denominator ``n`` of the significant fraction, as
    not significant; mean and sd run over the defined taus; ``n_undefined`` says how many."""
    keys = [*_META, "method_a", "method_b", "scores"]
    missing = [c for c in (*keys, "pred", "tau", "p_value", "defined")
               if c not in agreement_df.columns]
    if missing:
        raise ValueError(f"agreement frame lacks column(s) {missing}")
    df = agreement_df[[*keys, "pred", "tau", "p_value", "defined"]].copy()
    defined = df["defined"].to_numpy(dtype=bool)
    df["significant"] = ((df["p_value"] <= SIGNIFICANCE) & defined).astype(np.float64)
    df["tau"] = df["tau"].where(defined)  # NaN: skipped by mean and by np.nanstd
    df["undefined"] = (~defined).astype(np.int64)
    per_class = df.assign(group=df["pred"].astype(np.int64).astype(str))
    overall = df.assign(group="overall")
    both = pd.concat([per_class, overall], ignore_index=True)
    both["_order"] = np.where(both["group"] == "overall", np.iinfo(np.int64).max,
                              pd.to_numeric(both["group"], errors="coerce").fillna(0))
    grouped = both.groupby([*keys, "_order", "group"], sort=True)
    out = grouped.agg(mean_tau=("tau", "mean"), std_tau=("tau", _std),
                      sig_frac=("significant", "mean"), n=("tau", "size"),
                      n_undefined=("undefined", "sum")).reset_index()
    out["n"] = out["n"].astype(np.int64)
    out["n_undefined"] = out["n_undefined"].astype(np.int64)
    out["mean_tau"] = out["mean_tau"].fillna(0.0)  # a group with no defined tau at all
    return out.drop(columns="_order")[[*keys, "group", "mean_tau", "std_tau", "sig_frac", "n",
                                       "n_undefined"]]


def _std(tau: pd.Series) -> float:
    """Population sd (np.std) of the defined taus; 0 when there are none."""
    t = tau.dropna().to_numpy()
    return float(np.std(t)) if len(t) else 0.0
