"""Integrated gradients (Sundararajan et al. 2017) on the embeddings of the real tokens.

captum's ``IntegratedGradients`` with ``n_steps`` Gauss-Legendre points and the chosen
reference; scores are summed over the embedding dimension. Completeness
(sum = p(x) - p(reference)) holds up to the quadrature error, returned as the delta.

The instances of a batch run by exact length (``common.length_groups``: no PAD column, a
constant packed batch), and their interpolated inputs in passes of ``internal_batch_size`` rows,
or, when it is None, of whole multiples of the group's size holding about ``TOKENS_PER_PASS``
tokens (captum's own
default would run all B x n_steps rows in one pass, which is slower per row: see
``common.TOKENS_PER_PASS``). The passes split captum's sum over the steps, so the scores equal
the one-pass ones up to float32 summation order.
"""

from __future__ import annotations

import torch
from captum.attr import IntegratedGradients

from seatlib.importance.common import (
    AttributionOptions,
    ProbabilityModel,
    captum_attribute,
    length_groups,
    rows_per_pass,
    single_reference,
    token_scores,
    true_embeddings,
)


def attribute(model, input_ids, real_mask, target, opts: AttributionOptions):
    """-> (scores (B, L), convergence delta (B,) or None without ``opts.deltas``)."""
    emb = true_embeddings(model, input_ids)
    ref = single_reference(model, input_ids, real_mask, emb, opts)
    scores = torch.zeros(input_ids.shape, dtype=emb.dtype, device=emb.device)
    deltas = torch.zeros(input_ids.shape[0], dtype=emb.dtype, device=emb.device)
    for rows, width in length_groups((input_ids != 0).sum(1)):
        part_ids, part_real = input_ids[rows, :width], real_mask[rows, :width]
        internal = opts.internal_batch_size
        if internal is None:
            internal = len(rows) * max(1, rows_per_pass(width) // len(rows))
        out = captum_attribute(
            IntegratedGradients(ProbabilityModel(model)), emb[rows, :width], part_ids, part_real,
            baselines=ref[rows, :width], target=target[rows], n_steps=opts.n_steps,
            internal_batch_size=internal, return_convergence_delta=opts.deltas)
        attr, delta = out if opts.deltas else (out, None)
        scores[rows, :width] = token_scores(attr.detach(), part_real)
        if delta is not None:
            deltas[rows] = delta.detach()
    return scores, deltas if opts.deltas else None
