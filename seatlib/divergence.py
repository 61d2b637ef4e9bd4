"""Divergences between probability vectors, batched over any leading dimensions.

All functions reduce over ``dim`` (default the last) and broadcast their arguments, so
``jsd(adv (B, K, L), attn[:, None] (B, 1, L))`` gives (B, K) and
``jsd(adv[:, :, None], adv[:, None])`` gives the (B, K, K) cross-divergences.

- ``kl(p, q)`` = sum_i p_i ln(p_i / q_i), with 0 ln(0/q) = 0 and +inf where p_i > 0 = q_i.
- ``jsd(p, q)`` = 1/2 KL(p || m) + 1/2 KL(q || m), m = (p + q) / 2, in nats, so the value lies
  in [0, ln 2] (ln 2 exactly for disjoint supports). It is computed as the equivalent
  H(m) - (H(p) + H(q)) / 2 with entropies H, so each vector's own entropy is computed once
  however far it is broadcast (the K x K cross-divergences of the adversary cost one log each).
  No epsilon is added inside the logarithms (JW add 1e-10 and clamp to [0, 1]).
- ``tvd(p, q)`` = 1/2 sum_i |p_i - q_i|; for a binary model with class probabilities
  [1 - p, p] this is |p - p'|, JW's Delta-y.

``jsd_authors(a, b)`` is SEAT's authors' variant (their code): inputs clamped to [0, 1], a 1e-10
epsilon inside the log ratio, summed over positions; it equals ``jsd`` up to the epsilon.

An optional boolean ``mask`` (broadcastable) restricts every sum to True positions.

Exact zeros (SOS/EOS/PAD positions of an attention vector) follow the ``xlogy`` convention
0 ln 0 = 0. ``torch.xlogy`` itself is avoided in the hot path: it is ~10x slower than ``log`` on
CPU and its gradient is NaN at 0; we use x ln(max(x, tiny)) instead, which is exactly 0 at
x = 0 and has a finite gradient there (the adversarial search back-propagates through it).
"""

from __future__ import annotations

import math

import torch

LN2 = math.log(2.0)


def _xlogx(x: torch.Tensor) -> torch.Tensor:
    """x ln x elementwise, exactly 0 at x = 0, finite gradient everywhere."""
    return x * torch.log(x.clamp_min(torch.finfo(x.dtype).tiny))


def _masked_sum(terms: torch.Tensor, dim: int, mask: torch.Tensor | None) -> torch.Tensor:
    if mask is not None:
        terms = terms * mask.to(terms.dtype)
    return terms.sum(dim)


def kl(p: torch.Tensor, q: torch.Tensor, dim: int = -1,
       mask: torch.Tensor | None = None) -> torch.Tensor:
    """KL(p || q) in nats over ``dim``; positions where ``mask`` is False are left out."""
    p, q = torch.broadcast_tensors(p, q)
    pos = p > 0
    one = torch.ones((), dtype=p.dtype, device=p.device)
    zero = torch.zeros((), dtype=p.dtype, device=p.device)
    p_in, q_in = torch.where(pos, p, one), torch.where(pos, q, one)
    terms = torch.where(pos, p_in * (torch.log(p_in) - torch.log(q_in)), zero)
    if mask is not None:
        terms = torch.where(mask, terms, zero)
    return terms.sum(dim)


def entropy(p: torch.Tensor, dim: int = -1, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Shannon entropy in nats over ``dim`` (0 ln 0 = 0)."""
    return -_masked_sum(_xlogx(p), dim, mask)


def jsd(p: torch.Tensor, q: torch.Tensor, dim: int = -1,
        mask: torch.Tensor | None = None) -> torch.Tensor:
    """Jensen-Shannon divergence in nats over ``dim``, in [0, ln 2]."""
    m = (p + q) / 2
    value = entropy(m, dim, mask) - 0.5 * (entropy(p, dim, mask) + entropy(q, dim, mask))
    return value.clamp(0.0, LN2)


def tvd(p: torch.Tensor, q: torch.Tensor, dim: int = -1,
        mask: torch.Tensor | None = None) -> torch.Tensor:
    """Total variation distance 1/2 sum |p - q| over ``dim``."""
    return 0.5 * _masked_sum((p - q).abs(), dim, mask)


AUTHORS_EPS = 1e-10


def jsd_authors(a: torch.Tensor, b: torch.Tensor, eps: float = AUTHORS_EPS) -> torch.Tensor:
    """SEAT's authors' JSD over the last dim: (B, L), (B, L) attention (0 at masked positions)
    -> (B,) in nats, each input clamped to [0, 1], ``eps`` inside the log ratio."""
    a = a.clamp(0, 1)
    b = b.clamp(0, 1)
    m = 0.5 * (a + b)
    kl_am = (a * ((a + eps) / (m + eps)).log()).sum(-1)
    kl_bm = (b * ((b + eps) / (m + eps)).log()).sum(-1)
    return 0.5 * (kl_am + kl_bm)
