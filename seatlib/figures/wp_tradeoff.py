"""Wiegreffe & Pinter's trade-off plot: mean attention JSD vs mean output TVD from the base model.

One point per model on the test split: the model-consistent adversary at each lambda (+, joined
in order of lambda), the other random seeds (triangles) and the uniform baseline (square). JSD is
bounded by ln 2 (dotted line). With JW's per-instance adversaries of the base model
(``jw_adversary``, JW's "adversary" table), their mean epsilon-max JSD is a dashed vertical line
and (mean JSD, mean output TVD) a star: the attention divergence an adversary reaches when it
may be chosen per instance, with the model frozen.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pandas as pd

from seatlib.figures.common import JSD_UNIT, TVD_NOTE, save_figure

LN2 = math.log(2.0)
MARKER_PT = 10  # size of the adversary's "+" markers (points)
LABEL_OFFSET_PT = 8  # lambda labels start this far (points) right of and above/below their
# marker, beyond the marker's half size, alternately above and below along the curve


def plot_tradeoff(df: pd.DataFrame, pdf_path, png_path,
                  jw_adversary: pd.DataFrame | None = None) -> None:
    """df: frame of schema "wp_tradeoff"; jw_adversary: JW's "adversary" table of the base
    model (optional)."""
    fig, ax = plt.subplots(figsize=(9.0, 4.8))
    if jw_adversary is not None and len(jw_adversary):
        first = df.iloc[0]
        if jw_adversary["model"].iat[0] != first["base_model"] or \
                int(jw_adversary["seed"].iat[0]) != int(first["base_seed"]):
            raise ValueError(f"JW adversary of {jw_adversary['model'].iat[0]} seed "
                             f"{jw_adversary['seed'].iat[0]}, expected the base model "
                             f"{first['base_model']} seed {first['base_seed']}")
        jx, jy = float(jw_adversary["emax_jsd"].mean()), float(jw_adversary["emax_tvd"].mean())
        ax.axvline(jx, color="C4", ls="--", lw=1.2,
                   label=f"JW per-instance adversary (mean JSD {jx:.3f})")
        ax.scatter([jx], [jy], marker="*", s=110, color="C4", zorder=3)
    adv = df[df["kind"] == "adversary"].copy()
    if len(adv):
        adv["lam"] = adv["label"].str.removeprefix("lambda ").astype(float)
        adv = adv.sort_values("lam")
        ax.plot(adv["mean_jsd"], adv["mean_tvd"], "+-", color="C3", ms=MARKER_PT, mew=2,
                label="model-consistent adversary")
        for i, row in enumerate(adv.itertuples()):
            up = i % 2 == 0
            ax.annotate(f"λ={row.lam:g}", (row.mean_jsd, row.mean_tvd),
                        textcoords="offset points",
                        xytext=(LABEL_OFFSET_PT, LABEL_OFFSET_PT if up else -LABEL_OFFSET_PT),
                        ha="left", va="bottom" if up else "top", fontsize=8, color="C3")
    seeds = df[df["kind"] == "seed"]
    if len(seeds):
        ax.scatter(seeds["mean_jsd"], seeds["mean_tvd"], marker="^", s=50, color="C0",
                   label=f"other seeds (n={len(seeds)})")
    uni = df[df["kind"] == "uniform"]
    if len(uni):
        ax.scatter(uni["mean_jsd"], uni["mean_tvd"], marker="s", s=50, color="C2",
                   label="uniform attention")
    ax.axvline(LN2, color="grey", ls=":", lw=1.2, label="JSD bound ln 2")
    ax.set_xlim(0, LN2 * 1.05)
    top = float(df["mean_tvd"].max()) if len(df) else 0.1
    ax.set_ylim(0, max(0.05, top * 1.25))
    ax.set_xlabel(f"mean JSD of attention from the base model ({JSD_UNIT})")
    ax.set_ylabel(f"mean TVD of the output from the base model\n({TVD_NOTE})")
    # outside the axes: inside, it covered the uniform-attention marker
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    first = df.iloc[0]
    ax.set_title(f"{first['dataset']}: {first['base_model']} seed {first['base_seed']} "
                 f"(test, n={first['n']})", fontsize=10)
    fig.tight_layout()
    save_figure(fig, pdf_path, png_path)
