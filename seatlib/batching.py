"""Padding, masks and JW's length-bucketed batch order: the one place for each.

A row of a word model is ``[SOS] w.. [EOS]`` (then PAD); its *real* positions are the words,
``1 <= pos < length - 1`` (``real_mask``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence


def pad_batch(token_ids: Sequence[Sequence[int]], device=None) -> tuple[torch.Tensor,
                                                                        torch.Tensor]:
    """[[SOS, w.., EOS], ...] -> input_ids (B, L) int64 padded with 0, real_mask (B, L) bool
    True at the words (not SOS, EOS or PAD)."""
    rows = [torch.tensor(t, dtype=torch.long) for t in token_ids]  # copies read-only arrays
    ids = pad_sequence(rows, batch_first=True, padding_value=0)
    real = real_mask([len(t) for t in rows], ids.shape[1])
    return ids.to(device), real.to(device)


class PaddedSplit:
    """A split padded once: ``batch(idx)`` gives what ``pad_batch`` of those rows gives (ids
    padded to the batch's longest row, its real mask) and their labels, by slicing, without
    building tensors row by row for every batch of every epoch."""

    def __init__(self, token_ids: Sequence[Sequence[int]], labels=None, device=None):
        self.ids, self.real = pad_batch(token_ids)
        self.lengths = np.array([len(t) for t in token_ids], dtype=np.int64)
        self.device = device
        self.labels = None if labels is None else torch.as_tensor(np.array(labels))

    def batch(self, idx) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        idx = np.asarray(idx)
        width = int(self.lengths[idx].max()) if len(idx) else 0
        rows = torch.as_tensor(idx, dtype=torch.long)
        ids = self.ids[rows, :width].to(self.device)
        real = self.real[rows, :width].to(self.device)
        y = None if self.labels is None else self.labels[rows].to(self.device)
        return ids, real, y


def real_mask(lengths, length: int) -> torch.Tensor:
    """(N, length) bool, True at the words of [SOS] w.. [EOS] rows of the given lengths
    (positions 1 .. len - 2)."""
    lengths = torch.as_tensor(np.asarray(lengths), dtype=torch.long)
    pos = torch.arange(length)[None, :]
    return (pos >= 1) & (pos < lengths[:, None] - 1)


def pad_rows(rows, length: int | None = None, dtype=torch.float64) -> torch.Tensor:
    """Ragged 1-D rows -> (N, L) tensor padded with 0 (L = the longest row, or ``length`` if
    that is longer)."""
    tensors = [torch.as_tensor(np.array(r), dtype=dtype) for r in rows]  # copies read-only rows
    out = pad_sequence(tensors, batch_first=True, padding_value=0.0)
    if length is not None and out.shape[1] < length:
        out = torch.nn.functional.pad(out, (0, length - out.shape[1]))
    return out


def length_bucketed_batches(lengths: np.ndarray, batch_size: int, noise: float,
                            rng: np.random.Generator) -> list[np.ndarray]:
    """JW's order: sort by length with +-noise relative jitter, cut contiguous batches, then
    shuffle the batch order."""
    jitter = lengths * (1 + rng.uniform(-noise, noise, size=len(lengths)))
    order = np.argsort(jitter, kind="stable")
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def sequential_batches(n: int, batch_size: int) -> list[np.ndarray]:
    return [np.arange(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
