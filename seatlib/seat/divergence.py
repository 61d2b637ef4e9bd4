"""Per-instance divergences (every metric is a mean of these, never a batch sum).

- ``tvd(p, q)``: total variation 0.5 * sum_c |p_c - q_c| between class distributions. For a
  binary head this is |p_1 - q_1|; the authors' ``batch_tvd`` gives half of it (spec 10.4).
- ``jsd(a, b)``: Jensen-Shannon divergence (natural log) between attention vectors, clamped to
  [0, 1] with a 1e-10 epsilon and summed over positions, as the authors compute it.
- ``sens``: the area under prediction change over a list of radii (spec section 4).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

EPS = 1e-10


def tvd(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """(B, C), (B, C) -> (B,)."""
    return 0.5 * (p - q).abs().sum(-1)


def jsd(a: torch.Tensor, b: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """(B, L), (B, L) attention (0 at masked positions) -> (B,) JSD in nats."""
    a = a.clamp(0, 1)
    b = b.clamp(0, 1)
    m = 0.5 * (a + b)
    kl_am = (a * ((a + eps) / (m + eps)).log()).sum(-1)
    kl_bm = (b * ((b + eps) / (m + eps)).log()).sum(-1)
    return 0.5 * (kl_am + kl_bm)


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
