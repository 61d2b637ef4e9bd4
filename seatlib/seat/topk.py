"""Top-k attention agreement: the differentiable surrogate SEAT trains with, and the true
overlap it is evaluated by. Only real tokens (``real_mask``) can be in a top-k set."""

from __future__ import annotations

import torch


def topk_positions(att: torch.Tensor, real_mask: torch.Tensor, k: int):
    """Indices (B, k') of the k' = min(k, L) largest real-token weights, and a (B, k') mask of
    which are real (rows with fewer than k real tokens have fewer valid indices)."""
    k = min(k, att.shape[-1])
    scores = att.detach().masked_fill(~real_mask, -torch.inf)
    vals, idx = scores.topk(k, dim=-1)
    return idx, torch.isfinite(vals)


def topk_overlap_loss(w_ref: torch.Tensor, w: torch.Tensor, real_mask: torch.Tensor,
                      k: int) -> torch.Tensor:
    """The authors' l1 surrogate per instance (B,):
    (sum_{i in T_k(w_ref)} |w_i - w_ref_i| + sum_{i in T_k(w)} |w_i - w_ref_i|) / (2k).
    The index sets are constants; gradients flow through the gathered values."""
    diff = (w - w_ref).abs()
    total = diff.new_zeros(diff.shape[0])
    for ref in (w_ref, w):
        idx, valid = topk_positions(ref, real_mask, k)
        total = total + (diff.gather(-1, idx) * valid).sum(-1)
    return total / (2 * k)


def topk_set(att: torch.Tensor, real_mask: torch.Tensor, k: int) -> tuple[torch.Tensor,
                                                                          torch.Tensor]:
    """-> (B, L) bool membership of the top-k real tokens, and (B,) the set sizes."""
    idx, valid = topk_positions(att, real_mask, k)
    member = torch.zeros_like(real_mask)
    member.scatter_(-1, idx, valid)
    return member, valid.sum(-1)


def true_topk_overlap(a: torch.Tensor, b: torch.Tensor, real_mask: torch.Tensor,
                      k: int) -> torch.Tensor:
    """|T_k(a) & T_k(b)| / k per instance (B,); with n < k real tokens, k becomes n (and an
    instance without real tokens scores 1)."""
    in_a, n = topk_set(a, real_mask, k)
    in_b, _ = topk_set(b, real_mask, k)
    inter = (in_a & in_b).sum(-1).to(a.dtype)
    return torch.where(n > 0, inter / n.clamp_min(1).to(a.dtype), torch.ones_like(inter))
