"""JW Figure 1 style: original vs adversarial attention over one sentence's tokens."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seatlib.figures.common import JSD_UNIT, example_title, label_names, save_figure


def pick_example(adv: pd.DataFrame, pred: pd.DataFrame, min_tokens: int = 8,
                 max_tokens: int = 25) -> pd.Series:
    """The instance with the largest epsilon-max JSD among sentences of a readable length."""
    merged = adv.merge(pred[["example_id", "tokens", "prob"]], on="example_id")
    n = merged["tokens"].map(len) - 2
    pool = merged[(n >= min_tokens) & (n <= max_tokens)]
    pool = pool if len(pool) else merged
    return pool.sort_values(["emax_jsd", "example_id"], ascending=[False, True]).iloc[0]


def plot_adversary_example(adv: pd.DataFrame, pred: pd.DataFrame, pdf, png,
                           class_names=None) -> None:
    row = pick_example(adv, pred)
    names = label_names(row["dataset"], len(row["prob"]), class_names)
    tokens = list(row["tokens"])[1:-1]
    weights = np.stack([np.asarray(row["attention"])[1:-1],
                        np.asarray(row["adversarial_attention"])[1:-1]])
    fig, ax = plt.subplots(figsize=(max(6, 0.55 * len(tokens)), 2.2))
    im = ax.imshow(weights, cmap="Reds", aspect="auto", vmin=0, vmax=weights.max())
    fig.colorbar(im, ax=ax, fraction=0.03, pad=0.01, label="attention weight")
    ax.set_xticks(range(len(tokens)), tokens, rotation=60, ha="right", fontsize=9)
    ax.set_yticks([0, 1], ["original", "adversarial"])
    for (i, j), w in np.ndenumerate(weights):
        ax.text(j, i, f"{w:.2f}", ha="center", va="center", fontsize=6)
    p = float(np.asarray(row["prob"])[1])
    name = example_title(row["dataset"], row["example_id"], row["split"])
    ax.set_title(f"{name} ({row['model']}): "
                 f"JSD {row['emax_jsd']:.3f} {JSD_UNIT}, output change (TVD) "
                 f"{row['emax_tvd']:.3f}, P({names[1]}) = {p:.2f}", fontsize=9)
    fig.tight_layout()
    save_figure(fig, pdf, png)
