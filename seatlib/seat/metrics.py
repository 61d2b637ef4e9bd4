"""SEAT's own metric helpers (the divergences themselves live in ``seatlib.divergence``:
``tvd`` between class distributions, ``jsd_authors`` between attention vectors, as the authors
compute it; spec 10.4 on the authors' ``batch_tvd``, which gives half of TVD).

- ``sens``: the area under prediction change over a list of radii (spec section 4).
- ``one_hot_labels``: gold labels as the class distribution the baselines' adversaries move
  away from.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch


def one_hot_labels(labels: torch.Tensor, n_classes: int, dtype=torch.float32) -> torch.Tensor:
    return torch.nn.functional.one_hot(labels.long(), n_classes).to(dtype)


def sens(radii: Sequence[float], mean_change: Sequence[float]) -> float:
    """The authors' Sens (``eval_sens``, the journal's eq. 10): for each radius r, r/2 times
    the mean prediction change at r, averaged over the radii. On the halving grid
    0.1, 0.05, ..., 0.003125 the weight r/2 is the width of the interval (r/2, r], so this is a
    right Riemann sum of the change-vs-radius curve divided by the number of radii."""
    r = np.asarray(radii, dtype=float)
    v = np.asarray(mean_change, dtype=float)
    if r.shape != v.shape or r.size == 0:
        raise ValueError(f"sens: {r.size} radii and {v.size} values; expected the same, > 0")
    return float(np.mean(r / 2 * v))
