"""The padded recurrences (seatlib.models.recurrent) against independent references: each
sentence alone through a hand-written per-timestep loop, and the previous packed nn.LSTM/nn.RNN;
state-dict compatibility; the once-padded training split."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seatlib.batching import PaddedSplit, pad_batch
from seatlib.checkpoint import load_model, save_model
from seatlib.models.bilstm import BiLSTMEncoder
from seatlib.models.recurrent import reverse_within_length
from seatlib.models.rnn import RNNEncoder
from tests.conftest import tiny_model

LENGTHS = [7, 3, 5, 2, 7]
E, H = 6, 5


def _padded_input(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(len(LENGTHS), max(LENGTHS) + 2, E, generator=g)  # 2 extra PAD columns
    return x, torch.tensor(LENGTHS)


def _lstm_loop(x, w_ih, w_hh, b_ih, b_hh):
    """One sentence (T, E) left to right, one timestep at a time -> (T, H)."""
    h = c = torch.zeros(w_hh.shape[1])
    outs = []
    for x_t in x:
        i, f, g, o = (w_ih @ x_t + b_ih + w_hh @ h + b_hh).chunk(4)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outs.append(h)
    return torch.stack(outs)


def _rnn_loop(x, w_ih, w_hh, b_ih, b_hh):
    h = torch.zeros(w_hh.shape[1])
    outs = []
    for x_t in x:
        h = torch.tanh(w_ih @ x_t + b_ih + w_hh @ h + b_hh)
        outs.append(h)
    return torch.stack(outs)


def _reference_bilstm(lstm, x, lengths):
    """Each sentence alone (no padding): forward loop, and the backward loop over the reversed
    sentence, its states flipped back; zeros at PAD."""
    out = torch.zeros(x.shape[0], x.shape[1], 2 * H)
    w = {k: v for k, v in lstm.named_parameters()}
    for b, n in enumerate(lengths.tolist()):
        fwd = _lstm_loop(x[b, :n], w["weight_ih_l0"], w["weight_hh_l0"], w["bias_ih_l0"],
                         w["bias_hh_l0"])
        bwd = _lstm_loop(x[b, :n].flip(0), w["weight_ih_l0_reverse"], w["weight_hh_l0_reverse"],
                         w["bias_ih_l0_reverse"], w["bias_hh_l0_reverse"]).flip(0)
        out[b, :n] = torch.cat([fwd, bwd], -1)
    return out


def _reference_rnn(rnn, x, lengths):
    out = torch.zeros(x.shape[0], x.shape[1], H)
    for b, n in enumerate(lengths.tolist()):
        out[b, :n] = _rnn_loop(x[b, :n], rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0,
                               rnn.bias_hh_l0)
    return out


def _packed(module, x, lengths):
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, _ = module(packed)
    return pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])[0]


def _value_and_grads(fn, module, x):
    """Output, and the gradients of a fixed random weighting of it w.r.t. x and parameters."""
    x = x.clone().requires_grad_(True)
    module.zero_grad(set_to_none=True)
    out = fn(x)
    weights = torch.randn(out.shape, generator=torch.Generator().manual_seed(7))
    (out * weights).sum().backward()
    grads = [x.grad] + [p.grad.clone() for p in module.parameters()]
    module.zero_grad(set_to_none=True)
    return out.detach(), grads


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("kind", ["bilstm", "rnn"])
def test_padded_recurrence_equals_per_sentence_loop_and_packed_run(kind, training):
    torch.manual_seed(1)
    enc = BiLSTMEncoder(E, H) if kind == "bilstm" else RNNEncoder(E, H)
    enc.train(training)  # eval mode with gradients is how attribution methods call it
    module = enc.lstm if kind == "bilstm" else enc.rnn
    reference = _reference_bilstm if kind == "bilstm" else _reference_rnn
    x, lengths = _padded_input()
    fast, fast_g = _value_and_grads(lambda v: enc(v, lengths), module, x)
    loop, loop_g = _value_and_grads(lambda v: reference(module, v, lengths), module, x)
    packed, packed_g = _value_and_grads(lambda v: _packed(module, v, lengths), module, x)
    assert fast.shape == (len(LENGTHS), max(LENGTHS) + 2, enc.output_dim)
    pad = torch.arange(x.shape[1])[None, :] >= lengths[:, None]
    assert torch.all(fast[pad] == 0)
    for ref, ref_g in ((loop, loop_g), (packed, packed_g)):
        torch.testing.assert_close(fast, ref, rtol=1e-5, atol=1e-6)
        for a, b in zip(fast_g, ref_g, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    assert torch.all(fast_g[0][pad] == 0)  # PAD inputs get no gradient


def test_backward_direction_starts_at_each_rows_last_token():
    torch.manual_seed(2)
    enc = BiLSTMEncoder(E, H).eval()
    x, lengths = _padded_input()
    with torch.no_grad():
        out = enc(x, lengths)
        w = dict(enc.lstm.named_parameters())
        for b, n in enumerate(LENGTHS):
            # the reverse state at the last real token has seen that token only
            alone = _lstm_loop(x[b, n - 1 : n], w["weight_ih_l0_reverse"],
                               w["weight_hh_l0_reverse"], w["bias_ih_l0_reverse"],
                               w["bias_hh_l0_reverse"])[0]
            torch.testing.assert_close(out[b, n - 1, H:], alone, rtol=1e-5, atol=1e-6)
        # more PAD columns change nothing at real positions
        wider = torch.cat([x, torch.randn(x.shape[0], 3, E)], 1)
        torch.testing.assert_close(enc(wider, lengths)[:, : x.shape[1]], out, rtol=0, atol=1e-6)


def test_reverse_within_length_by_hand():
    x = torch.arange(8.0).view(2, 4, 1)
    got = reverse_within_length(x, torch.tensor([3, 4]))
    assert got[..., 0].tolist() == [[2, 1, 0, 3], [7, 6, 5, 4]]
    assert torch.equal(reverse_within_length(got, torch.tensor([3, 4])), x)


def test_rnn_frozen_parameters_give_input_gradients_only():
    torch.manual_seed(3)
    enc = RNNEncoder(E, H).eval()
    for p in enc.parameters():
        p.requires_grad_(False)
    x, lengths = _padded_input()
    x.requires_grad_(True)
    enc(x, lengths).sum().backward()
    assert x.grad is not None and all(p.grad is None for p in enc.parameters())
    xr = x.detach().clone().requires_grad_(True)
    _reference_rnn(enc.rnn, xr, lengths).sum().backward()
    torch.testing.assert_close(x.grad, xr.grad, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("encoder", ["bilstm", "rnn"])
def test_state_dict_keys_are_the_modules_own_and_checkpoints_round_trip(encoder, tmp_path):
    model = tiny_model(encoder, "tanh")
    inner = (nn.LSTM(8, 12, batch_first=True, bidirectional=True) if encoder == "bilstm"
             else nn.RNN(8, 12, batch_first=True))
    prefix = "encoder.lstm." if encoder == "bilstm" else "encoder.rnn."
    keys = [k for k in model.state_dict() if k.startswith("encoder.")]
    assert keys == [prefix + k for k in inner.state_dict()]
    # a state dict laid out by a plain nn.LSTM / nn.RNN (the previous encoder) loads as is
    state = model.state_dict()
    state.update({prefix + k: v for k, v in inner.state_dict().items()})
    model.load_state_dict(state, strict=True)
    save_model(model, tmp_path / "m.safetensors", tmp_path / "c.json")
    loaded, _ = load_model(tmp_path / "m.safetensors", tmp_path / "c.json")
    ids, real = pad_batch([[2, 5, 6, 7, 3], [2, 9, 3]])
    torch.testing.assert_close(loaded(ids, real).logits, model(ids, real).logits, rtol=0, atol=0)


def test_padded_split_batches_equal_pad_batch():
    rows = [np.array([2, 5, 6, 3]), np.array([2, 7, 3]), np.array([2, 4, 4, 4, 4, 3]),
            np.array([2, 8, 9, 3])]
    labels = np.array([1, 0, 1, 0])
    split = PaddedSplit(rows, labels)
    for idx in (np.array([1, 3]), np.array([2, 0, 1]), np.array([3])):
        ids, real, y = split.batch(idx)
        want_ids, want_real = pad_batch([rows[i] for i in idx])
        assert torch.equal(ids, want_ids) and torch.equal(real, want_real)
        assert y.tolist() == labels[idx].tolist() and y.dtype == torch.long
