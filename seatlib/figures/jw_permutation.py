"""JW Figure: median output change under 100 attention permutations, by max-attention bin and
predicted class."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from seatlib.figures.common import save_figure, violins_by_bin
from seatlib.metrics import max_attention_bin


def plot_permutation(perm: pd.DataFrame, pdf, png) -> None:
    fig, ax = plt.subplots(figsize=(6, 4))
    violins_by_bin(ax, perm["median_tvd"], max_attention_bin(perm["max_attention"]),
                   perm["pred"])
    ax.set_xlabel("median output change (TVD) over permutations")
    ax.set_ylabel("max attention")
    ax.set_title(f"permuted attention: {perm['dataset'].iat[0]} {perm['model'].iat[0]} "
                 f"(median {perm['median_tvd'].median():.3f})")
    fig.tight_layout()
    save_figure(fig, pdf, png)
