"""Convolutional encoder: kernels (1, 3, 5, 7), hidden_size // 4 filters each, ReLU."""

from __future__ import annotations

import torch
from torch import nn


class CNNEncoder(nn.Module):
    def __init__(self, embed_dim: int, hidden_size: int = 128, kernels=(1, 3, 5, 7)):
        super().__init__()
        filters = hidden_size // len(kernels)
        self.convs = nn.ModuleList(
            nn.Conv1d(embed_dim, filters, k, padding=(k - 1) // 2) for k in kernels
        )
        self.relu = nn.ReLU()
        self.output_dim = filters * len(kernels)

    def forward(self, emb: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        # emb (B, L, E) -> (B, L, H); PAD positions zeroed
        x = emb.transpose(1, 2)  # (B, E, L)
        out = self.relu(torch.cat([conv(x) for conv in self.convs], dim=1)).transpose(1, 2)
        present = torch.arange(emb.shape[1], device=emb.device)[None, :] < lengths[:, None]
        return out * present.unsqueeze(-1)
