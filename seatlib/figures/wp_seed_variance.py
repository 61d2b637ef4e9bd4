"""Wiegreffe & Pinter's seed-variance figure: per-instance median JSD across seeds.

Left: violins of the median JSD(base attention, seed attention) against the base model's
max-attention bin, one violin per predicted class (JW's permutation-plot layout). Right: the same
JSD against the mean output difference TVD(y_seed, y_base). ``plot_seed_variance_vs_adversary``
adds the same two panels for JW's per-instance adversaries (WP's ``ADVERSARY_MODE``).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seatlib.figures.common import TVD_NOTE, data_limits, label_names, save_figure
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


def _panels(ax1, ax2, jsd, tvd, pred, max_attention, names, what: str) -> None:
    """Violins of ``jsd`` by max-attention bin and predicted class (ax1); jsd vs tvd (ax2)."""
    bins = max_attention_bin(np.asarray(max_attention))
    labels = list(max_attention_bin(np.array([0.1, 0.3, 0.6, 0.9])))
    pred = np.asarray(pred)
    classes = sorted(np.unique(pred).tolist())
    width = 0.4
    for k, c in enumerate(classes):
        offset = (k - (len(classes) - 1) / 2) * width
        groups = [(i + offset, jsd[(pred == c) & (bins == lab)]) for i, lab in enumerate(labels)]
        _violins(ax1, groups, COLORS[k % len(COLORS)])
        n = int((pred == c).sum())
        ax1.plot([], [], "s", color=COLORS[k % len(COLORS)],
                 label=f"predicted {names[int(c)]} (n={n})")
        sel = pred == c
        ax2.scatter(jsd[sel], tvd[sel], s=6, alpha=0.5, color=COLORS[k % len(COLORS)],
                    label=f"predicted {names[int(c)]} (n={n})")
    ticks = [f"{lab}\nn={int((bins == lab).sum())}" for lab in labels]
    ax1.set_yticks(range(len(labels)), ticks)
    ax1.set_ylabel("max attention of the base model")
    ax1.set_xlabel(f"{what} (nats)")
    ax1.set_xlim(0, LN2 * 1.02)
    ax1.axvline(LN2, color="grey", ls=":", lw=1)
    ax1.legend(loc="lower right", fontsize=8)
    ax2.set_xlabel(f"{what} (nats)")
    ax2.set_xlim(0, LN2 * 1.02)
    ax2.set_ylim(*data_limits(tvd))  # TVD lies in [0, 1]; the axis zooms on small values
    ax2.axvline(LN2, color="grey", ls=":", lw=1)
    ax2.legend(loc="upper right", fontsize=8)


def plot_seed_variance(per: pd.DataFrame, pdf_path, png_path, class_names=None) -> None:
    """per: frame of schema "wp_seed_variance"."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    names = label_names(per["dataset"].iat[0], int(per["pred"].max()) + 1, class_names)
    _panels(ax1, ax2, per["median_jsd"].to_numpy(), per["mean_tvd"].to_numpy(), per["pred"],
            per["max_attention"], names, "median JSD(base, seed) of attention")
    ax2.set_ylabel(f"mean TVD(base, seed) of the output\n({TVD_NOTE})")
    fig.suptitle(f"seed variance on {per['dataset'].iat[0]}: {per['model'].iat[0]}, base seed "
                 f"{per['base_seed'].iat[0]} vs {per['n_seeds'].iat[0]} other seeds "
                 f"(test, n={len(per)})")
    fig.tight_layout()
    save_figure(fig, pdf_path, png_path)


def plot_seed_variance_vs_adversary(per: pd.DataFrame, adversary: pd.DataFrame, pdf_path,
                                    png_path, class_names=None) -> None:
    """WP's seed-variance panels (top) beside the same panels for JW's per-instance
    adversaries of the base model (bottom; WP's ADVERSARY_MODE): per: "wp_seed_variance",
    adversary: JW's "adversary" table of the base model on the same test split."""
    if adversary["model"].iat[0] != per["model"].iat[0] or \
            int(adversary["seed"].iat[0]) != int(per["base_seed"].iat[0]):
        raise ValueError(f"JW adversary of {adversary['model'].iat[0]} seed "
                         f"{adversary['seed'].iat[0]}, expected the base model "
                         f"{per['model'].iat[0]} seed {per['base_seed'].iat[0]}")
    n_cls = int(max(per["pred"].max(), adversary["pred"].max())) + 1
    names = label_names(per["dataset"].iat[0], n_cls, class_names)
    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5))
    _panels(axes[0][0], axes[0][1], per["median_jsd"].to_numpy(), per["mean_tvd"].to_numpy(),
            per["pred"], per["max_attention"], names, "median JSD(base, seed) of attention")
    axes[0][1].set_ylabel(f"mean TVD(base, seed) of the output\n({TVD_NOTE})")
    axes[0][0].set_title(f"{per['n_seeds'].iat[0]} other seeds (n={len(per)})", fontsize=10)
    _panels(axes[1][0], axes[1][1], adversary["emax_jsd"].to_numpy(),
            adversary["emax_tvd"].to_numpy(), adversary["pred"], adversary["max_attention"],
            names, "epsilon-max JSD(base, JW adversary)")
    axes[1][1].set_ylabel(f"TVD(base, JW adversary) of the output\n({TVD_NOTE})")
    axes[1][0].set_title(f"JW per-instance adversaries (n={len(adversary)})", fontsize=10)
    fig.suptitle(f"{per['dataset'].iat[0]}: {per['model'].iat[0]} seed {per['base_seed'].iat[0]}"
                 ", seed variance against JW's adversaries (test)")
    fig.tight_layout()
    save_figure(fig, pdf_path, png_path)
