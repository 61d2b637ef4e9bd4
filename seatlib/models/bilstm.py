"""One-layer bidirectional LSTM encoder (Jain & Wallace's ``rnn``).

Runs on the padded, length-bucketed batch (``seatlib.models.recurrent``): each direction is one
fused ``torch.lstm`` call (oneDNN on the CPU) and the backward direction starts at each row's own
last token, as the packed run did. Parameters live in ``self.lstm`` (an ``nn.LSTM``), so the
state-dict keys (``encoder.lstm.weight_ih_l0`` ... ``_reverse``) are those of every earlier
checkpoint.
"""

from __future__ import annotations

import torch
from torch import nn

from seatlib.models.recurrent import bilstm_padded


class BiLSTMEncoder(nn.Module):
    def __init__(self, embed_dim: int, hidden_size: int = 128):
        super().__init__()
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.output_dim = 2 * hidden_size

    def forward(self, emb: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        # emb (B, L, E), lengths (B,) incl. SOS/EOS -> (B, L, 2H), zeros at PAD
        return bilstm_padded(self.lstm, emb, lengths)
