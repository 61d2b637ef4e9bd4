"""Saliency (Simonyan et al.): |dp/de| summed over the embedding dimension, per token.

Unlike JW's gradient, attention is not detached. The gradient of the target probability with
respect to the embeddings of the real tokens through ``ProbabilityModel``, as captum's
``Saliency(abs=True)`` computes it (``captum_reference``; the tests compare the two); computed
here so that the predicted target comes from the same forward (target None) instead of a pass
of its own.
"""

from __future__ import annotations

import torch
from captum.attr import Saliency

from seatlib.importance.common import (
    AttributionOptions,
    ProbabilityModel,
    captum_attribute,
    token_scores,
    true_embeddings,
)


def attribute(model, input_ids, real_mask, target, opts: AttributionOptions):
    """-> (scores (B, L), None); ``target`` None: the argmax of this forward."""
    emb = true_embeddings(model, input_ids)
    leaf = emb.clone().requires_grad_(True)
    with torch.enable_grad():
        probs = ProbabilityModel(model)(leaf, input_ids, real_mask, emb)
        if target is None:
            target = probs.detach().argmax(1)
        (grad,) = torch.autograd.grad(probs.gather(1, target[:, None]).sum(), leaf)
    return token_scores(grad.abs(), real_mask), None


def captum_reference(model, input_ids, real_mask, target, opts: AttributionOptions):
    """captum's ``Saliency`` (the former implementation) -> (scores (B, L), None)."""
    emb = true_embeddings(model, input_ids)
    attr = captum_attribute(Saliency(ProbabilityModel(model)), emb, input_ids, real_mask,
                            target=target, abs=True)
    return token_scores(attr.detach(), real_mask), None
