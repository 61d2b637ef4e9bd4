"""Layer x head heatmaps of each head importance (one panel per ranking, first random seed)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from seatlib.figures.common import save_figure  # noqa: E402

TITLES = {"attattr": "AttAttr (sum of max attribution)", "attention": "max attention",
          "taylor": "Taylor", "random": "random"}


def draw_heads(importance: pd.DataFrame, pdf_path, png_path) -> None:
    first_seed = importance.groupby("ranking")["ranking_seed"].transform("min")
    imp = importance[importance["ranking_seed"] == first_seed]
    names = list(dict.fromkeys(imp["ranking"]))
    L, H = int(imp["layer"].max()) + 1, int(imp["head"].max()) + 1
    fig, axes = plt.subplots(1, len(names), figsize=(2.6 * len(names), 0.35 * L + 1.3),
                             squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        g = imp[imp["ranking"] == name].sort_values(["layer", "head"])
        grid = g["importance"].to_numpy().reshape(L, H)
        im = ax.imshow(grid, cmap="viridis", aspect="auto", origin="lower")
        ax.set_title(TITLES.get(name, name), fontsize=8)
        ax.set_xlabel("head")
        ax.set_ylabel("layer")
        ax.set_xticks(np.arange(H))
        ax.set_yticks(np.arange(L))
        ax.tick_params(labelsize=6)
        fig.colorbar(im, ax=ax, fraction=0.05)
    fig.tight_layout()
    save_figure(fig, pdf_path, png_path)
