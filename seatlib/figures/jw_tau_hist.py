"""JW Figure: histograms of Kendall tau(attention, gradient) and tau(attention, LOO) by
predicted class (30 bins on [-1, 1], normalised per class)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seatlib.figures.common import label_names, save_figure


def plot_tau_hist(agreement: pd.DataFrame, pdf, png, methods=("gradient", "loo"),
                  class_names=None) -> None:
    names = label_names(agreement["dataset"].iat[0], int(agreement["pred"].max()) + 1,
                        class_names)
    fig, axes = plt.subplots(1, len(methods), figsize=(5 * len(methods), 3.6), squeeze=False)
    bins = np.linspace(-1, 1, 31)
    for ax, method in zip(axes[0], methods, strict=True):
        sel = agreement[(agreement["method_a"] == "attention") & (agreement["method_b"] == method)
                        & agreement["defined"]]  # undefined taus are placeholders
        for k, c in enumerate(sorted(sel["pred"].unique())):
            tau = sel.loc[sel["pred"] == c, "tau"].dropna().to_numpy()
            ax.hist(tau, bins=bins, density=True, alpha=0.55, color=f"C{k}",
                    label=f"predicted {names[int(c)]} (n={len(tau)}, mean {tau.mean():.2f})")
        ax.set_xlabel(f"Kendall tau(attention, {method})")
        ax.set_ylabel("density")
        ax.set_xlim(-1, 1)
        ax.legend(fontsize=8)
        ax.set_title(f"n={int(sel['tau'].notna().sum())} test instances", fontsize=9)
    title = f"{agreement['dataset'].iat[0]} {agreement['model'].iat[0]}"
    fig.suptitle(f"attention vs importance: {title}")
    fig.tight_layout()
    save_figure(fig, pdf, png)
