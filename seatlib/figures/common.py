"""Saving figures as PDF and PNG, atomically and reproducibly."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from seatlib.io import atomic_path


def save_figure(fig, pdf_path, png_path, dpi: int = 150) -> None:
    with atomic_path(pdf_path) as tmp:
        fig.savefig(tmp, format="pdf", metadata={"CreationDate": None, "ModDate": None})
    with atomic_path(png_path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)


BIN_LABELS = ("[0, .25)", "[.25, .5)", "[.5, .75)", "[.75, 1]")


def violins_by_bin(ax, values, bins, classes, class_names=None, vert=False) -> None:
    """Violins of ``values`` per max-attention bin (axis) and class (offset hue), JW style."""
    values, bins, classes = map(np.asarray, (values, bins, classes))
    uniq = sorted(set(classes.tolist()))
    width = 0.8 / max(len(uniq), 1)
    for j, c in enumerate(uniq):
        data, pos = [], []
        for b in range(4):
            sel = values[(bins == b) & (classes == c)]
            if len(sel) >= 2:
                data.append(sel)
                pos.append(b - 0.4 + width * (j + 0.5))
        if data:
            parts = ax.violinplot(data, positions=pos, widths=width * 0.95, vert=vert,
                                  showmedians=True)
            color = f"C{j}"
            for body in parts["bodies"]:
                body.set_facecolor(color)
                body.set_alpha(0.6)
            name = class_names[c] if class_names else c
            ax.plot([], [], color=color, lw=6, alpha=0.6, label=f"predicted {name}")
    ticks = (ax.set_yticks if not vert else ax.set_xticks)
    ticks(range(4), BIN_LABELS)
    ax.legend(loc="best", fontsize=8)
