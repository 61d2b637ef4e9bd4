"""Self-attention attribution (Hao et al. AAAI 2021, spec 1.2-1.3, 1.9).

For layer l with attention probabilities A = [A_1 .. A_H] and F the softmax probability of the
target class when layer l's attention is replaced by its argument (the other layers compute
their own attention from the perturbed hidden states)::

    Attr_h(A) = A_h * integral_0^1 dF(alpha A)/dA_h d alpha      (zero baseline, all heads of
                                                                  layer l scaled together)

approximated by a Riemann sum with m points alpha_k (``left``: k/m, k = 0..m-1, the original
code; ``right``: (k+1)/m; ``middle``: (k+1/2)/m): ``Attr = A/m * sum_k grad F(alpha_k A)``.

Batched and cached (:func:`attribute`): one plain forward per batch of examples gives A, the
prediction and the hidden state entering every layer; for layer l only layers l..L-1 run on the
m scaled copies, as ``[B, c, T, D]`` tensors (B examples of similar length, dynamic padding, c
<= ``chunk`` copies per forward). :func:`attribute_naive` is the straightforward version (one
example, every layer recomputed from the input for each layer) used by the tests and the bench.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from seatlib.attattr.model import Classifier, additive_mask, batch_inputs
from seatlib.progress import progress

RULES = ("left", "right", "middle")
TARGETS = ("predicted", "gold")


@dataclass(frozen=True)
class AttributionConfig:
    steps: int = 20  # m
    rule: str = "left"
    target: str = "gold"
    batch_size: int = 4  # examples per batch
    chunk: int = 20  # scaled copies per forward (memory ~ batch_size * chunk sequences)

    def __post_init__(self):
        if self.rule not in RULES:
            raise ValueError(f"attattr.attribution.rule {self.rule!r}: expected one of {RULES}")
        if self.target not in TARGETS:
            raise ValueError(f"attattr.attribution.target {self.target!r}: expected one of "
                             f"{TARGETS}")

    @classmethod
    def from_dict(cls, d: dict) -> AttributionConfig:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def alphas(m: int, rule: str = "left") -> torch.Tensor:
    """The m Riemann points in [0, 1] (each with weight 1/m)."""
    k = torch.arange(m, dtype=torch.float64)
    offset = {"left": 0.0, "right": 1.0, "middle": 0.5}[rule]
    return (k + offset) / m


@dataclass
class Attributions:
    """Per example (in the input order): N examples, L layers, H heads."""

    max_attribution: np.ndarray  # [N, L, H] max over real (query, key) cells of Attr_h
    max_attention: np.ndarray  # [N, L, H] max over real cells of A_h
    pred: np.ndarray  # [N] predicted class
    target: np.ndarray  # [N] the class whose probability F is
    prob: np.ndarray  # [N] F(A): the target probability of the unmodified model
    matrices: dict[int, np.ndarray]  # example index -> [L, H, n, n] Attr (n real tokens)


def _target_prob(model: Classifier, hidden, mask, target) -> torch.Tensor:
    """Final hidden [B, c, T, D] -> softmax prob of target[b], [B, c]."""
    probs = torch.softmax(model.classify(hidden), dim=-1)
    index = target[:, None, None].expand(*probs.shape[:2], 1)
    return probs.gather(-1, index)[..., 0]


def attribute_layer(model: Classifier, layer: int, hidden, mask, A, target, m: int,
                    rule: str, chunk: int) -> torch.Tensor:
    """Attr of one layer for a batch: hidden [B, T, D] entering ``layer``, additive mask
    [B, 1, 1, T], A [B, H, T, T] its attention, target [B] -> [B, H, T, T]."""
    points = alphas(m, rule).to(A.dtype).to(A.device)
    grad_sum = torch.zeros_like(A)
    h = hidden[:, None]  # [B, 1, T, D]: broadcast against the c copies
    mk = mask[:, None]  # [B, 1, 1, 1, T]
    for start in range(0, m, chunk):
        a = points[start:start + chunk]
        P = (a[None, :, None, None, None] * A[:, None]).requires_grad_(True)  # [B, c, H, T, T]
        last = layer == model.config.n_layers - 1  # then only query 0 reaches the output
        x, _, _ = model.layer(layer, h, mk, probs=P, first_only=last)  # [B, c, T, D]
        x, _, _ = model.run_layers(layer + 1, x, mk, cls_only=True)
        F = _target_prob(model, x, mk, target)  # [B, c]
        (g,) = torch.autograd.grad(F.sum(), P)
        grad_sum += g.sum(1)
    return A * grad_sum / m


def _masked_max(x: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """x [B, L, H, T, T], real [B, T] bool -> max over real (query, key) cells, [B, L, H]."""
    cell = (real[:, :, None] & real[:, None, :])[:, None, None]
    return x.masked_fill(~cell, float("-inf")).amax(dim=(-1, -2))


def attribute(model: Classifier, token_ids, labels, cfg: AttributionConfig, device,
              keep_matrices=(), layers=None) -> Attributions:
    """AttAttr of every layer (or ``layers``) for every example; ``keep_matrices``: example
    indices whose full [L, H, n, n] attribution is returned."""
    model.eval()
    frozen = [p.requires_grad for p in model.parameters()]
    model.requires_grad_(False)  # only dF/dP is needed
    try:
        return _attribute(model, token_ids, labels, cfg, device, keep_matrices, layers)
    finally:
        for p, r in zip(model.parameters(), frozen, strict=True):
            p.requires_grad_(r)


def _attribute(model, token_ids, labels, cfg, device, keep_matrices, layers) -> Attributions:
    n, L, H = len(token_ids), model.config.n_layers, model.config.n_heads
    layers = list(range(L)) if layers is None else list(layers)
    max_attr = np.full((n, L, H), np.nan)
    max_att = np.zeros((n, L, H))
    pred = np.zeros(n, dtype=np.int64)
    target = np.zeros(n, dtype=np.int64)
    prob = np.zeros(n)
    keep = set(int(i) for i in keep_matrices)
    matrices: dict[int, np.ndarray] = {}
    labels = np.asarray(labels)
    order = np.argsort([len(t) for t in token_ids], kind="stable")
    for start in progress(range(0, n, cfg.batch_size), desc="AttAttr attribution", unit="batch"):
        idx = order[start:start + cfg.batch_size]
        ids, am, types = batch_inputs(model, [token_ids[i] for i in idx], device)
        real = am.bool()
        with torch.no_grad():
            hidden = model.embed(ids, types)
            mask = additive_mask(am, hidden.dtype)
            inputs, attentions = [], []
            for i in range(L):
                inputs.append(hidden)
                hidden, A, _ = model.layer(i, hidden, mask)
                attentions.append(A)
            logits = model.classify(hidden)
        p = torch.softmax(logits, -1)
        b_pred = p.argmax(-1)
        b_target = b_pred if cfg.target == "predicted" else torch.as_tensor(
            labels[idx], dtype=torch.long, device=device)
        attr = torch.zeros(len(idx), L, H, ids.shape[1], ids.shape[1], device=device)
        for i in layers:
            attr[:, i] = attribute_layer(model, i, inputs[i], mask, attentions[i], b_target,
                                         cfg.steps, cfg.rule, cfg.chunk).detach()
        cell = (real[:, :, None] & real[:, None, :])[:, None, None]
        attr = attr * cell  # padding never receives attribution
        att = torch.stack(attentions, 1)
        mx = _masked_max(attr, real).cpu().numpy()
        for i in set(range(L)) - set(layers):
            mx[:, i] = np.nan
        max_attr[idx] = mx
        max_att[idx] = _masked_max(att, real).cpu().numpy()
        pred[idx] = b_pred.cpu().numpy()
        target[idx] = b_target.cpu().numpy()
        prob[idx] = p.gather(-1, b_target[:, None])[:, 0].cpu().numpy()
        for j, e in enumerate(idx):
            if int(e) in keep:
                t = len(token_ids[e])
                matrices[int(e)] = attr[j, :, :, :t, :t].cpu().numpy()
    return Attributions(max_attr, max_att, pred, target, prob, matrices)


def attribute_naive(model: Classifier, token_ids, label: int, m: int = 20, rule: str = "left",
                    pad_to: int | None = None, target: str = "gold", device="cpu"):
    """The straightforward algorithm (spec 1.3): one example, padded to ``pad_to``; for each
    layer one forward *from the input* with its attention replaced by the m scaled copies
    (batch m), then the gradient. -> Attr [L, H, n, n] cropped to the n real tokens."""
    model.eval()
    ids, am, types = batch_inputs(model, [token_ids], device, length=pad_to)
    with torch.no_grad():
        out = model(ids, am, types, output_attentions=True)
    c = int(out.logits.argmax(-1)) if target == "predicted" else int(label)
    points = alphas(m, rule).to(out.attentions.dtype)
    result = []
    for i in range(model.config.n_layers):
        A = out.attentions[0, i]  # [H, T, T]
        P = (points[:, None, None, None] * A[None]).requires_grad_(True)  # [m, H, T, T]
        logits = model(ids, am, types, attention_override=(i, P)).logits  # [m, C]
        (g,) = torch.autograd.grad(torch.softmax(logits, -1)[:, c].sum(), P)
        result.append((A * g.sum(0) / m).detach())
    n = len(token_ids)
    return torch.stack(result)[:, :, :n, :n].cpu().numpy()
