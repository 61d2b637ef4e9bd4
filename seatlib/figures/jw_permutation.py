"""JW Figure: median output change under 100 attention permutations, by max-attention bin and
predicted class."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from seatlib.figures.common import TVD_NOTE, label_names, save_figure, violins_by_bin
from seatlib.metrics import max_attention_bin


def plot_permutation(perm: pd.DataFrame, pdf, png, class_names=None) -> None:
    names = label_names(perm["dataset"].iat[0], int(perm["pred"].max()) + 1,
                        class_names)
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    violins_by_bin(ax, perm["median_tvd"], max_attention_bin(perm["max_attention"]),
                   perm["pred"], names)
    ax.set_xlabel(f"median output change over permutations (TVD, {TVD_NOTE})")
    ax.set_ylabel("max attention")
    ax.set_title(f"permuted attention: {perm['dataset'].iat[0]} {perm['model'].iat[0]} "
                 f"(test, n={len(perm)}, median {perm['median_tvd'].median():.3f})", fontsize=10)
    fig.tight_layout()
    save_figure(fig, pdf, png)
