"""Integrated gradients (Sundararajan et al. 2017) on the embeddings of the real tokens.

captum's ``IntegratedGradients`` with ``n_steps`` Gauss-Legendre points and the chosen
reference; scores are summed over the embedding dimension. Completeness
(sum = p(x) - p(reference)) holds up to the quadrature error, returned as the delta.
"""

from __future__ import annotations

from captum.attr import IntegratedGradients

from seatlib.importance.common import (
    AttributionOptions,
    ProbabilityModel,
    captum_attribute,
    single_reference,
    token_scores,
    true_embeddings,
)


def attribute(model, input_ids, real_mask, target, opts: AttributionOptions):
    """-> (scores (B, L), convergence delta (B,))."""
    emb = true_embeddings(model, input_ids)
    ref = single_reference(model, input_ids, real_mask, emb, opts)
    attr, delta = captum_attribute(
        IntegratedGradients(ProbabilityModel(model)), emb, input_ids, real_mask,
        baselines=ref, target=target, n_steps=opts.n_steps,
        internal_batch_size=opts.internal_batch_size, return_convergence_delta=True)
    return token_scores(attr.detach(), real_mask), delta.detach()
