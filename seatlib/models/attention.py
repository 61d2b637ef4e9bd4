"""Attention layers: additive (tanh), scaled dot, and frozen uniform; masked softmax."""

from __future__ import annotations

import math

import torch
from torch import nn


def masked_softmax(scores: torch.Tensor, real_mask: torch.Tensor) -> torch.Tensor:
    """Softmax over the positions where ``real_mask`` is True; exactly 0 elsewhere.

    scores (B, L), real_mask (B, L) bool -> (B, L). A finite fill value (not -inf) keeps
    DeepLIFT's finite differences defined at masked positions.
    """
    filled = scores.masked_fill(~real_mask, torch.finfo(scores.dtype).min)
    return torch.softmax(filled, dim=-1) * real_mask


class TanhAttention(nn.Module):
    """Additive attention (Bahdanau): e_t = v^T tanh(W h_t + b)."""

    def __init__(self, hidden_dim: int, attn_dim: int | None = None):
        super().__init__()
        attn_dim = attn_dim or hidden_dim // 2
        self.proj = nn.Linear(hidden_dim, attn_dim)
        self.tanh = nn.Tanh()
        self.v = nn.Linear(attn_dim, 1, bias=False)

    def forward(self, hidden: torch.Tensor, real_mask: torch.Tensor) -> torch.Tensor:
        scores = self.v(self.tanh(self.proj(hidden))).squeeze(-1)  # (B, L)
        return masked_softmax(scores, real_mask)


class DotAttention(nn.Module):
    """Scaled dot attention with a learned query: e_t = w^T h_t / sqrt(d)."""

    def __init__(self, hidden_dim: int):
        super().__init__()
        self.query = nn.Linear(hidden_dim, 1, bias=False)
        self.scale = 1.0 / math.sqrt(hidden_dim)

    def forward(self, hidden: torch.Tensor, real_mask: torch.Tensor) -> torch.Tensor:
        scores = self.query(hidden).squeeze(-1) * self.scale  # (B, L)
        return masked_softmax(scores, real_mask)


class UniformAttention(nn.Module):
    """Wiegreffe & Pinter's frozen baseline: 1/n over the n real tokens, no parameters."""

    def forward(self, hidden: torch.Tensor, real_mask: torch.Tensor) -> torch.Tensor:
        weights = real_mask.to(hidden.dtype)
        return weights / weights.sum(-1, keepdim=True).clamp_min(1.0)


ATTENTIONS = {"tanh": TanhAttention, "dot": DotAttention, "uniform": UniformAttention}


def build_attention(kind: str, hidden_dim: int) -> nn.Module:
    if kind not in ATTENTIONS:
        raise ValueError(f"attention {kind!r} is unknown; expected one of {sorted(ATTENTIONS)}")
    return UniformAttention() if kind == "uniform" else ATTENTIONS[kind](hidden_dim)
