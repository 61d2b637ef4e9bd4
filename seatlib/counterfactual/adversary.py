"""Jain & Wallace's per-instance adversarial attention, model frozen (spec section 4.5).

For each instance, ``k`` adversarial attention distributions are optimised to differ as much as
possible (Jensen-Shannon divergence, nats) from the model's attention, and from each other, while
keeping the output within ``epsilon`` (TVD of the class probabilities; |p' - p| for a binary
model). The model is frozen and its hidden states are computed once per batch and cached; only
the decoder re-runs, on (B, k, L) attentions, so all instances of a batch and all their
adversaries are optimised together.

Speed (bench/bench_counterfactual.py): consecutive length-sorted encoder batches
(``batch_size``) are merged into search chunks of at most ``max_elements`` adversary weights
(instances x k x padded length, 2^19 by default), so one Adam step serves hundreds of
instances; the decoder's projection of the hidden states is computed once per chunk
(``common.cached_decoder``), and the per-step loss (:func:`search_loss`) reuses entropies.
Every instance still gets exactly ``steps`` steps from its own initial noise; chunking and the
projection change results only by float rounding (tests/test_counterfactual_fast.py compares
with a per-instance search through ``model.decode``).

Parametrisation: adversary = masked_softmax(log-weights) over the real tokens, log-weights
initialised to log(1/n) + 3 N(0, 1) (n = number of real tokens; the constant has no effect
through the softmax). Loss, summed over the batch (so every instance's gradient is the one it
would get alone; Adam is elementwise, so a batched search equals per-instance searches up to
floating-point rounding)::

    sum_{b,k} [ -JSD(adv_bk, attn_b) + hinge_weight * max(0, TVD(y_bk, y_b) - epsilon) ]
        - sum_b w * sum_{k < k'} JSD(adv_bk, adv_bk')

with the diversity weight ``w`` (``diversity``, see ``diversity_weight``): ``paper`` (default),
w = 1 / (k (k - 1)), the paper's 1/(k(k-1)) sum_{i<j}; ``code``, JW's code
(``cross_jsd.sum(0).mean()``: the mean over all k * k ordered pairs, diagonal included, so
each unordered pair counts w = 2 / k^2, 2 (k - 1) / k times the paper's weight).

optimised with Adam(lr, amsgrad=True) for ``steps`` steps. No early stopping: every instance gets
exactly ``steps`` steps, so results do not depend on batch composition; on SST (bilstm-tanh) the
adversaries still move between steps 400 and 500 (largest adversary TVD 0.08 -> 0.02, mean
eps-max JSD 0.4828 -> 0.4829), so stopping early would change results.

Selection ("epsilon-max JSD"): the candidates are the k adversaries plus the original attention
(JSD 0, output change 0, so the result is >= 0 and falls back to the original when no adversary
qualifies); candidates whose output change exceeds ``selection_threshold`` are dropped and the one
with the largest JSD is kept.

Code vs paper: the paper's k = 4 adversaries and diversity weight are the defaults (JW's code
uses k = 5, ``k: 5``, and its weight, ``diversity: "code"``); the optimiser's hinge margin is
``epsilon`` = 0.01 while selection uses ``selection_threshold`` = 0.05, as in the code (the
paper gives one epsilon). We use the halved TVD for every number of classes
(JW's QA branch uses the un-halved sum; for binary models both equal |p' - p|), and an exact JSD
(no 1e-10 inside the logarithms, no clamp to [0, 1]; it lies in [0, ln 2]).

Initial noise is drawn once for the whole split, (N, k, L_max), in ``split_df`` row order from a
CPU generator seeded with ``seed``, so the starting point of an instance does not depend on the
batch size, the batch it lands in, or the device.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from seatlib.counterfactual.common import (
    align_predictions,
    cached_decoder,
    check_probabilities,
    instance_columns,
    length_sorted_batches,
    to_device,
)
from seatlib.divergence import LN2, entropy, jsd, tvd
from seatlib.models.attention import masked_softmax
from seatlib.models.base import probabilities
from seatlib.progress import progress

DIVERSITY_WEIGHTS = ("paper", "code")
# the encoder's length-sorted batches are merged into search chunks of at most this many
# adversary weights (instances x k x padded length), unless one batch alone is larger
SEARCH_ELEMENTS = 2 ** 19


def search_chunks(batches, k: int, max_elements: int = SEARCH_ELEMENTS) -> list[list]:
    """Consecutive (length-sorted) batches grouped so that instances x k x longest row stays
    within ``max_elements`` (a batch alone may exceed it)."""
    chunks, current, count, longest = [], [], 0, 0
    for batch in batches:
        rows, ids = batch[0], batch[1]
        n, length = count + len(rows), max(longest, ids.shape[1])
        if current and n * k * length > max_elements:
            chunks.append(current)
            current, n, length = [], len(rows), ids.shape[1]
        current.append(batch)
        count, longest = n, length
    if current:
        chunks.append(current)
    return chunks


def _pad_last(t: torch.Tensor, length: int, dim: int) -> torch.Tensor:
    """Zero-pad (False for bool) dimension ``dim`` of ``t`` to ``length``."""
    extra = length - t.shape[dim]
    if extra == 0:
        return t
    shape = list(t.shape)
    shape[dim] = extra
    return torch.cat([t, t.new_zeros(shape)], dim)


def diversity_weight(k: int, diversity: str = "paper") -> float:
    """Weight of each unordered pair's JSD(adv_i, adv_j) in the loss.

    ``paper``: 1 / (k (k - 1)) (the paper's 1/(k(k-1)) sum_{i<j}); ``code``: 2 / k^2 (JW's
    code: mean over the k * k ordered pairs, diagonal included), 2 (k - 1) / k times the
    paper's weight (3/2 at k = 4, 8/5 at k = 5)."""
    if diversity not in DIVERSITY_WEIGHTS:
        raise ValueError(f"adversary diversity {diversity!r} is unknown; expected one of "
                         f"{list(DIVERSITY_WEIGHTS)}")
    if k < 2:
        return 0.0
    return 1.0 / (k * (k - 1)) if diversity == "paper" else 2.0 / (k * k)


def adversary_loss(adv, probs, target, base, *, epsilon: float, hinge_weight: float,
                   diversity: str = "paper") -> torch.Tensor:
    """The loss minimised by the search, summed over the batch: adv (B, k, L) adversaries,
    probs (B, k, C) their class probabilities, target (B, 1, L) the model's attention, base
    (B, 1, C) its class probabilities."""
    k = adv.shape[1]
    change = tvd(probs, base)  # (B, k)
    loss = (hinge_weight * torch.relu(change - epsilon) - jsd(adv, target)).sum()
    weight = diversity_weight(k, diversity)
    if weight:  # the diagonal JSD(a, a) is exactly 0; each unordered pair once
        i, j = torch.triu_indices(k, k, offset=1, device=adv.device)
        loss = loss - weight * jsd(adv[:, i, :], adv[:, j, :]).sum()
    return loss


def search_loss(target: torch.Tensor, base: torch.Tensor, k: int, *, epsilon: float,
                hinge_weight: float, diversity: str = "paper"):
    """:func:`adversary_loss` for a fixed ``target`` (B, 1, L) and ``base`` (B, 1, C), as a
    function ``loss(adv, probs)`` with fewer tensor operations per step: JSD is
    H(m) - (H(p) + H(q)) / 2 (:func:`seatlib.divergence.jsd`), so the target's entropy is
    computed once and each adversary's entropy once per step for all its pairs (only the
    pair midpoints (adv_i + adv_j) / 2 need their own). The same values as
    :func:`adversary_loss` up to float rounding."""
    weight = diversity_weight(k, diversity)
    h_target = entropy(target)  # (B, 1)
    if weight:
        i, j = torch.triu_indices(k, k, offset=1, device=target.device)

    def loss(adv: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
        h_adv = entropy(adv)  # (B, k)
        to_target = (entropy((adv + target) / 2) - 0.5 * (h_adv + h_target)).clamp(0.0, LN2)
        change = tvd(probs, base)  # (B, k)
        total = (hinge_weight * torch.relu(change - epsilon) - to_target).sum()
        if weight:
            mid = (adv.index_select(1, i) + adv.index_select(1, j)) / 2  # (B, pairs, L)
            pairs = entropy(mid) - 0.5 * (h_adv[:, i] + h_adv[:, j])
            total = total - weight * pairs.clamp(0.0, LN2).sum()
        return total

    return loss


def initial_noise(token_ids: list, k: int, seed: int) -> torch.Tensor:
    """Standard-normal noise (N, k, L_max) for the log-weights, in row order, on the CPU."""
    max_len = max((len(t) for t in token_ids), default=0)
    gen = torch.Generator().manual_seed(seed)
    return torch.randn((len(token_ids), k, max_len), generator=gen)


def initial_log_weights(noise: torch.Tensor, real_mask: torch.Tensor) -> torch.Tensor:
    """log(1/n) + 3 * noise, (B, k, L), n = real tokens per instance."""
    n = real_mask.sum(-1).clamp_min(1).to(noise.dtype)  # (B,)
    return (-torch.log(n))[:, None, None] + 3.0 * noise


def search_adversaries(model, hidden: torch.Tensor, attention: torch.Tensor,
                       real_mask: torch.Tensor, base_probs: torch.Tensor,
                       log_weights: torch.Tensor, *, epsilon: float, hinge_weight: float,
                       lr: float, steps: int, diversity: str = "paper",
                       fast_decode: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Optimise (B, k, L) adversaries on cached ``hidden`` (B, L, H); the model is frozen.

    ``attention`` (B, L) and ``base_probs`` (B, C) are the model's own; ``log_weights``
    (B, k, L) the starting point. -> (adversarial attention (B, k, L), their class
    probabilities (B, k, C)), without gradients. ``fast_decode`` (default) decodes through
    :func:`~seatlib.counterfactual.common.cached_decoder` (the decoder's projection of the
    hidden states computed once); False calls ``model.decode`` at every step.
    """
    hidden, attention, base_probs = hidden.detach(), attention.detach(), base_probs.detach()
    decode = cached_decoder(model, hidden) if fast_decode else \
        (lambda a: model.decode(hidden, a))
    mask = real_mask[:, None, :]
    target = attention[:, None, :]
    base = base_probs[:, None, :]
    log_w = log_weights.detach().clone().requires_grad_(True)
    # the fused kernel: one pass over the weights per step (equal to the foreach one up to
    # float rounding)
    optim = torch.optim.Adam([log_w], lr=lr, amsgrad=True,
                             fused=log_w.device.type in ("cpu", "cuda"))
    objective = search_loss(target, base, log_w.shape[1], epsilon=epsilon,
                            hinge_weight=hinge_weight, diversity=diversity)
    flags = [p.requires_grad for p in model.parameters()]
    model.requires_grad_(False)
    try:
        with torch.enable_grad():
            for _ in range(steps):
                adv = masked_softmax(log_w, mask)
                probs = probabilities(decode(adv))  # (B, k, C)
                loss = objective(adv, probs)
                optim.zero_grad(set_to_none=True)
                loss.backward()
                optim.step()
        with torch.no_grad():
            adv = masked_softmax(log_w, mask)
            probs = probabilities(decode(adv))
    finally:
        for p, flag in zip(model.parameters(), flags, strict=True):
            p.requires_grad_(flag)
    return adv.detach(), probs.detach()


def select_emax(adv: torch.Tensor, adv_probs: torch.Tensor, attention: torch.Tensor,
                base_probs: torch.Tensor, threshold: float):
    """epsilon-max JSD selection among the k adversaries and the original attention.

    -> (chosen attention (B, L), its JSD (B,), its output TVD (B,), per-adversary JSD (B, k),
    per-adversary TVD (B, k)).
    """
    b, k, _ = adv.shape
    adv_jsd = jsd(adv.double(), attention[:, None, :].double())  # (B, k)
    adv_tvd = tvd(adv_probs.double(), base_probs[:, None, :].double())  # (B, k)
    zero = adv_jsd.new_zeros(b, 1)
    cand_jsd = torch.cat([adv_jsd, zero], 1)
    cand_tvd = torch.cat([adv_tvd, zero], 1)
    score = torch.where(cand_tvd <= threshold, cand_jsd, torch.full_like(cand_jsd, -math.inf))
    best = score.argmax(1)  # the original (index k) always qualifies
    rows = torch.arange(b, device=adv.device)
    chosen = torch.cat([adv, attention[:, None, :]], 1)[rows, best]
    return chosen, cand_jsd[rows, best], cand_tvd[rows, best], adv_jsd, adv_tvd


def adversarial_attention(model, split_df: pd.DataFrame, pred_df: pd.DataFrame, *, k: int = 4,
                          epsilon: float = 0.01, hinge_weight: float = 500.0, lr: float = 0.01,
                          steps: int = 500, selection_threshold: float = 0.05, seed: int = 0,
                          device="cpu", batch_size: int = 64, diversity: str = "paper",
                          max_elements: int = SEARCH_ELEMENTS):
    """JW's epsilon-max JSD adversaries for every instance of a split.

    ``split_df``: prepared split (example_id, token_ids with SOS/EOS); ``pred_df``: the model's
    predictions on it (schema "predictions"; its ``prob`` must match the model). ``seed`` seeds
    the initial noise; the ``seed`` column of the result is the model's seed from ``pred_df``.

    Returns ``(frame, adversaries)``: ``frame`` fits schema "adversary" (split_df row order;
    emax_jsd/emax_tvd of the chosen candidate, per-adversary JSD and TVD lists of length k, the
    chosen adversarial attention and the original attention over the full [SOS] .. [EOS]
    sequence); ``adversaries`` is a list, in the same order, of float32 arrays (k, L_i) holding
    all k optimised adversaries of each instance.
    """
    for name, value, low in (("k", k, 1), ("steps", steps, 0), ("epsilon", epsilon, 0),
                             ("selection_threshold", selection_threshold, 0),
                             ("hinge_weight", hinge_weight, 0), ("lr", lr, 0)):
        if value < low:
            raise ValueError(f"adversary {name} must be >= {low}, got {value}")
    diversity_weight(k, diversity)  # one-line error for an unknown name
    dev = to_device(device)
    pred = align_predictions(split_df, pred_df)
    token_ids = list(split_df["token_ids"])
    n = len(token_ids)
    noise = initial_noise(token_ids, k, seed)
    emax_jsd, emax_tvd = np.zeros(n), np.zeros(n)
    max_attn = np.zeros(n, dtype=np.float32)
    adv_jsd, adv_tvd, chosen_attn, orig_attn, all_adv = ([None] * n for _ in range(5))
    model.to(dev).eval()
    batches = length_sorted_batches(token_ids, batch_size, dev)
    chunks = search_chunks(batches, k, max_elements)
    for group in progress(chunks, None, "adversary", unit="chunk"):
        encoded = []
        for rows, ids, real in group:
            with torch.no_grad():
                out = model(ids, real)  # the encoder runs once per batch
                base = probabilities(out.logits)
            check_probabilities(base.double().cpu().numpy(), pred, rows)
            encoded.append((rows, ids, real, out.hidden, out.attention, base))
        # the batches of a chunk are searched together, padded to the chunk's longest row
        length = max(e[1].shape[1] for e in encoded)
        rows = np.concatenate([e[0] for e in encoded])
        ids, real, hidden, attention = (
            torch.cat([_pad_last(e[i], length, dim) for e in encoded])
            for i, dim in ((1, 1), (2, 1), (3, 1), (4, 1)))
        base = torch.cat([e[5] for e in encoded])
        log_w = initial_log_weights(noise[torch.as_tensor(rows), :, :length].to(dev), real)
        adv, adv_probs = search_adversaries(
            model, hidden, attention, real, base, log_w, epsilon=epsilon,
            hinge_weight=hinge_weight, lr=lr, steps=steps, diversity=diversity)
        chosen, c_jsd, c_tvd, a_jsd, a_tvd = select_emax(adv, adv_probs, attention, base,
                                                         selection_threshold)
        emax_jsd[rows] = c_jsd.cpu().numpy()
        emax_tvd[rows] = c_tvd.cpu().numpy()
        max_attn[rows] = attention.max(-1).values.float().cpu().numpy()
        lens = (ids != 0).sum(-1).tolist()
        chosen_np, attn_np = chosen.float().cpu().numpy(), attention.float().cpu().numpy()
        adv_np, a_jsd_np, a_tvd_np = adv.float().cpu().numpy(), a_jsd.cpu().numpy(), \
            a_tvd.cpu().numpy()
        for j, i in enumerate(rows):  # unpacking a chunk into per-instance rows
            chosen_attn[i] = chosen_np[j, : lens[j]]
            orig_attn[i] = attn_np[j, : lens[j]]
            all_adv[i] = adv_np[j, :, : lens[j]]
            adv_jsd[i], adv_tvd[i] = a_jsd_np[j], a_tvd_np[j]
    frame = pd.DataFrame({
        **instance_columns(pred),
        "max_attention": max_attn,
        "emax_jsd": emax_jsd,
        "emax_tvd": emax_tvd,
        "adversary_jsd": adv_jsd,
        "adversary_tvd": adv_tvd,
        "adversarial_attention": chosen_attn,
        "attention": orig_attn,
    })
    return frame, all_adv
