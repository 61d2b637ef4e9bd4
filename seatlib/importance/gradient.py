"""Jain & Wallace's gradient importance (``gradient_mem``).

Attention is detached (a constant), the target-class probability is back-propagated to the
embeddings, and the score of token t is |sum_d (dp/de_t)_d e_{t,d}|: the gradient with respect
to the one-hot input at the word actually present (dp/dx_{t,v} = E_v . dp/de_t).
"""

from __future__ import annotations

import torch

from seatlib.importance.common import AttributionOptions, true_embeddings
from seatlib.models.base import probabilities


def attribute(model, input_ids, real_mask, target, opts: AttributionOptions):
    """-> (scores (B, L), None); ``target`` None: the predicted class (the argmax of this
    forward, which detaching attention leaves equal to the plain forward)."""
    emb = true_embeddings(model, input_ids).requires_grad_(True)
    with torch.enable_grad():
        out = model(input_ids, real_mask, embedding_override=emb, detach_attention=True)
        probs = probabilities(out.logits)
        if target is None:
            target = probs.detach().argmax(1)
        prob = probs.gather(1, target[:, None]).sum()
        (grad,) = torch.autograd.grad(prob, emb)
    scores = (grad * emb.detach()).sum(-1).abs()
    return torch.where(real_mask, scores, torch.zeros_like(scores)), None
