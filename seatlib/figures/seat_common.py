"""Shared look of the SEAT figures: one colour and label per method."""

from __future__ import annotations

import matplotlib.pyplot as plt

from seatlib.seat.objectives import METHODS

LABELS = {"vanilla": "Vanilla", "seat": "SEAT", "seat-released": "SEAT (released code)",
          "word-at": "Word-AT", "word-iat": "Word-iAT", "attention-at": "Att-AT",
          "attention-iat": "Att-iAT", "attention-rp": "Att-RP"}


def method_color(method: str):
    cmap = plt.get_cmap("tab10")
    return cmap(METHODS.index(method) % 10) if method in METHODS else "grey"


def ordered(methods_present, order) -> list[str]:
    """Methods in config order, then any others found in the data."""
    present = list(dict.fromkeys(methods_present))
    return [m for m in order if m in present] + [m for m in present if m not in order]
