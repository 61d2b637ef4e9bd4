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
the call changes: ``torch.lstm`` with one direction's weights, and for the tanh RNN a recurrence
with a hand-written backward (``_TanhRecurrence``).
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


class _TanhRecurrence(torch.autograd.Function):
    """h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), h_{-1} = 0, over x (B, L, E).

    The input projection is one matmul over all positions; the loop over positions does one
    in-place addmm and tanh forward, and one mm and one in-place addcmul backward
    (back-propagation through time by hand); the weight gradients are then one matmul each over
    all positions instead of one small matmul per step. ``torch.rnn_tanh`` on the CPU records an
    autograd node per step and does two small matmuls per step backward."""

    @staticmethod
    def forward(ctx, x, w_ih, w_hh, b_ih, b_hh):
        b, l_max, _ = x.shape
        proj = torch.addmm(b_ih + b_hh, x.reshape(b * l_max, -1), w_ih.t())
        out = proj.view(b, l_max, -1).transpose(0, 1).contiguous()  # (L, B, H), then h_t
        w_hh_t = w_hh.t()
        out[0].tanh_()
        for t in range(1, l_max):
            out[t].addmm_(out[t - 1], w_hh_t).tanh_()
        ctx.save_for_backward(x, w_ih, w_hh, out)
        return out.transpose(0, 1)  # (B, L, H), a view of the time-major states

    @staticmethod
    def backward(ctx, grad_out):
        x, w_ih, w_hh, out = ctx.saved_tensors
        l_max, b, hidden = out.shape
        slope = 1.0 - out * out  # tanh' at every step
        # dz_t = (g_t + dh_{t+1}) * slope_t with dh_{t+1} = dz_{t+1} W_hh: g * slope for all
        # steps at once, then one addcmul and one mm per step
        dz = grad_out.transpose(0, 1).contiguous().mul_(slope)  # (L, B, H)
        for t in range(l_max - 2, -1, -1):
            dz[t].addcmul_(dz[t + 1] @ w_hh, slope[t])
        dz_flat = dz.transpose(0, 1).reshape(b * l_max, hidden)  # (B*L, H), batch-major
        need = ctx.needs_input_grad
        dx = (dz_flat @ w_ih).view(b, l_max, -1) if need[0] else None
        dw_ih = dz_flat.t() @ x.reshape(b * l_max, -1) if need[1] else None
        dw_hh = (dz[1:].reshape(-1, hidden).t() @ out[:-1].reshape(-1, hidden)
                 if need[2] else None)
        db = dz.sum((0, 1)) if need[3] or need[4] else None
        return dx, dw_ih, dw_hh, db if need[3] else None, db if need[4] else None


def rnn_padded(module: torch.nn.RNN, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """A one-layer unidirectional batch-first tanh RNN over padded x (B, L, E) -> (B, L, H),
    zeros at PAD."""
    out = _TanhRecurrence.apply(x, *_direction_weights(module, ""))
    return out * present_mask(lengths.to(x.device), x.shape[1]).unsqueeze(-1).to(out.dtype)
