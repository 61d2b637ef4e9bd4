"""DeepLiftShap (captum's ``DeepLiftShap``): DeepLIFT averaged over a reference distribution.

With baseline random the distribution is ``n_samples`` random-word sequences (the SHAP
"background"); a single-vector baseline (pad/unk/zero) is a one-point distribution, for which
DeepLiftShap *is* DeepLIFT (captum refuses one-point distributions, so DeepLift runs then).
Completeness: the scores sum to p(x) - mean over references of p(reference), exactly for every
encoder (see ``deeplift``).
"""

from __future__ import annotations

from captum.attr import DeepLiftShap

from seatlib.importance import deeplift
from seatlib.importance.common import (
    AttributionOptions,
    reference_distribution,
    token_scores,
    true_embeddings,
)


def attribute(model, input_ids, real_mask, target, opts: AttributionOptions):
    """-> (scores (B, L), convergence delta (B,))."""
    if opts.baseline != "random" or opts.n_samples == 1:
        return deeplift.attribute(model, input_ids, real_mask, target, opts)
    emb = true_embeddings(model, input_ids)
    refs = reference_distribution(model, input_ids, real_mask, emb, opts)
    attr, delta = deeplift.run_deeplift(DeepLiftShap, model, emb, refs, input_ids, real_mask,
                                        target)
    delta = delta.detach().reshape(emb.shape[0], -1).mean(1)
    return token_scores(attr.detach(), real_mask), delta
