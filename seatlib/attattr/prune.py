"""One-shot head pruning curves (spec 1.4): for each fraction f, zero the ``int(f * L * H)``
least important heads of a ranking (a 0/1 mask on the attention probabilities, no
re-training) and measure accuracy on the dev split.

:func:`pruning_accuracy` evaluates every distinct (ranking, fraction) mask in one pass over the
dev set: each batch of examples is run once per group of masks stacked along the batch
(per-example head masks ``[K * B, L, H]``); no per-example loop.
:func:`per_example_accuracy` is the authors' effectiveness variant (issue #2 of their
repository): each example is pruned by its own ranking (its per-head max attribution).
"""

from __future__ import annotations

import numpy as np
import torch

from seatlib.attattr.heads import prune_order
from seatlib.attattr.model import Classifier, batch_inputs

FRACTIONS = tuple(round(0.1 * k, 1) for k in range(11))


def n_pruned(fraction: float, n_heads: int) -> int:
    """int(f * n) as the original code (0, 14, 28, 43, ... of 144); 1e-9 guards 0.7 * 144."""
    return int(fraction * n_heads + 1e-9)


def head_mask(importance: np.ndarray, fraction: float) -> np.ndarray:
    """[L, H] importance -> [L, H] float mask with the least important heads at 0."""
    mask = np.ones(np.size(importance))
    mask[prune_order(importance)[:n_pruned(fraction, mask.size)]] = 0.0
    return mask.reshape(np.shape(importance))


@torch.no_grad()
def masked_predictions(model: Classifier, token_ids, masks: np.ndarray, device,
                       batch_size: int = 128) -> np.ndarray:
    """masks [K, L, H] -> predicted classes [K, N] of every example under every mask."""
    model.eval()
    masks_t = torch.as_tensor(np.asarray(masks), dtype=torch.float32, device=device)
    K, n = masks_t.shape[0], len(token_ids)
    out = np.zeros((K, n), dtype=np.int64)
    order = np.argsort([len(t) for t in token_ids], kind="stable")
    per_batch = max(1, batch_size)
    for start in range(0, n, per_batch):
        idx = order[start:start + per_batch]
        ids, am, types = batch_inputs(model, [token_ids[i] for i in idx], device)
        B = len(idx)
        group = max(1, batch_size // B)  # masks stacked per forward
        for k0 in range(0, K, group):
            k = min(group, K - k0)
            hm = masks_t[k0:k0 + k].repeat_interleave(B, dim=0)  # [k * B, L, H]
            logits = model(ids.repeat(k, 1), am.repeat(k, 1), types.repeat(k, 1),
                           head_mask=hm).logits
            out[k0:k0 + k, idx] = logits.argmax(-1).view(k, B).cpu().numpy()
    return out


def pruning_accuracy(model: Classifier, token_ids, labels, importances: dict, device,
                     fractions=FRACTIONS, batch_size: int = 128) -> list[dict]:
    """importances: name -> [L, H]. -> rows (ranking, fraction, n_pruned, accuracy)."""
    names = list(importances)
    L, H = model.config.n_layers, model.config.n_heads
    masks = np.stack([head_mask(importances[r], f) for r in names for f in fractions])
    unique, inverse = np.unique(masks, axis=0, return_inverse=True)  # 0% and 100% coincide
    pred = masked_predictions(model, token_ids, unique, device, batch_size)[inverse.ravel()]
    correct = (pred == np.asarray(labels)[None]).mean(axis=1)
    rows, k = [], 0
    for r in names:
        for f in fractions:
            rows.append({"ranking": r, "fraction": float(f), "n_pruned": n_pruned(f, L * H),
                         "accuracy": float(correct[k])})
            k += 1
    return rows


@torch.no_grad()
def per_example_accuracy(model: Classifier, token_ids, labels, per_example: np.ndarray, device,
                         fractions=FRACTIONS, batch_size: int = 128) -> list[dict]:
    """per_example [N, L, H]: example e is pruned by its own importance. -> rows per fraction."""
    labels = np.asarray(labels)
    L, H = model.config.n_layers, model.config.n_heads
    rows = []
    for f in fractions:
        masks = torch.as_tensor(np.stack([head_mask(imp, f) for imp in per_example]),
                                dtype=torch.float32, device=device)
        correct = 0
        order = np.argsort([len(t) for t in token_ids], kind="stable")
        for start in range(0, len(token_ids), batch_size):
            idx = order[start:start + batch_size]
            ids, am, types = batch_inputs(model, [token_ids[i] for i in idx], device)
            pred = model(ids, am, types, head_mask=masks[idx]).logits.argmax(-1).cpu().numpy()
            correct += int((pred == labels[idx]).sum())
        rows.append({"fraction": float(f), "n_pruned": n_pruned(f, L * H),
                     "accuracy": correct / max(len(token_ids), 1)})
    return rows
