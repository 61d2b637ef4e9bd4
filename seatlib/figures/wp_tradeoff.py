"""Wiegreffe & Pinter's trade-off plot: mean attention JSD vs mean output TVD from the base model.

One point per model on the test split: the model-consistent adversary at each lambda (+, joined
in order of lambda), the other random seeds (triangles) and the uniform baseline (square). JSD is
bounded by ln 2 (dotted line).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pandas as pd

from seatlib.figures.common import save_figure

LN2 = math.log(2.0)


def plot_tradeoff(df: pd.DataFrame, pdf_path, png_path) -> None:
    """df: frame of schema "wp_tradeoff"."""
    fig, ax = plt.subplots(figsize=(6.5, 4.8))
    adv = df[df["kind"] == "adversary"].copy()
    if len(adv):
        adv["lam"] = adv["label"].str.removeprefix("lambda ").astype(float)
        adv = adv.sort_values("lam")
        ax.plot(adv["mean_jsd"], adv["mean_tvd"], "+-", color="C3", ms=10, mew=2,
                label="model-consistent adversary")
        for row in adv.itertuples():
            ax.annotate(f"λ={row.lam:g}", (row.mean_jsd, row.mean_tvd),
                        textcoords="offset points", xytext=(5, 4), fontsize=8, color="C3")
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
    ax.set_xlabel("mean JSD of attention from the base model (nats)")
    ax.set_ylabel("mean TVD of the output from the base model")
    ax.legend(fontsize=8, loc="upper left")
    first = df.iloc[0]
    ax.set_title(f"{first['dataset']}: {first['base_model']} seed {first['base_seed']} "
                 f"(test, n={first['n']})", fontsize=10)
    fig.tight_layout()
    save_figure(fig, pdf_path, png_path)
