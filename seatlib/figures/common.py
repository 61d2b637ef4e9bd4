"""Saving figures as PDF and PNG, atomically and reproducibly."""

from __future__ import annotations

import matplotlib.pyplot as plt

from seatlib.io import atomic_path

MAX_ATTENTION_BINS = (0.0, 0.25, 0.5, 0.75, 1.0)


def save_figure(fig, pdf_path, png_path, dpi: int = 150) -> None:
    with atomic_path(pdf_path) as tmp:
        fig.savefig(tmp, format="pdf", metadata={"CreationDate": None, "ModDate": None})
    with atomic_path(png_path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
