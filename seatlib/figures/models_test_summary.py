"""Test-set summary: confusion matrix and max attention per predicted class."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seatlib.figures.common import label_names, save_figure


def confusion(labels: np.ndarray, preds: np.ndarray, n_classes: int) -> np.ndarray:
    m = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(m, (labels, preds), 1)
    return m


def plot_test_summary(pred: pd.DataFrame, pdf_path, png_path, class_names=None) -> None:
    n_classes = len(pred["prob"].iat[0])
    names = label_names(pred["dataset"].iat[0], n_classes, class_names)
    m = confusion(pred["label"].to_numpy(), pred["pred"].to_numpy(), n_classes)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    im = ax1.imshow(m, cmap="Blues")
    fig.colorbar(im, ax=ax1, fraction=0.046, pad=0.04, label="test instances")
    for (i, j), v in np.ndenumerate(m):
        ax1.text(j, i, str(v), ha="center", va="center",
                 color="white" if v > m.max() / 2 else "black")
    ax1.set_xticks(range(n_classes), names)
    ax1.set_yticks(range(n_classes), names)
    ax1.set_xlabel("predicted")
    ax1.set_ylabel("gold")
    acc = np.trace(m) / max(m.sum(), 1)
    ax1.set_title(f"confusion matrix (accuracy {acc:.3f}, n={m.sum()})")
    bins = np.linspace(0, 1, 21)
    for c in range(n_classes):
        vals = pred.loc[pred["pred"] == c, "max_attention"].to_numpy()
        if len(vals):
            ax2.hist(vals, bins=bins, alpha=0.6, density=True,
                     label=f"predicted {names[c]} (n={len(vals)})")
    ax2.set_xlabel("max attention weight")
    ax2.set_ylabel("density")
    ax2.set_title("max attention per predicted class")
    ax2.legend()
    model = f"{pred['dataset'].iat[0]} {pred['model'].iat[0]} seed {pred['seed'].iat[0]}"
    fig.suptitle(f"{model}, test split (n={len(pred)})")
    fig.tight_layout()
    save_figure(fig, pdf_path, png_path)
