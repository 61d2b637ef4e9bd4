"""GradientShap (Lundberg & Lee 2017; captum's ``GradientShap``) on the real tokens' embeddings.

For each of ``n_samples`` draws a reference is drawn from the distribution and a point uniformly
on the segment between it and the input; the score is (x - reference) . gradient there, averaged.
References: baseline pad/unk/zero is a one-point distribution (then GradientShap is integrated
gradients estimated at random points), baseline random is ``n_samples`` random-word sequences.
captum draws with numpy's global generator: it is seeded per batch and restored afterwards.
"""

from __future__ import annotations

import numpy as np
import torch
from captum.attr import GradientShap

from seatlib.importance.common import (
    AttributionOptions,
    ProbabilityModel,
    captum_attribute,
    reference_distribution,
    token_scores,
    true_embeddings,
)


def attribute(model, input_ids, real_mask, target, opts: AttributionOptions):
    """-> (scores (B, L), mean convergence delta over the draws (B,))."""
    emb = true_embeddings(model, input_ids)
    refs = reference_distribution(model, input_ids, real_mask, emb, opts)
    state = np.random.get_state()
    np.random.seed(opts.seed % 2**32)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(opts.seed)
            attr, delta = captum_attribute(
                GradientShap(ProbabilityModel(model)), emb, input_ids, real_mask,
                baselines=refs, target=target, n_samples=opts.n_samples, stdevs=0.0,
                return_convergence_delta=True)
    finally:
        np.random.set_state(state)
    delta = delta.detach().reshape(emb.shape[0], opts.n_samples).mean(1)
    return token_scores(attr.detach(), real_mask), delta
