"""Jain & Wallace's attention-permutation experiment (spec section 4.4), vectorised.

For every test instance the encoder runs once; its attention over the real tokens (positions
1..L-2; SOS, EOS and PAD never receive weight) is shuffled ``n_permutations`` times,
independently per instance and per draw, and the decoder re-runs on the cached hidden states for
all draws at once (``model.decode(hidden, (B, K, L))``; for seatlib's linear decoder the
projection of the hidden states is computed once, ``common.cached_decoder``). The output
change of one draw is the total variation distance between the class-probability vectors,
TVD = 1/2 sum |p' - p|, which for a binary sigmoid model is JW's |sigma(y_perm) - sigma(y)|.
Per instance we report the median over the draws (``np.median`` semantics: the mean of the two
middle values for an even count) and the mean.

Permutations are drawn as the argsort of uniform random keys, with the masked positions keyed
+inf so they sort last and are put back where they were: no Python loop over instances or draws.
The keys come from a CPU ``torch.Generator`` seeded with ``seed``, consumed batch by batch in the
length-sorted batch order, so the draws (and results) depend on ``seed`` and ``batch_size`` but
not on the device.
"""

from __future__ import annotations

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
from seatlib.divergence import tvd
from seatlib.models.base import probabilities
from seatlib.progress import progress


def permutation_indices(real_mask: torch.Tensor, k: int,
                        generator: torch.Generator) -> torch.Tensor:
    """Index tensor (B, K, L): ``attention[b].gather(-1, perm[b, j])`` is draw j for instance b.

    Real positions (``real_mask`` True) are permuted uniformly at random among themselves,
    independently per instance and draw; every other position maps to itself. The random keys
    are drawn on ``generator``'s device and moved to ``real_mask``'s.
    """
    if k < 1:
        raise ValueError(f"number of permutations must be >= 1, got {k}")
    b, length = real_mask.shape
    dev = real_mask.device
    keys = torch.rand((b, k, length), generator=generator, device=generator.device).to(dev)
    real = real_mask[:, None, :].expand(b, k, length)
    inf = torch.tensor(float("inf"), device=dev)
    # source positions: the real ones in random order, then the others in ascending order
    src = torch.argsort(torch.where(real, keys, inf), dim=-1, stable=True)
    # destination positions: the real ones in ascending order, then the others ascending
    dst = torch.argsort((~real_mask).to(torch.int8), dim=-1, stable=True)
    dst = dst[:, None, :].expand(b, k, length)
    return torch.empty_like(src).scatter_(-1, dst, src)


def permute_real_tokens(attention: torch.Tensor, real_mask: torch.Tensor, k: int,
                        generator: torch.Generator) -> torch.Tensor:
    """(B, L) attention -> (B, K, L): K independent shuffles of the weights on real tokens;
    the weights on SOS, EOS and PAD stay where they are (0 for the seatlib models)."""
    perm = permutation_indices(real_mask, k, generator)
    return attention[:, None, :].expand_as(perm).gather(-1, perm)


def permutation_experiment(model, split_df: pd.DataFrame, pred_df: pd.DataFrame, *,
                           n_permutations: int = 100, seed: int = 0, device="cpu",
                           batch_size: int = 64) -> pd.DataFrame:
    """Median and mean output TVD under random permutations of attention, per instance.

    ``split_df``: prepared split (example_id, token_ids with SOS/EOS). ``pred_df``: the model's
    predictions on it (schema "predictions"; dataset, model, seed, split, label and pred are
    copied from it, and its ``prob`` must match what the model computes). ``seed`` seeds the
    permutations; the ``seed`` column of the result is the model's seed from ``pred_df``.
    Returns a frame fitting schema "permutation", in ``split_df``'s row order.
    """
    if n_permutations < 1:
        raise ValueError(f"n_permutations must be >= 1, got {n_permutations}")
    dev = to_device(device)
    pred = align_predictions(split_df, pred_df)
    token_ids = list(split_df["token_ids"])
    n = len(token_ids)
    median, mean, max_attn = np.zeros(n), np.zeros(n), np.zeros(n, dtype=np.float32)
    gen = torch.Generator().manual_seed(seed)
    model.to(dev).eval()
    with torch.no_grad():
        batches = length_sorted_batches(token_ids, batch_size, dev)
        for rows, ids, real in progress(batches, -(-n // batch_size), "permutation", unit="batch"):
            out = model(ids, real)  # the encoder runs once per batch
            base = probabilities(out.logits)  # (B, C)
            check_probabilities(base.double().cpu().numpy(), pred, rows)
            permuted = permute_real_tokens(out.attention, real, n_permutations, gen)
            # the original attention goes through the same decoder call as the draws, so
            # identical weights give bit-identical outputs (TVD exactly 0)
            both = torch.cat([out.attention[:, None, :], permuted], 1)
            decode = cached_decoder(model, out.hidden)  # the decoder's projection, once
            probs = probabilities(decode(both)).double()  # (B, 1 + K, C)
            change = tvd(probs[:, 1:], probs[:, :1])  # (B, K)
            median[rows] = torch.quantile(change, 0.5, dim=1).cpu().numpy()
            mean[rows] = change.mean(1).cpu().numpy()
            max_attn[rows] = out.attention.max(-1).values.float().cpu().numpy()
    return pd.DataFrame({
        **instance_columns(pred),
        "max_attention": max_attn,
        "median_tvd": median,
        "mean_tvd": mean,
    })
