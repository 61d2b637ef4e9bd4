"""JW's CorrGL comparison (``plot_correlation_between_grad_and_loo``, spec sections 4.3 and 6.4):
per instance, how much better the two importance measures agree with each other than attention
agrees with either.

For every instance with all three taus defined: ``gl - ag`` = tau(gradient, LOO) -
tau(attention, gradient) and ``gl - al`` = tau(gradient, LOO) - tau(attention, LOO) (JW's "ag"
and "al" name the attention pairs). Positive: the importance measures agree with each other
better than attention agrees with them. pandas only (the table and figure jobs import no torch).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_META = ("dataset", "model", "seed", "split")
# (difference name, the attention pair subtracted from tau(gradient, loo))
DIFFERENCES = (("gl - ag", ("attention", "gradient")), ("gl - al", ("attention", "loo")))
IMPORTANCE_PAIR = ("gradient", "loo")


def _pair(agreement: pd.DataFrame, a: str, b: str) -> pd.Series:
    sel = agreement[(agreement["method_a"] == a) & (agreement["method_b"] == b)
                    & agreement["defined"]]
    return sel.set_index([*_META, "example_id"])["tau"]


def corrgl_instances(agreement: pd.DataFrame) -> pd.DataFrame:
    """Long frame (dataset, model, seed, split, example_id, pred, difference, value), one row
    per instance whose three taus are defined and per difference of ``DIFFERENCES``."""
    missing = [c for c in (*_META, "example_id", "pred", "method_a", "method_b", "tau",
                           "defined") if c not in agreement.columns]
    if missing:
        raise ValueError(f"agreement frame lacks column(s) {missing}")
    gl = _pair(agreement, *IMPORTANCE_PAIR)
    if gl.empty:
        raise ValueError(f"agreement frame has no defined tau{IMPORTANCE_PAIR}: jw.importance."
                         "methods must hold gradient and loo for the CorrGL comparison")
    pred = agreement.drop_duplicates([*_META, "example_id"]).set_index(
        [*_META, "example_id"])["pred"]
    parts = []
    for name, (a, b) in DIFFERENCES:
        other = _pair(agreement, a, b)
        both = gl.index.intersection(other.index, sort=False)
        diff = (gl.loc[both] - other.loc[both]).rename("value").reset_index()
        diff["pred"] = pred.loc[both].to_numpy()
        diff["difference"] = name
        parts.append(diff)
    out = pd.concat(parts, ignore_index=True)
    return out[[*_META, "example_id", "pred", "difference", "value"]]


def corrgl_summary(agreement: pd.DataFrame) -> pd.DataFrame:
    """Table "jw_corrgl": per (dataset, model, seed, split, difference) the mean, population sd,
    share of instances above 0 and the number of instances (all three taus defined)."""
    inst = corrgl_instances(agreement)
    order = {name: i for i, (name, _) in enumerate(DIFFERENCES)}
    grouped = inst.groupby([*_META, "difference"], sort=False)["value"]
    out = grouped.agg(mean=("mean"), std=lambda v: float(np.std(v.to_numpy())),
                      positive_share=lambda v: float((v.to_numpy() > 0).mean()),
                      n="size").reset_index()
    out["n"] = out["n"].astype(np.int64)
    out["_o"] = out["difference"].map(order)
    out = out.sort_values([*_META, "_o"], ignore_index=True).drop(columns="_o")
    return out
