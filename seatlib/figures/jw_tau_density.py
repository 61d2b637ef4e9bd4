"""JW Figure: densities of tau(attention, gradient), tau(attention, LOO), tau(gradient, LOO)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.stats import gaussian_kde

from seatlib.figures.common import save_figure

PAIRS = ((("attention", "gradient"), "-"), (("attention", "loo"), "--"),
         (("gradient", "loo"), ":"))


def pair_tau(agreement: pd.DataFrame, a: str, b: str) -> np.ndarray:
    """The defined taus of the pair (a, b), in either order."""
    sel = agreement[(((agreement["method_a"] == a) & (agreement["method_b"] == b))
                     | ((agreement["method_a"] == b) & (agreement["method_b"] == a)))
                    & agreement["defined"]]
    return sel["tau"].dropna().to_numpy()


def plot_tau_density(agreement: pd.DataFrame, pdf, png) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.8))
    grid = np.linspace(-1, 1, 400)
    for (a, b), style in PAIRS:
        tau = pair_tau(agreement, a, b)
        if len(tau) > 2 and np.ptp(tau) > 0:
            ax.plot(grid, gaussian_kde(tau)(grid), style,
                    label=f"tau({a}, {b}): mean {tau.mean():.2f} (n={len(tau)})")
    ax.set_xlabel("Kendall tau")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    ax.set_title(f"{agreement['dataset'].iat[0]} {agreement['model'].iat[0]}")
    fig.tight_layout()
    save_figure(fig, pdf, png)
