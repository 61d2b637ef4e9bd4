"""Head importance, one [L, H] array per ranking (spec 1.4):

* ``attattr``: sum over the attributed examples of each head's max attribution (the paper's
  I_h, gold-label probability);
* ``attention``: the same sum of each head's max attention probability;
* ``taylor`` (Michel et al. 2019): sum over examples and real tokens of
  ``|sum_d context_h . dS/dcontext_h|``, S the loss (``loss``) or the original code's sum of
  logits (``logits``), divided by the number of tokens, then L2-normalised per layer;
* ``random``: uniform draws of ``np.random.default_rng(seed)``, one ranking per seed.

:func:`prune_order` turns an importance into the order heads are pruned in (least important
first; ties broken by layer, then head).
"""

from __future__ import annotations

import numpy as np
import torch

from seatlib.attattr.model import Classifier, batch_inputs

TAYLOR_SCORES = ("loss", "logits")


def summed(per_example: np.ndarray) -> np.ndarray:
    """[N, L, H] per-example maxima -> [L, H] sums (the paper's I_h)."""
    return np.asarray(per_example, dtype=np.float64).sum(axis=0)


def random_importance(n_layers: int, n_heads: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((n_layers, n_heads))


def taylor_importance(model: Classifier, token_ids, labels, device, score: str = "loss",
                      batch_size: int = 32, normalize: bool = True) -> np.ndarray:
    """Michel et al.'s head importance -> [L, H]."""
    if score not in TAYLOR_SCORES:
        raise ValueError(f"attattr.heads.taylor {score!r}: expected one of {TAYLOR_SCORES}")
    model.eval()
    L, H = model.config.n_layers, model.config.n_heads
    total = torch.zeros(L, H, dtype=torch.float64)
    n_tokens = 0
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    for start in range(0, len(token_ids), batch_size):
        rows = token_ids[start:start + batch_size]
        ids, am, types = batch_inputs(model, rows, device)
        out = model(ids, am, types, output_contexts=True)
        if score == "loss":
            y = labels[start:start + batch_size].to(device)
            S = torch.nn.functional.cross_entropy(out.logits, y, reduction="sum")
        else:
            S = out.logits.sum()
        grads = torch.autograd.grad(S, out.contexts)
        real = am.to(torch.float64)[:, None, :]  # [B, 1, T]
        for i, (ctx, g) in enumerate(zip(out.contexts, grads, strict=True)):
            dot = (ctx.detach() * g).sum(-1).abs().double()  # [B, H, T]
            total[i] += (dot * real).sum(dim=(0, 2)).cpu()
        n_tokens += int(am.sum())
    imp = total / max(n_tokens, 1)
    if normalize:
        imp = imp / imp.norm(dim=1, keepdim=True).clamp_min(1e-20)
    return imp.numpy()


def prune_order(importance: np.ndarray) -> np.ndarray:
    """[L, H] importance -> flat head indices (layer * H + head), least important first."""
    flat = np.asarray(importance, dtype=np.float64).ravel()
    return np.lexsort((np.arange(flat.size), flat))


def rank_of(importance: np.ndarray) -> np.ndarray:
    """[L, H] -> [L, H] 0-based position in the prune order (0 = pruned first)."""
    order = prune_order(importance)
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    return rank.reshape(np.shape(importance))
