"""JW Figure: mean tau +- sd between attention and gradient / LOO, per encoder and dataset."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seatlib.figures.common import save_figure


def plot_tau_bars(summary: pd.DataFrame, pdf, png, methods=("gradient", "loo")) -> None:
    overall = summary[(summary["group"] == "overall") & (summary["method_a"] == "attention")]
    fig, axes = plt.subplots(1, len(methods), figsize=(5.5 * len(methods), 3.5), squeeze=False)
    for ax, method in zip(axes[0], methods, strict=True):
        sel = overall[overall["method_b"] == method].sort_values(["dataset", "model"])
        labels = [f"{d} {m}" for d, m in zip(sel["dataset"], sel["model"], strict=True)]
        y = np.arange(len(sel))
        ax.barh(y, sel["mean_tau"], xerr=sel["std_tau"], color=[
            "C0" if m.startswith("bilstm") else "C1" for m in sel["model"]], alpha=0.8)
        ax.set_yticks(y, labels)
        ax.set_xlim(-0.2, 1)
        ax.axvline(0, color="k", lw=0.6)
        ax.set_xlabel(f"mean Kendall tau(attention, {method}) +- sd")
    fig.tight_layout()
    save_figure(fig, pdf, png)
