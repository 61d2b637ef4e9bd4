"""Wiegreffe & Pinter's seed-variance figure: per-instance median JSD across seeds.

Left: violins of the median JSD(base attention, seed attention) against the base model's
max-attention bin, one violin per predicted class (JW's permutation-plot layout). Right: the same
JSD against the mean output difference TVD(y_seed, y_base).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seatlib.figures.common import save_figure
from seatlib.metrics import max_attention_bin_label as max_attention_bin

LN2 = math.log(2.0)
COLORS = plt.rcParams["axes.prop_cycle"].by_key()["color"]


def _violins(ax, groups: list[tuple[float, np.ndarray]], color) -> None:
    """Horizontal violins at the given y positions; a dot where too few distinct values."""
    full = [(y, v) for y, v in groups if len(np.unique(v)) >= 2]
    for y, v in groups:
        if 0 < len(np.unique(v)) < 2:
            ax.plot(v, np.full(len(v), y), "o", color=color, ms=3)
    if full:
        parts = ax.violinplot([v for _, v in full], positions=[y for y, _ in full],
                              orientation="horizontal", widths=0.35, showmedians=True,
                              showextrema=False, quantiles=[[0.25, 0.75]] * len(full))
        for body in parts["bodies"]:
            body.set_facecolor(color)
            body.set_edgecolor(color)
            body.set_alpha(0.5)
        for key in ("cmedians", "cquantiles"):
            if key in parts:
                parts[key].set_color(color)


def plot_seed_variance(per: pd.DataFrame, pdf_path, png_path, class_names=None) -> None:
    """per: frame of schema "wp_seed_variance"."""
    bins = max_attention_bin(per["max_attention"].to_numpy())
    labels = list(max_attention_bin(np.array([0.1, 0.3, 0.6, 0.9])))
    classes = sorted(per["pred"].unique())
    names = class_names or {c: str(c) for c in classes}
    jsd = per["median_jsd"].to_numpy()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    width = 0.4
    for k, c in enumerate(classes):
        offset = (k - (len(classes) - 1) / 2) * width
        groups = [(i + offset, jsd[(per["pred"].to_numpy() == c) & (bins == lab)])
                  for i, lab in enumerate(labels)]
        _violins(ax1, groups, COLORS[k % len(COLORS)])
        n = int((per["pred"] == c).sum())
        ax1.plot([], [], "s", color=COLORS[k % len(COLORS)],
                 label=f"predicted {names[c]} (n={n})")
        sel = per["pred"].to_numpy() == c
        ax2.scatter(jsd[sel], per["mean_tvd"].to_numpy()[sel], s=6, alpha=0.5,
                    color=COLORS[k % len(COLORS)], label=f"predicted {names[c]}")
    ticks = [f"{lab}\nn={int((bins == lab).sum())}" for lab in labels]
    ax1.set_yticks(range(len(labels)), ticks)
    ax1.set_ylabel("max attention of the base model")
    ax1.set_xlabel("median JSD(base, seed) of attention over seeds (nats)")
    ax1.set_xlim(0, LN2 * 1.02)
    ax1.axvline(LN2, color="grey", ls=":", lw=1)
    ax1.legend(loc="lower right", fontsize=8)
    ax2.set_xlabel("median JSD(base, seed) of attention (nats)")
    ax2.set_ylabel("mean TVD(base, seed) of the output")
    ax2.set_xlim(0, LN2 * 1.02)
    ax2.set_ylim(0, 1)
    ax2.axvline(LN2, color="grey", ls=":", lw=1)
    ax2.legend(loc="upper right", fontsize=8)
    fig.suptitle(f"seed variance on {per['dataset'].iat[0]}: {per['model'].iat[0]}, base seed "
                 f"{per['base_seed'].iat[0]} vs {per['n_seeds'].iat[0]} other seeds "
                 f"(test, n={len(per)})")
    fig.tight_layout()
    save_figure(fig, pdf_path, png_path)
