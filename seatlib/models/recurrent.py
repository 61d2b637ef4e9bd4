"""Padded recurrences for the word encoders: the one place where variable lengths are handled.

Batches are length-bucketed (``seatlib.batching``), so padding is short and packing the batch
(``pack_padded_sequence``) is pure overhead: on the CPU a packed ``nn.LSTM`` cannot use oneDNN's
fused LSTM and runs its own per-step loop, forward and backward, about twice as slow at one
thread as the same LSTM on the padded batch. Here the recurrences run on the padded batch:

- the forward direction runs left to right over all ``L`` positions; the states at PAD positions
  come after every real one, so the real states are exactly those of the packed run;
- the backward direction must start at each row's last token (its EOS), not at the batch's last
  column: each row is reversed *within its length* (one gather of a permutation that is its own
  inverse), run left to right, and gathered back;
- PAD positions are zeroed, as ``pad_packed_sequence`` leaves them.

The parameters stay in the ``nn.LSTM`` / ``nn.RNN`` module (same state-dict keys as before); only
the call changes, through ``torch.lstm`` / ``torch.rnn_tanh`` with one direction's weights.
"""

from __future__ import annotations

import torch


def present_mask(lengths: torch.Tensor, length: int) -> torch.Tensor:
    """(B, length) bool: True at the first ``lengths[b]`` positions of row b."""
    return torch.arange(length, device=lengths.device)[None, :] < lengths[:, None]


def reverse_within_length(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """x (B, L, D): row b's first ``lengths[b]`` positions in reverse order, PAD left in place.
    Applying it twice gives ``x`` back."""
    b, l_max, d = x.shape
    pos = torch.arange(l_max, device=x.device)[None, :]
    lengths = lengths.to(x.device)[:, None]
    index = torch.where(pos < lengths, lengths - 1 - pos, pos)  # (B, L), a permutation per row
    return x.gather(1, index.unsqueeze(-1).expand(b, l_max, d))


def _direction_weights(module: torch.nn.RNNBase, suffix: str) -> list[torch.Tensor]:
    return [getattr(module, f"{name}_l0{suffix}")
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]


def _train_flag(module: torch.nn.RNNBase) -> bool:
    # oneDNN keeps what its backward needs only in "train" mode; dropout is 0 (one layer), so the
    # flag changes nothing else: set it whenever a backward may follow (e.g. attribution in eval)
    return module.training or torch.is_grad_enabled()


def lstm_direction(module: torch.nn.LSTM, x: torch.Tensor, suffix: str = "") -> torch.Tensor:
    """One direction (``""`` forward weights, ``"_reverse"`` the other) of a one-layer
    batch-first LSTM run left to right over x (B, L, E) from zero state -> (B, L, H)."""
    h0 = x.new_zeros(1, x.shape[0], module.hidden_size)
    out, _, _ = torch.lstm(x, (h0, h0), _direction_weights(module, suffix), True, 1, 0.0,
                           _train_flag(module), False, True)
    return out


def bilstm_padded(module: torch.nn.LSTM, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """A one-layer bidirectional batch-first LSTM over padded x (B, L, E) whose rows have
    ``lengths`` -> (B, L, 2H), the packed run's states at real positions, zeros at PAD."""
    forward = lstm_direction(module, x)
    backward = reverse_within_length(
        lstm_direction(module, reverse_within_length(x, lengths), "_reverse"), lengths)
    out = torch.cat([forward, backward], dim=-1)
    return out * present_mask(lengths.to(x.device), x.shape[1]).unsqueeze(-1).to(out.dtype)


def rnn_padded(module: torch.nn.RNN, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """A one-layer unidirectional batch-first tanh RNN over padded x (B, L, E) -> (B, L, H),
    zeros at PAD."""
    h0 = x.new_zeros(1, x.shape[0], module.hidden_size)
    out, _ = torch.rnn_tanh(x, h0, _direction_weights(module, ""), True, 1, 0.0,
                            _train_flag(module), False, True)
    return out * present_mask(lengths.to(x.device), x.shape[1]).unsqueeze(-1).to(out.dtype)
