"""Per-instance divergences between two models' outputs (attention KL with a floored reference).

Attention rows follow the ``predictions`` table: one weight per position of
``[SOS] tokens [EOS]``, 0 at SOS and EOS. Divergences run over the real tokens only
(positions 1..L-2), in float64.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from seatlib.batching import pad_rows, real_mask
from seatlib.divergence import jsd, kl, tvd

# a floor for the reference attention inside KL at real tokens, so that a weight which
# underflowed to exactly 0 gives a large finite KL instead of +inf (JW add 1e-10 in their logs)
KL_FLOOR = 1e-10


def safe_reference(reference: torch.Tensor, real_mask: torch.Tensor,
                   floor: float = KL_FLOOR) -> torch.Tensor:
    """The reference attention with a floor at real tokens and 1 elsewhere: mask before any log.

    Where the mask is False the KL term is dropped anyway; putting 1 there (instead of 0) keeps
    every logarithm finite, so neither the value nor the gradient can become NaN.
    """
    one = torch.ones((), dtype=reference.dtype, device=reference.device)
    return torch.where(real_mask, reference.clamp_min(floor), one)


def attention_kl(attention: torch.Tensor, reference: torch.Tensor, real_mask: torch.Tensor,
                 floor: float = KL_FLOOR) -> torch.Tensor:
    """KL(attention || reference) over real tokens, (B, L) -> (B,); finite, differentiable."""
    zero = torch.zeros((), dtype=attention.dtype, device=attention.device)
    p = torch.where(real_mask, attention, zero)
    return kl(p, safe_reference(reference, real_mask, floor), mask=real_mask)


def divergences(attn_a, attn_b, probs_a, probs_b, floor: float = KL_FLOOR) -> dict:
    """Per-instance JSD(a, b), KL(a || b) over real tokens and TVD of the class probabilities.

    attn_a, attn_b: sequences of 1-D arrays (same length per instance); probs_*: (N, C).
    """
    lengths = np.array([len(a) for a in attn_a])
    other = np.array([len(b) for b in attn_b])
    if len(lengths) != len(other):
        raise ValueError(f"attention lists have {len(lengths)} and {len(other)} rows")
    bad = np.flatnonzero(lengths != other)
    if len(bad):
        i = bad[0]
        raise ValueError(f"attention row {i} has length {lengths[i]} in one model and "
                         f"{other[i]} in the other (different tokenisation?)")
    a = pad_rows(attn_a)
    b = pad_rows(attn_b, a.shape[1])
    real = real_mask(lengths, a.shape[1])
    pa = torch.as_tensor(np.asarray(probs_a), dtype=torch.float64)
    pb = torch.as_tensor(np.asarray(probs_b), dtype=torch.float64)
    return {
        "jsd": jsd(a, b, mask=real).numpy(),
        "kl": attention_kl(a, b, real, floor).numpy(),
        "tvd": tvd(pa, pb).numpy(),
    }


def align(base: pd.DataFrame, other: pd.DataFrame, what: str) -> pd.DataFrame:
    """``other`` reordered to ``base``'s example_id order; an error if the ids differ."""
    missing = set(base["example_id"]) - set(other["example_id"])
    if missing or len(other) != len(base):
        raise ValueError(f"{what}: predictions cover different examples than the base model's "
                         f"({len(missing)} base ids missing, {len(other)} vs {len(base)} rows)")
    return other.set_index("example_id").loc[base["example_id"]].reset_index()


def compare_to_base(base: pd.DataFrame, other: pd.DataFrame, what: str = "model") -> pd.DataFrame:
    """Per-instance divergences of ``other`` from ``base`` (both "predictions" frames)."""
    other = align(base, other, what)
    d = divergences(list(other["attention"]), list(base["attention"]),
                    np.stack(other["prob"].to_numpy()), np.stack(base["prob"].to_numpy()))
    return pd.DataFrame({"example_id": base["example_id"].to_numpy(), **d})
