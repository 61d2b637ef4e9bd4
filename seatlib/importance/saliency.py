"""Saliency (Simonyan et al.): |dp/de| summed over the embedding dimension, per token.

Unlike JW's gradient, attention is not detached. Computed with captum's ``Saliency`` on the
embeddings of the real tokens.
"""

from __future__ import annotations

from captum.attr import Saliency

from seatlib.importance.common import (
    AttributionOptions,
    ProbabilityModel,
    token_scores,
    true_embeddings,
)


def attribute(model, input_ids, real_mask, target, opts: AttributionOptions):
    """-> (scores (B, L), None)."""
    emb = true_embeddings(model, input_ids)
    attr = Saliency(ProbabilityModel(model)).attribute(
        emb.clone().requires_grad_(True), target=target, abs=True,
        additional_forward_args=(input_ids, real_mask, emb))
    return token_scores(attr.detach(), real_mask), None
