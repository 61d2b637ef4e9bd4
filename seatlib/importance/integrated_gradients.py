"""Integrated gradients (Sundararajan et al. 2017) on the embeddings of the real tokens.

captum's ``IntegratedGradients`` with ``n_steps`` Gauss-Legendre points and the chosen
reference; scores are summed over the embedding dimension. Completeness
(sum = p(x) - p(reference)) holds up to the quadrature error, returned as the delta.

The B x n_steps interpolated inputs run in passes of ``internal_batch_size`` rows, or, when it
is None, of whole multiples of B rows holding about ``TOKENS_PER_PASS`` tokens (captum's own
default would run all B x n_steps rows in one pass, which is slower per row: see
``common.TOKENS_PER_PASS``). The passes split captum's sum over the steps, so the scores equal
the one-pass ones up to float32 summation order.
"""

from __future__ import annotations

from captum.attr import IntegratedGradients

from seatlib.importance.common import (
    AttributionOptions,
    ProbabilityModel,
    captum_attribute,
    rows_per_pass,
    single_reference,
    token_scores,
    true_embeddings,
)


def attribute(model, input_ids, real_mask, target, opts: AttributionOptions):
    """-> (scores (B, L), convergence delta (B,) or None without ``opts.deltas``)."""
    emb = true_embeddings(model, input_ids)
    ref = single_reference(model, input_ids, real_mask, emb, opts)
    batch = input_ids.shape[0]
    internal = opts.internal_batch_size
    if internal is None:
        internal = batch * max(1, rows_per_pass(input_ids.shape[1]) // batch)
    out = captum_attribute(
        IntegratedGradients(ProbabilityModel(model)), emb, input_ids, real_mask,
        baselines=ref, target=target, n_steps=opts.n_steps, internal_batch_size=internal,
        return_convergence_delta=opts.deltas)
    attr, delta = out if opts.deltas else (out, None)
    return token_scores(attr.detach(), real_mask), None if delta is None else delta.detach()
