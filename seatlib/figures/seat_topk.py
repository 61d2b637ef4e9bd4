"""Top-k surrogate loss and true top-k overlap with the vanilla attention vs epoch."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import MaxNLocator

from seatlib.figures.common import data_limits, save_figure
from seatlib.figures.seat_common import LABELS, method_color, ordered


def plot_topk_epochs(df: pd.DataFrame, k: int, methods: list[str], pdf_path, png_path) -> None:
    mean = df.groupby(["method", "epoch"])[["train_topk_loss", "train_topk_overlap",
                                            "dev_topk_loss", "dev_topk_overlap"]].mean()
    mean = mean.reset_index()
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True)
    panels = [("train_topk_loss", f"train: top-{k} surrogate loss"),
              ("dev_topk_loss", f"dev: top-{k} surrogate loss"),
              ("train_topk_overlap", f"train: true top-{k} overlap"),
              ("dev_topk_overlap", f"dev: true top-{k} overlap")]
    for m in ordered(mean["method"], methods):
        d = mean[mean["method"] == m].sort_values("epoch")
        for ax, (col, _) in zip(axes.flat, panels, strict=True):
            ax.plot(d["epoch"] + 1, d[col], marker="o", color=method_color(m),
                    label=LABELS.get(m, m))
    for ax, (_, title) in zip(axes.flat, panels, strict=True):
        ax.set_title(title)
        ax.grid(alpha=0.3)
    for ax, col in zip(axes[1], ("train_topk_overlap", "dev_topk_overlap"), strict=True):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(*data_limits(mean[col]))  # 0-1 unless the points use a small part of it
    axes[0, 0].set_yscale("log")
    axes[0, 1].set_yscale("log")
    axes[0, 1].legend(fontsize=8)
    n = df.groupby("method")["seed"].nunique().max()
    fig.suptitle(f"{df['dataset'].iat[0]} {df['encoder'].iat[0]}: agreement with the vanilla "
                 f"attention during training (mean over {n} seed(s); train: running over the "
                 "epoch; dev: at its end)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, pdf_path, png_path)
