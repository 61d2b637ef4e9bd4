"""One-layer unidirectional tanh RNN encoder (SEAT's ``simple-rnn``).

Runs on the padded, length-bucketed batch (``seatlib.models.recurrent``): left to right, the
states at real positions are those of a packed run; PAD positions are zeroed. Parameters live in
``self.rnn`` (an ``nn.RNN``): the state-dict keys are unchanged.
"""

from __future__ import annotations

import torch
from torch import nn

from seatlib.models.recurrent import rnn_padded


class RNNEncoder(nn.Module):
    def __init__(self, embed_dim: int, hidden_size: int = 128):
        super().__init__()
        self.rnn = nn.RNN(embed_dim, hidden_size, batch_first=True, nonlinearity="tanh")
        self.output_dim = hidden_size

    def forward(self, emb: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        # emb (B, L, E), lengths (B,) -> (B, L, H), zeros at PAD
        return rnn_padded(self.rnn, emb, lengths)
