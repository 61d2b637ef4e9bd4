"""Saliency (Simonyan et al.): |dp/de| summed over the embedding dimension, per token.

Unlike JW's gradient, attention is not detached. Computed with captum's ``Saliency`` on the
embeddings of the real tokens.
"""

from __future__ import annotations

from captum.attr import Saliency

from seatlib.importance.common import (
    AttributionOptions,
    ProbabilityModel,
    captum_attribute,
    token_scores,
    true_embeddings,
)


def attribute(model, input_ids, real_mask, target, opts: AttributionOptions):
    """-> (scores (B, L), None)."""
    emb = true_embeddings(model, input_ids)
    attr = captum_attribute(Saliency(ProbabilityModel(model)), emb, input_ids, real_mask,
                            target=target, abs=True)
    return token_scores(attr.detach(), real_mask), None
