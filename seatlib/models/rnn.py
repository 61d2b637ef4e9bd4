"""One-layer unidirectional tanh RNN encoder (SEAT's ``simple-rnn``)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class RNNEncoder(nn.Module):
    def __init__(self, embed_dim: int, hidden_size: int = 128):
        super().__init__()
        self.rnn = nn.RNN(embed_dim, hidden_size, batch_first=True, nonlinearity="tanh")
        self.output_dim = hidden_size

    def forward(self, emb: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        # emb (B, L, E), lengths (B,) -> (B, L, H), zeros at PAD
        packed = pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=emb.shape[1])
        return out
