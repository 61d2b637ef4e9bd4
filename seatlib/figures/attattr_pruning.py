"""Accuracy vs fraction of heads pruned: one line per ranking; random as the mean of its seeds
with a min-max band (Hao et al. Fig. 4 style)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from seatlib.figures.common import save_figure  # noqa: E402

STYLE = {"attattr": ("AttAttr", "C3", "o"), "attention": ("max attention", "C0", "s"),
         "taylor": ("Taylor", "C2", "^"), "random": ("random", "0.4", None),
         "attattr_per_example": ("AttAttr, per example", "C1", "x")}


def draw_pruning(pruning: pd.DataFrame, pdf_path, png_path) -> None:
    fig, ax = plt.subplots(figsize=(5.0, 3.4))
    for name, g in pruning.groupby("ranking", sort=False):
        label, color, marker = STYLE.get(name, (name, None, "."))
        stats = g.groupby("fraction")["accuracy"].agg(["mean", "min", "max"]).reset_index()
        x = 100 * stats["fraction"]
        ax.plot(x, stats["mean"], color=color, marker=marker, ms=4, label=label,
                ls="--" if name == "attattr_per_example" else "-")
        if g["ranking_seed"].nunique() > 1:
            ax.fill_between(x, stats["min"], stats["max"], color=color, alpha=0.2, lw=0)
    first = pruning.iloc[0]
    ax.set_xlabel("heads pruned (%)")
    ax.set_ylabel("dev accuracy")
    ax.set_title(f"{first['dataset']} {first['model']} seed {first['seed']}", fontsize=9)
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    save_figure(fig, pdf_path, png_path)
