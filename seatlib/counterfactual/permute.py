"""Jain & Wallace's attention-permutation experiment (spec section 4.4), vectorised.

For every test instance the encoder runs once; its attention over the real tokens (positions
1..L-2; SOS, EOS and PAD never receive weight) is shuffled ``n_permutations`` times,
independently per instance and per draw, and the decoder re-runs on the cached hidden states for
all draws at once (``model.decode(hidden, (B, K, L))``). The output change of one draw is the total
variation distance between the class-probability vectors, TVD = 1/2 sum |p' - p|, which for a
binary sigmoid model is JW's |sigma(y_perm) - sigma(y)|. Per instance we report the median over
the draws (``np.median`` semantics: the mean of the two middle values for an even count) and the
mean.

Permutations are drawn as the argsort of uniform random keys, with the masked positions keyed
+inf so they sort last and are put back where they were: no Python loop over instances or draws.
The keys come from a CPU ``torch.Generator`` seeded with ``seed``, consumed batch by batch in the
length-sorted batch order, so the draws (and results) depend on ``seed`` and ``batch_size`` but
not on the device.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import torch

from seatlib.batching import pad_batch, sequential_batches
from seatlib.device import DEVICES, resolve_device
from seatlib.divergence import tvd
from seatlib.models.base import probabilities

META_COLUMNS = ("dataset", "model", "seed", "split")
PRED_COLUMNS = (*META_COLUMNS, "example_id", "label", "pred", "prob")
PROB_TOLERANCE = 1e-3


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


# ---------------------------------------------------------------------------------------------
# helpers shared with seatlib.counterfactual.adversary


def to_device(device) -> torch.device:
    if isinstance(device, str) and device in DEVICES:
        return resolve_device(device)
    return torch.device(device)


def align_predictions(split_df: pd.DataFrame, pred_df: pd.DataFrame) -> pd.DataFrame:
    """``pred_df`` rows in ``split_df``'s order (matched on example_id), or a one-line error."""
    for name, df, cols in (("split", split_df, ("example_id", "token_ids")),
                           ("predictions", pred_df, PRED_COLUMNS)):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ValueError(f"{name} frame lacks column(s) {missing}")
        dup = df["example_id"][df["example_id"].duplicated()]
        if len(dup):
            raise ValueError(f"{name} frame has duplicate example_id {dup.iat[0]!r}")
    pred = pred_df.set_index("example_id")
    absent = ~split_df["example_id"].isin(pred.index)
    if absent.any():
        raise ValueError(f"predictions lack example_id {split_df['example_id'][absent].iat[0]!r} "
                         f"of the split ({int(absent.sum())} missing); expected predictions of "
                         "the same split")
    return pred.loc[split_df["example_id"].to_numpy()].reset_index()


def length_sorted_batches(token_ids: list, batch_size: int,
                          device) -> Iterator[tuple[np.ndarray, torch.Tensor, torch.Tensor]]:
    """-> (row indices, input_ids (B, L), real_mask (B, L)), batches of similar length."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    lengths = np.array([len(t) for t in token_ids])
    order = np.argsort(lengths, kind="stable")
    for idx in sequential_batches(len(order), batch_size):
        rows = order[idx]
        ids, real = pad_batch([token_ids[i] for i in rows], device)
        yield rows, ids, real


def check_probabilities(model_probs: np.ndarray, pred: pd.DataFrame, rows: np.ndarray) -> None:
    """The model must reproduce the stored predictions (same model, same split)."""
    stored = np.stack(pred["prob"].iloc[rows].to_numpy()).astype(np.float64)
    if stored.shape != model_probs.shape:
        raise ValueError(f"predictions hold {stored.shape[1]} class probabilities but the model "
                         f"gives {model_probs.shape[1]}; expected predictions of this model")
    gap = np.abs(stored - model_probs).max(axis=1)
    bad = np.flatnonzero(gap > PROB_TOLERANCE)
    if len(bad):
        i = rows[bad[0]]
        raise ValueError(f"example_id {pred['example_id'].iat[i]!r}: predictions give "
                         f"prob {stored[bad[0]].round(4).tolist()} but the model gives "
                         f"{model_probs[bad[0]].round(4).tolist()}; expected predictions made "
                         "by this model")


def instance_columns(pred: pd.DataFrame) -> dict:
    """The columns every per-instance result starts with: model metadata, id, label, pred."""
    return {c: pred[c].to_numpy() for c in (*META_COLUMNS, "example_id", "label", "pred")}


# ---------------------------------------------------------------------------------------------


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
        for rows, ids, real in length_sorted_batches(token_ids, batch_size, dev):
            out = model(ids, real)  # the encoder runs once per batch
            base = probabilities(out.logits)  # (B, C)
            check_probabilities(base.double().cpu().numpy(), pred, rows)
            permuted = permute_real_tokens(out.attention, real, n_permutations, gen)
            # the original attention goes through the same decoder call as the draws, so
            # identical weights give bit-identical outputs (TVD exactly 0)
            both = torch.cat([out.attention[:, None, :], permuted], 1)
            probs = probabilities(model.decode(out.hidden, both)).double()  # (B, 1 + K, C)
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
