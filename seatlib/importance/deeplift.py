"""DeepLIFT (Shrikumar et al. 2017; captum's ``DeepLift``, Rescale rule) on the real tokens.

captum replaces the gradient of each ``nn.Tanh``/``nn.ReLU``/``nn.Sigmoid`` *module* by the secant
slope between the input and the reference, which makes the attributions sum exactly to
p(x) - p(reference) ("completeness") when every non-linearity is such a module. Our models have
three more: the attention softmax and its product with the hidden states (functions, not modules),
the class probabilities, and the gates of ``nn.LSTM``/``nn.RNN``, which run inside one fused kernel
captum cannot see (it would fall back to plain gradients there). ``DeepLiftModel`` re-expresses
those with exact secant rules, so completeness holds for every encoder:

- elementwise ``sigmoid``/``tanh``: slope (f(x) - f(x')) / (x - x') (the Rescale rule);
- products a*b: Delta(ab) = mean(a) Delta b + mean(b) Delta a (exact for a bilinear map);
- (masked) softmax, as exp -> sum -> reciprocal -> product, each with its exact secant.

The LSTM/RNN is unrolled over time with the module's own weights (a loop over time steps, which
a recurrence needs; batched over instances), and tested to reproduce ``nn.LSTM``/``nn.RNN``.

These rules read captum's layout: DeepLift runs the model once on ``cat([inputs, references])``,
so the two halves of the batch are paired, and the backward passes compute slopes between them.
The forward passes are plain and work on any batch (captum's own delta check runs them unpaired).
"""

from __future__ import annotations

import warnings

import torch
from captum.attr import DeepLift
from torch import nn

from seatlib.importance.common import (
    AttributionOptions,
    captum_attribute,
    single_reference,
    token_scores,
    true_embeddings,
)
from seatlib.models.attention import DotAttention, TanhAttention, UniformAttention, masked_softmax
from seatlib.models.average import AverageEncoder
from seatlib.models.bilstm import BiLSTMEncoder
from seatlib.models.cnn import CNNEncoder
from seatlib.models.rnn import RNNEncoder

_HOOK_WARNING = "Setting forward, backward hooks and attributes on non-linear"


def _halves(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if x.shape[0] % 2:
        raise RuntimeError("DeepLIFT secant rules need the paired [inputs; references] batch "
                           f"that captum's DeepLift builds, got an odd batch of {x.shape[0]}")
    return x.chunk(2)


def _tol(x: torch.Tensor) -> float:
    return torch.finfo(x.dtype).eps ** 0.5


_FUNCS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh}
_DERIVS = {"sigmoid": lambda v: torch.sigmoid(v) * (1 - torch.sigmoid(v)),
           "tanh": lambda v: 1 - torch.tanh(v) ** 2}


class _Elementwise(torch.autograd.Function):
    """y = f(x); backward multiplies by the secant slope between the paired halves."""

    @staticmethod
    def forward(ctx, x, kind):
        ctx.kind = kind
        ctx.save_for_backward(x)
        return _FUNCS[kind](x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        x1, x0 = _halves(x.double())  # slopes in float64: float32 secants lose digits
        f = _FUNCS[ctx.kind]
        dx = x1 - x0
        slope = torch.where(dx.abs() > _tol(x1), (f(x1) - f(x0)) / dx,
                            _DERIVS[ctx.kind]((x1 + x0) / 2)).to(grad.dtype)
        return grad * torch.cat([slope, slope]), None


class _Product(torch.autograd.Function):
    """y = a * b (broadcasting); Delta y = mean(a) Delta b + mean(b) Delta a, exactly."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        a_mid = sum(_halves(a)) / 2
        b_mid = sum(_halves(b)) / 2
        a_mid, b_mid = torch.cat([a_mid, a_mid]), torch.cat([b_mid, b_mid])
        return (grad * b_mid).sum_to_size(a.shape), (grad * a_mid).sum_to_size(b.shape)


class _Softmax(torch.autograd.Function):
    """alpha = softmax over ``mask`` (0 elsewhere), as ``masked_softmax``; backward: the exact
    secant chain of u = exp(s - shift), Z = sum u, r = 1/Z, alpha = u * r, with one shift per
    pair so both halves share a scale."""

    @staticmethod
    def forward(ctx, s, mask):
        ctx.save_for_backward(s, mask)
        return masked_softmax(s, mask)

    @staticmethod
    def backward(ctx, grad):
        s, mask = ctx.saved_tensors
        s = s.double()
        (s1, s0), (m, _) = _halves(s), _halves(mask)
        lowest = torch.finfo(s.dtype).min
        shift = torch.maximum(s1.masked_fill(~m, lowest).amax(-1, keepdim=True),
                              s0.masked_fill(~m, lowest).amax(-1, keepdim=True))
        shift = torch.where(m.any(-1, keepdim=True), shift, torch.zeros_like(shift))
        e1 = torch.where(m, s1 - shift, torch.zeros_like(s1))
        e0 = torch.where(m, s0 - shift, torch.zeros_like(s0))
        u1, u0 = torch.exp(e1) * m, torch.exp(e0) * m
        z1, z0 = u1.sum(-1, keepdim=True), u0.sum(-1, keepdim=True)
        r1 = torch.where(z1 > 0, 1 / z1.clamp_min(torch.finfo(s.dtype).tiny), 0.0)
        r0 = torch.where(z0 > 0, 1 / z0.clamp_min(torch.finfo(s.dtype).tiny), 0.0)
        slope_r = -r1 * r0  # (1/Z1 - 1/Z0) / (Z1 - Z0), exactly
        ds = e1 - e0
        slope_u = torch.where(ds.abs() > _tol(s), (u1 - u0) / torch.where(ds == 0, 1.0, ds),
                              torch.exp((e1 + e0) / 2) * m)
        u_mid, r_mid = (u1 + u0) / 2, (r1 + r0) / 2

        def through(g):
            g_u = g * r_mid + slope_r * (g * u_mid).sum(-1, keepdim=True)
            return g_u * slope_u

        g1, g0 = _halves(grad.double())
        return torch.cat([through(g1), through(g0)]).to(grad.dtype), None


def _pair_slope(x: torch.Tensor, kind: str, dtype) -> torch.Tensor:
    """The secant slope of ``kind`` between the paired halves of ``x`` (N, ...) -> (N/2, ...),
    as ``_Elementwise.backward`` computes it (float64, the derivative where they meet)."""
    x1, x0 = _halves(x.double())
    f = _FUNCS[kind]
    dx = x1 - x0
    near = dx.abs() <= _tol(x1)
    slope = (f(x1) - f(x0)) / torch.where(near, 1.0, dx)
    slope[near] = _DERIVS[kind]((x1[near] + x0[near]) / 2)  # only where the two meet
    return slope.to(dtype)


def _mid(x: torch.Tensor) -> torch.Tensor:
    """(N, ...) -> (N/2, ...) mean of the paired halves, as ``_Product.backward`` has it."""
    return sum(_halves(x)) / 2


class _LSTMDirection(torch.autograd.Function):
    """One LSTM direction over ``xp`` (N, L, 4H) = x W_ih^T + b (gates i, f, g, o), weights
    ``w_hh`` (4H, H) a constant -> h (N, L, H), with the same secant rules as the step-by-step
    graph of ``secant_sigmoid``/``secant_tanh``/``secant_product`` (``fused=False``), written
    as one backward recursion: the forward keeps the pre-activations and cell states, the slopes
    of every gate at every step are computed at once, and the backward loop over time does one
    matmul and a few elementwise products per step. ``w_hh`` gets no gradient: attribution runs
    with the parameters frozen."""

    @staticmethod
    def forward(ctx, xp, w_hh):
        n, length, _ = xp.shape
        hidden = w_hh.shape[1]
        h = xp.new_zeros(n, hidden)
        c = xp.new_zeros(n, hidden)
        pres, cs, hs = [], [], []
        for t in range(length):
            pre = xp[:, t] + h @ w_hh.T
            i, f, g, o = pre.chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            pres.append(pre)
            cs.append(c)
            hs.append(h)
        pre, c_all = torch.stack(pres, 1), torch.stack(cs, 1)
        ctx.save_for_backward(pre, c_all, w_hh)
        return torch.stack(hs, 1)

    @staticmethod
    def backward(ctx, grad):
        pre, c_all, w_hh = ctx.saved_tensors
        n, length, _ = pre.shape
        dtype = grad.dtype
        i, f, g, o = pre.chunk(4, dim=-1)
        # slopes (N/2, L, H) of every non-linearity, and the mids of the products' factors
        s_i, s_f = _pair_slope(i, "sigmoid", dtype), _pair_slope(f, "sigmoid", dtype)
        s_g, s_o = _pair_slope(g, "tanh", dtype), _pair_slope(o, "sigmoid", dtype)
        s_c = _pair_slope(c_all, "tanh", dtype)
        m_si, m_sf = _mid(torch.sigmoid(i)), _mid(torch.sigmoid(f))
        m_tg, m_so = _mid(torch.tanh(g)), _mid(torch.sigmoid(o))
        m_tc = _mid(torch.tanh(c_all))
        c_prev = torch.cat([c_all.new_zeros(n, 1, c_all.shape[-1]), c_all[:, :-1]], 1)
        m_cp = _mid(c_prev)
        # both halves of a pair share every slope and mid: (N, L, H) each, made once
        s_i, s_f, s_g, s_o, s_c, m_si, m_sf, m_tg, m_so, m_tc, m_cp = (
            torch.cat([x, x]) for x in (s_i, s_f, s_g, s_o, s_c, m_si, m_sf, m_tg, m_so, m_tc,
                                        m_cp))
        g_xp = torch.empty_like(pre)
        g_h = torch.zeros_like(grad[:, 0])
        g_c = torch.zeros_like(grad[:, 0])
        for t in range(length - 1, -1, -1):  # the same products, in the same order, as autograd
            g_h = grad[:, t] + g_h
            g_c = g_c + g_h * m_so[:, t] * s_c[:, t]
            torch.cat([g_c * m_tg[:, t] * s_i[:, t], g_c * m_cp[:, t] * s_f[:, t],
                       g_c * m_si[:, t] * s_g[:, t], g_h * m_tc[:, t] * s_o[:, t]], 1,
                      out=g_xp[:, t])
            g_c = g_c * m_sf[:, t]
            g_h = g_xp[:, t] @ w_hh
        return g_xp, None


def secant_sigmoid(x):
    return _Elementwise.apply(x, "sigmoid")


def secant_tanh(x):
    return _Elementwise.apply(x, "tanh")


def secant_product(a, b):
    return _Product.apply(a, b)


def secant_softmax(s, mask):
    return _Softmax.apply(s, mask)


def _reverse_index(lengths: torch.Tensor, length: int) -> torch.Tensor:
    """(N, L) index reversing each sequence within its length (PAD stays in place)."""
    t = torch.arange(length, device=lengths.device)[None, :]
    return torch.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)


def _unrolled(x, lengths, w_ih, w_hh, b_ih, b_hh, cell: str, reverse: bool,
              fused: bool = True):
    """One direction of an LSTM ('lstm') or tanh RNN ('rnn') with secant rules -> (N, L, H).
    ``fused``: the LSTM recursion as one ``_LSTMDirection``; else the step-by-step graph of
    secant functions (the reference it is tested against)."""
    n, length, _ = x.shape
    idx = _reverse_index(lengths, length) if reverse else None
    if reverse:
        x = x.gather(1, idx[..., None].expand_as(x))
    xp = x @ w_ih.T + b_ih + b_hh
    if cell == "lstm" and fused:
        out = _LSTMDirection.apply(xp, w_hh.detach())
        if reverse:
            out = out.gather(1, idx[..., None].expand_as(out))
        present = torch.arange(length, device=x.device)[None, :] < lengths[:, None]
        return out * present.unsqueeze(-1)
    hidden = w_hh.shape[1]
    h = x.new_zeros(n, hidden)
    c = x.new_zeros(n, hidden)
    outs = []
    for t in range(length):  # the recurrence itself; every step is batched over instances
        pre = xp[:, t] + h @ w_hh.T
        if cell == "rnn":
            h = secant_tanh(pre)
        else:
            i, f, g, o = pre.chunk(4, dim=1)
            c = secant_product(secant_sigmoid(f), c) + secant_product(secant_sigmoid(i),
                                                                       secant_tanh(g))
            h = secant_product(secant_sigmoid(o), secant_tanh(c))
        outs.append(h)
    out = torch.stack(outs, 1)
    if reverse:
        out = out.gather(1, idx[..., None].expand_as(out))
    present = torch.arange(length, device=x.device)[None, :] < lengths[:, None]
    return out * present.unsqueeze(-1)


def _recurrent(module: nn.RNNBase, emb, lengths, cell: str, fused: bool = True):
    if module.num_layers != 1 or not module.batch_first or not module.bias:
        raise ValueError("deeplift: only one-layer, batch_first recurrent encoders with biases "
                         "are unrolled")
    dirs = [""]
    if module.bidirectional:
        dirs.append("_reverse")
    outs = [
        _unrolled(emb, lengths, getattr(module, f"weight_ih_l0{d}"),
                  getattr(module, f"weight_hh_l0{d}"), getattr(module, f"bias_ih_l0{d}"),
                  getattr(module, f"bias_hh_l0{d}"), cell, reverse=bool(d), fused=fused)
        for d in dirs
    ]
    return torch.cat(outs, -1)


def encode(model, emb, input_ids, fused: bool = True):
    """Encoder states (N, L, H) with DeepLIFT-ready non-linearities (``fused``: the LSTM as one
    ``_LSTMDirection`` per direction, else step by step)."""
    enc = model.encoder
    lengths = (input_ids != 0).sum(-1)
    if isinstance(enc, (AverageEncoder, CNNEncoder)):
        return enc(emb, lengths)  # nn.Tanh / nn.ReLU modules: captum's Rescale hooks
    if isinstance(enc, BiLSTMEncoder):
        return _recurrent(enc.lstm, emb, lengths, "lstm", fused)
    if isinstance(enc, RNNEncoder):
        if enc.rnn.nonlinearity != "tanh":
            raise ValueError("deeplift: only tanh RNN encoders are unrolled")
        return _recurrent(enc.rnn, emb, lengths, "rnn")
    raise ValueError(f"deeplift: encoder {type(enc).__name__} has no DeepLIFT rules; expected "
                     "AverageEncoder, CNNEncoder, BiLSTMEncoder or RNNEncoder")


def pool(attention: nn.Module, hidden, real_mask):
    """Attention-weighted context (N, H) with exact secant rules for softmax and product."""
    if isinstance(attention, UniformAttention):
        weights = attention(hidden, real_mask)  # constant: the pooling is linear
        return torch.einsum("bl,blh->bh", weights, hidden)
    if isinstance(attention, TanhAttention):
        scores = attention.v(attention.tanh(attention.proj(hidden))).squeeze(-1)
    elif isinstance(attention, DotAttention):
        scores = attention.query(hidden).squeeze(-1) * attention.scale
    else:
        raise ValueError(f"deeplift: attention {type(attention).__name__} has no DeepLIFT rules; "
                         "expected TanhAttention, DotAttention or UniformAttention")
    weights = secant_softmax(scores, real_mask)
    return secant_product(weights.unsqueeze(-1), hidden).sum(1)


class DeepLiftModel(nn.Module):
    """Same inputs and outputs as ``ProbabilityModel``, built from DeepLIFT-exact pieces."""

    def __init__(self, model: nn.Module, fused: bool = True):
        super().__init__()
        self.model = model
        self.fused = fused

    def forward(self, emb, input_ids, real_mask, true_emb):
        emb = torch.where(real_mask.unsqueeze(-1), emb, true_emb)
        hidden = encode(self.model, emb, input_ids, self.fused)
        logits = self.model.decoder(pool(self.model.attention, hidden, real_mask))
        if logits.shape[-1] == 1:  # sigmoid head: softmax([0, z]) = (1 - p, p)
            logits = torch.cat([torch.zeros_like(logits), logits], -1)
        return secant_softmax(logits, torch.ones_like(logits, dtype=torch.bool))


def run_deeplift(explainer_cls, model, emb, baselines, input_ids, real_mask, target,
                 deltas: bool = True, fused: bool = True):
    """captum's ``explainer_cls`` (DeepLift or DeepLiftShap) on ``DeepLiftModel(model, fused)``
    -> (attributions (B, L, E), convergence delta or None without ``deltas``)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_HOOK_WARNING)
        out = captum_attribute(explainer_cls(DeepLiftModel(model, fused)), emb, input_ids,
                               real_mask, baselines=baselines, target=target,
                               return_convergence_delta=deltas)
    return out if deltas else (out, None)


def attribute(model, input_ids, real_mask, target, opts: AttributionOptions):
    """-> (scores (B, L), convergence delta (B,) or None without ``opts.deltas``)."""
    emb = true_embeddings(model, input_ids)
    ref = single_reference(model, input_ids, real_mask, emb, opts)
    attr, delta = run_deeplift(DeepLift, model, emb, ref, input_ids, real_mask, target,
                               deltas=opts.deltas)
    return token_scores(attr.detach(), real_mask), None if delta is None else delta.detach()


def reference_attribute(model, input_ids, real_mask, target, opts: AttributionOptions):
    """The former implementation: the LSTM step by step as a graph of secant functions, deltas
    always (the reference of the tests and ``bench/bench_importance.py``)."""
    emb = true_embeddings(model, input_ids)
    ref = single_reference(model, input_ids, real_mask, emb, opts)
    attr, delta = run_deeplift(DeepLift, model, emb, ref, input_ids, real_mask, target,
                               fused=False)
    return token_scores(attr.detach(), real_mask), delta.detach()
