"""Non-contextual encoder: tanh(Linear(e_t)) per token (Jain & Wallace's ``average``)."""

from __future__ import annotations

import torch
from torch import nn


class AverageEncoder(nn.Module):
    def __init__(self, embed_dim: int, hidden_size: int = 128):
        super().__init__()
        self.proj = nn.Linear(embed_dim, hidden_size)
        self.tanh = nn.Tanh()
        self.output_dim = hidden_size

    def forward(self, emb: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        # emb (B, L, E) -> (B, L, H); each position sees only its own word
        return self.tanh(self.proj(emb))
