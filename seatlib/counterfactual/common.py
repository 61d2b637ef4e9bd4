"""What the counterfactual experiments share: predictions aligned to a split, the length-sorted
batches, the check that the model reproduces the stored predictions, and the columns every
per-instance result starts with (``permutation``, ``adversary``)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import torch
from torch import nn

from seatlib.batching import pad_batch, sequential_batches
from seatlib.device import DEVICES, resolve_device

META_COLUMNS = ("dataset", "model", "seed", "split")
PRED_COLUMNS = (*META_COLUMNS, "example_id", "label", "pred", "prob")
PROB_TOLERANCE = 1e-3


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


def cached_decoder(model, hidden: torch.Tensor):
    """``decode(attention (B, K, L)) -> logits (B, K, n_out)`` on the cached ``hidden``.

    For seatlib's :class:`~seatlib.models.classifier.AttentionClassifier` (``decode`` not
    overridden, a ``nn.Linear`` decoder) the logits are affine in the attention,
    ``W (sum_l a_l h_l) + b = sum_l a_l (W h_l) + b``, so the projection ``W h_l`` (B, L, n_out)
    is computed once and every call is a (K, L) x (L, n_out) product per instance instead of
    (K, L) x (L, H) followed by the decoder: H / n_out times fewer multiplications (256 for
    the BiLSTM). Equal to ``model.decode(hidden, attention)`` up to float rounding (the sum
    runs in another order). Any other model gets ``model.decode`` itself.
    """
    from seatlib.models.classifier import AttentionClassifier

    decoder = getattr(model, "decoder", None)
    if type(model).decode is not AttentionClassifier.decode or type(decoder) is not nn.Linear:
        return lambda attention: model.decode(hidden, attention)
    weight = decoder.weight.detach()
    bias = None if decoder.bias is None else decoder.bias.detach()
    projected = torch.matmul(hidden.detach(), weight.t())  # (B, L, n_out)

    if projected.shape[-1] == 1:  # one logit: a weighted sum, cheaper than B tiny products
        column = projected[:, None, :, 0]  # (B, 1, L)

        def product(attention):
            return (attention * column).sum(-1, keepdim=True)
    else:
        def product(attention):
            return torch.matmul(attention, projected)

    def decode(attention: torch.Tensor) -> torch.Tensor:
        logits = product(attention)  # (B, K, n_out)
        return logits if bias is None else logits + bias

    return decode
