"""DeepLiftShap (captum's ``DeepLiftShap``): DeepLIFT averaged over a reference distribution.

With baseline random the distribution is ``n_samples`` random-word sequences (the SHAP
"background"); a single-vector baseline (pad/unk/zero) is a one-point distribution, for which
DeepLiftShap *is* DeepLIFT (captum refuses one-point distributions, so DeepLift runs then).
Completeness: the scores sum to p(x) - mean over references of p(reference), exactly for every
encoder (see ``deeplift``).

captum's ``DeepLiftShap`` pairs every input with every reference (inputs repeated
``repeat_interleave``, references tiled: pair b * S + s), runs ``DeepLift`` on all B x S pairs at
once and averages over s. ``attribute`` builds the same pairs and runs captum's ``DeepLift`` on
them by exact length (``common.length_groups``) in passes of about
``TOKENS_PER_PASS`` tokens (the 2 x B x S rows of one pass, 2,560 for
B = 64 and S = 20, are far slower per row than a few hundred); each pair's attribution depends on
that pair alone, so the passes change nothing but float32 summation order.
``captum_reference`` is the one-pass captum call, which the tests and the bench compare with.
"""

from __future__ import annotations

import torch
from captum.attr import DeepLift, DeepLiftShap

from seatlib.importance import deeplift
from seatlib.importance.common import (
    AttributionOptions,
    length_groups,
    reference_distribution,
    rows_per_pass,
    token_scores,
    true_embeddings,
)


def attribute(model, input_ids, real_mask, target, opts: AttributionOptions):
    """-> (scores (B, L), convergence delta (B,), or None without ``opts.deltas``)."""
    if opts.baseline != "random" or opts.n_samples == 1:
        return deeplift.attribute(model, input_ids, real_mask, target, opts)
    emb = true_embeddings(model, input_ids)
    refs = reference_distribution(model, input_ids, real_mask, emb, opts)
    batch, n_refs = emb.shape[0], refs.shape[0]
    inst = torch.arange(batch, device=emb.device).repeat_interleave(n_refs)
    ref_of = torch.arange(n_refs, device=emb.device).repeat(batch)
    attr = torch.zeros(batch * n_refs, *emb.shape[1:], dtype=emb.dtype, device=emb.device)
    delta = torch.zeros(batch * n_refs, dtype=emb.dtype, device=emb.device)
    lengths = (input_ids != 0).sum(1)[inst]
    passes = [(p, width) for idx, width in length_groups(lengths)  # a pair is 2 rows
              for p in idx.split(max(1, rows_per_pass(width, opts.internal_batch_size) // 2))]
    for p, width in passes:
        b, s = inst[p], ref_of[p]
        part, part_delta = deeplift.run_deeplift(
            DeepLift, model, emb[b, :width], refs[s, :width], input_ids[b, :width],
            real_mask[b, :width], target[b], deltas=opts.deltas)
        attr[p, :width] = part.detach()
        if part_delta is not None:
            delta[p] = part_delta.detach()
    attr = attr.view(batch, n_refs, *emb.shape[1:]).mean(1)
    delta = delta.view(batch, n_refs).mean(1) if opts.deltas else None
    return token_scores(attr, real_mask), delta


def captum_reference(model, input_ids, real_mask, target, opts: AttributionOptions):
    """captum's ``DeepLiftShap`` on all pairs of the batch in one pass, the LSTM step by step
    (the former implementation) -> (scores (B, L), convergence delta (B,))."""
    if opts.baseline != "random" or opts.n_samples == 1:
        return deeplift.reference_attribute(model, input_ids, real_mask, target, opts)
    emb = true_embeddings(model, input_ids)
    refs = reference_distribution(model, input_ids, real_mask, emb, opts)
    attr, delta = deeplift.run_deeplift(DeepLiftShap, model, emb, refs, input_ids, real_mask,
                                        target, fused=False)
    delta = delta.detach().reshape(emb.shape[0], -1).mean(1)
    return token_scores(attr.detach(), real_mask), delta
