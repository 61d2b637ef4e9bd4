"""Planted evidence: precision@k of every explainer per model (95% intervals), and ERASER's
comprehensiveness AOPC against it (do the usual metrics agree with the truth?)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from seatlib.figures.common import save_figure


def plot_truth_scores(scores: pd.DataFrame, pdf_path, png_path) -> None:
    groups = list(scores.groupby(["dataset", "variant", "model"], sort=True))
    n = max(len(groups), 1)
    fig, axes = plt.subplots(2, n, figsize=(4.2 * n, 7.5), squeeze=False)
    if not groups:
        axes[0, 0].text(0.5, 0.5, "no model passed its check", ha="center", va="center")
    for j, ((dataset, variant, model), g) in enumerate(groups):
        g = g.sort_values("rank_truth", ascending=False)
        ax = axes[0, j]
        err = [g["precision_at_k"] - g["precision_at_k_lo"],
               g["precision_at_k_hi"] - g["precision_at_k"]]
        ax.barh(g["explainer"], g["precision_at_k"], xerr=err, color="tab:blue", alpha=0.8)
        ax.set_xlim(0, 1.05)
        ax.set_xlabel("precision@k (k = planted)")
        ax.set_title(f"{dataset} / {variant}\n{model}", fontsize=9)
        ax = axes[1, j]
        ax.errorbar(g["precision_at_k"], g["comprehensiveness_aopc"],
                    yerr=[g["comprehensiveness_aopc"] - g["comprehensiveness_aopc_lo"],
                          g["comprehensiveness_aopc_hi"] - g["comprehensiveness_aopc"]],
                    fmt="o", ms=4, color="tab:red")
        for _, r in g.iterrows():
            ax.annotate(r["explainer"], (r["precision_at_k"], r["comprehensiveness_aopc"]),
                        fontsize=6, xytext=(2, 2), textcoords="offset points")
        ax.set_xlabel("precision@k (truth)")
        ax.set_ylabel("comprehensiveness AOPC")
    for ax in axes[1, len(groups):]:
        ax.axis("off")
    fig.tight_layout()
    save_figure(fig, pdf_path, png_path)
