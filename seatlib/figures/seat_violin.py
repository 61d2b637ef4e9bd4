"""Attention JSD under embedding PGD, binned by the clean maximum attention weight (Jain &
Wallace style), split by predicted class; one panel per method."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seatlib.figures.common import (
    BIN_LABELS,
    JSD_UNIT,
    class_color,
    color_violin,
    label_names,
    save_figure,
)
from seatlib.figures.seat_common import LABELS, method_color, ordered
from seatlib.metrics import MAX_ATTENTION_BINS

FLOOR = 1e-12  # JSD values are drawn on a log10 scale


def binned(df: pd.DataFrame, radius: float) -> pd.DataFrame:
    d = df[np.isclose(df["radius"], radius)].copy()
    edges = np.asarray(MAX_ATTENTION_BINS)
    d["bin"] = np.clip(np.searchsorted(edges, d["max_attention"], side="right") - 1, 0,
                       len(edges) - 2)
    d["log_jsd"] = np.log10(np.maximum(d["jsd"].to_numpy(), FLOOR))
    return d


def plot_violin(df: pd.DataFrame, radius: float, methods: list[str], pdf_path,
                png_path, class_names=None) -> None:
    """Bodies coloured by predicted class; the median and extrema lines of a panel in its
    method's colour (``method_color``)."""
    d = binned(df, radius)
    n_cls = int(df["pred"].max()) + 1 if len(df) else 2
    names = label_names(df["dataset"].iat[0] if len(df) else "", max(n_cls, 2), class_names)
    present = ordered(d["method"], methods)
    ncol = min(4, max(len(present), 1))
    nrow = max(math.ceil(len(present) / ncol), 1)
    fig, axes = plt.subplots(nrow, ncol, figsize=(max(3.6 * ncol, 6.4), 3.2 * nrow + 0.9),
                             sharey=True, squeeze=False)
    edges = MAX_ATTENTION_BINS
    classes = list(range(len(names)))
    colors = {c: class_color(c) for c in classes}
    width = 0.72 / len(classes)
    for ax, m in zip(axes.flat, present, strict=False):
        dm = d[d["method"] == m]
        for cls in classes:
            offset = (cls - (len(classes) - 1) / 2) * width
            for b in range(len(edges) - 1):
                vals = dm.loc[(dm["bin"] == b) & (dm["pred"] == cls), "log_jsd"].to_numpy()
                pos = b + offset
                if len(vals) >= 2 and np.ptp(vals) > 0:
                    parts = ax.violinplot(vals, positions=[pos], widths=width * 0.95,
                                          showmedians=True)
                    color_violin(parts, colors[cls], method_color(m))
                elif len(vals):
                    ax.plot(np.full(len(vals), pos), vals, "o", color=colors[cls], ms=3)
        ax.set_xticks(range(len(edges) - 1),
                      [f"{lab}\nn={int((dm['bin'] == b).sum())}"
                       for b, lab in enumerate(BIN_LABELS)], fontsize=7)
        ax.set_title(f"{LABELS.get(m, m)} (n={len(dm)})")
        ax.set_xlabel("max attention (clean)")
        ax.grid(alpha=0.3, axis="y")
    for ax in axes.flat[len(present):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel(f"log10 attention JSD ({JSD_UNIT})")
    handles = [plt.Line2D([], [], color=colors[c], lw=6, alpha=0.6) for c in classes]
    counts = [int((d["pred"] == c).sum()) for c in classes]
    fig.legend(handles, [f"predicted {names[c]} (n={n})" for c, n in zip(classes, counts,
                                                                        strict=True)],
               loc="upper center", bbox_to_anchor=(0.5, 1.0 - 0.45 / fig.get_figheight()),
               ncol=len(classes), fontsize=8, frameon=False)
    title = (f"{d['dataset'].iat[0]} {d['encoder'].iat[0]}: " if len(d) else "")
    fig.suptitle(f"{title}attention JSD under embedding PGD (radius {radius:g})", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.75 / fig.get_figheight()))
    save_figure(fig, pdf_path, png_path)
