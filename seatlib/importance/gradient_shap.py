"""GradientShap (Lundberg & Lee 2017), as captum's ``GradientShap``, on the real tokens'
embeddings, computed in passes of a bounded size.

For each of ``n_samples`` draws per instance a reference is drawn from the distribution and a
point uniformly on the segment between it and the input; the score is (x - reference) . gradient
there, averaged. References: baseline pad/unk/zero is a one-point distribution (then GradientShap
is integrated gradients estimated at random points), baseline random is ``n_samples`` random-word
sequences.

captum (``GradientShap`` -> ``NoiseTunnel`` -> ``InputBaselineXGradient``) runs all B x
n_samples points in one pass. ``attribute`` makes captum's draws, in captum's order, from the
generators seeded as before (numpy's global generator, seeded per batch and restored afterwards):
the reference indices ``np.random.choice(S, B * n)`` and the coefficients
``np.random.uniform(0, 1, B * n)`` over captum's row order (row b * n + k is draw k of instance
b); the zero noise captum adds (``stdevs=0``) changes nothing. It then runs the points by exact
length (``common.length_passes``) in passes of about ``TOKENS_PER_PASS`` tokens.
``captum_reference`` is the captum call itself; the tests
and ``bench/bench_importance.py`` compare the two.
"""

from __future__ import annotations

import numpy as np
import torch
from captum.attr import GradientShap

from seatlib.importance.common import (
    AttributionOptions,
    ProbabilityModel,
    captum_attribute,
    length_passes,
    reference_distribution,
    token_scores,
    true_embeddings,
)


class _seeded:
    """numpy's global generator seeded from ``seed`` (captum draws from it), torch's forked;
    both restored on exit."""

    def __init__(self, seed: int):
        self.seed = seed

    def __enter__(self):
        self.state = np.random.get_state()
        np.random.seed(self.seed % 2**32)
        self.fork = torch.random.fork_rng(devices=[])
        self.fork.__enter__()
        torch.manual_seed(self.seed)

    def __exit__(self, *exc):
        self.fork.__exit__(*exc)
        np.random.set_state(self.state)
        return False


def attribute(model, input_ids, real_mask, target, opts: AttributionOptions):
    """-> (scores (B, L), mean convergence delta over the draws (B,), or None without
    ``opts.deltas``)."""
    emb = true_embeddings(model, input_ids)
    refs = reference_distribution(model, input_ids, real_mask, emb, opts)
    batch, n = emb.shape[0], opts.n_samples
    with _seeded(opts.seed):
        ref_idx = np.random.choice(refs.shape[0], n * batch).tolist()
        alpha = np.random.uniform(0.0, 1.0, n * batch)
    ref_idx = torch.as_tensor(ref_idx, dtype=torch.long, device=emb.device)
    alpha = torch.tensor(alpha, dtype=emb.dtype, device=emb.device)
    inst = torch.arange(batch, device=emb.device).repeat_interleave(n)  # row -> instance
    wrapped = ProbabilityModel(model)
    total = torch.zeros_like(emb)
    row_sums = torch.zeros(n * batch, dtype=emb.dtype, device=emb.device)
    for r, width in length_passes((input_ids != 0).sum(1)[inst]):
        b, ref = inst[r], refs[ref_idx[r], :width]
        x = emb[b, :width]
        ids, real = input_ids[b, :width], real_mask[b, :width]
        a = alpha[r].view(-1, 1, 1)
        point = (a * x + (1.0 - a) * ref).requires_grad_(True)
        with torch.enable_grad():
            prob = wrapped(point, ids, real, x)
            (grad,) = torch.autograd.grad(prob.gather(1, target[b][:, None]).sum(), point)
        attr = (x - ref) * grad
        total[:, :width].index_add_(0, b, attr)
        if opts.deltas:
            with torch.no_grad():
                p_ref = wrapped(ref, ids, real, x).gather(1, target[b][:, None])
            row_sums[r] = attr.flatten(1).sum(1) + p_ref[:, 0]
    attr = total / n
    if not opts.deltas:
        return token_scores(attr, real_mask), None
    with torch.no_grad():
        p_x = wrapped(emb, input_ids, real_mask, emb).gather(1, target[:, None])[:, 0]
    delta = row_sums.view(batch, n) - p_x[:, None]
    return token_scores(attr, real_mask), delta.mean(1)


def captum_reference(model, input_ids, real_mask, target, opts: AttributionOptions):
    """captum's ``GradientShap`` on the whole batch in one pass (the former implementation)
    -> (scores (B, L), mean convergence delta (B,))."""
    emb = true_embeddings(model, input_ids)
    refs = reference_distribution(model, input_ids, real_mask, emb, opts)
    with _seeded(opts.seed):
        attr, delta = captum_attribute(
            GradientShap(ProbabilityModel(model)), emb, input_ids, real_mask,
            baselines=refs, target=target, n_samples=opts.n_samples, stdevs=0.0,
            return_convergence_delta=True)
    delta = delta.detach().reshape(emb.shape[0], opts.n_samples).mean(1)
    return token_scores(attr.detach(), real_mask), delta
