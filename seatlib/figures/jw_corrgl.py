"""JW's CorrGL figures (spec section 6.4): per-instance tau(gradient, LOO) minus tau(attention,
gradient) ("gl - ag") and minus tau(attention, LOO) ("gl - al").

``plot_corrgl``: one dataset, one panel per model, the densities of both differences (JW's
``CorrGL_*`` KDEs). ``plot_corrgl_summary``: the summary bar chart (JW's
``CorrGL-AG_summary``), mean difference +- sd per dataset and model.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.stats import gaussian_kde

from seatlib.figures.common import save_figure
from seatlib.jw.corrgl import DIFFERENCES

STYLES = {"gl - ag": ("-", "C0"), "gl - al": ("--", "C3")}


def plot_corrgl(instances: pd.DataFrame, pdf, png) -> None:
    """instances: ``seatlib.jw.corrgl.corrgl_instances`` of one dataset's models."""
    models = sorted(instances["model"].unique())
    fig, axes = plt.subplots(1, len(models), figsize=(5 * len(models), 3.6), squeeze=False,
                             sharey=True)
    grid = np.linspace(-2, 2, 400)
    for ax, model in zip(axes[0], models, strict=True):
        for name, _ in DIFFERENCES:
            v = instances.loc[(instances["model"] == model)
                              & (instances["difference"] == name), "value"].to_numpy()
            style, color = STYLES[name]
            label = f"{name}: mean {v.mean():.2f}, >0 {100 * (v > 0).mean():.0f}% (n={len(v)})"
            if len(v) > 2 and np.ptp(v) > 0:
                ax.plot(grid, gaussian_kde(v)(grid), style, color=color, label=label)
            elif len(v):
                ax.axvline(float(v.mean()), ls=style, color=color, label=label)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_xlim(-2, 2)
        ax.set_xlabel("per-instance difference of Kendall tau")
        ax.set_title(model, fontsize=10)
        ax.legend(fontsize=7, loc="upper left")
    axes[0][0].set_ylabel("density")
    fig.suptitle(f"{instances['dataset'].iat[0]}: tau(gradient, LOO) minus tau(attention, "
                 "gradient) (gl - ag) and minus tau(attention, LOO) (gl - al)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, pdf, png)


def plot_corrgl_summary(summary: pd.DataFrame, pdf, png) -> None:
    """summary: table "jw_corrgl"."""
    keys = summary[["dataset", "model"]].drop_duplicates().sort_values(["dataset", "model"])
    labels = [f"{d} {m}" for d, m in zip(keys["dataset"], keys["model"], strict=True)]
    y = np.arange(len(keys))
    fig, ax = plt.subplots(figsize=(6.5, 0.6 * len(keys) + 1.6))
    height = 0.38
    for j, (name, _) in enumerate(DIFFERENCES):
        sel = keys.merge(summary[summary["difference"] == name], on=["dataset", "model"],
                         how="left")
        _, color = STYLES[name]
        ax.barh(y + (j - 0.5) * height, sel["mean"], height=height, xerr=sel["std"],
                color=color, alpha=0.8, label=name)
    ax.set_yticks(y, labels)
    ax.axvline(0, color="k", lw=0.6)
    ax.set_xlabel("mean per-instance difference of Kendall tau +- sd")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("gradient-vs-LOO agreement minus attention-vs-either", fontsize=10)
    fig.tight_layout()
    save_figure(fig, pdf, png)
