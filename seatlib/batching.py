"""Padding, masks and JW's length-bucketed batch order."""

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
    lengths = torch.tensor([len(t) for t in rows])
    ids = pad_sequence(rows, batch_first=True, padding_value=0)
    pos = torch.arange(ids.shape[1])[None, :]
    real = (pos >= 1) & (pos < lengths[:, None] - 1)
    return ids.to(device), real.to(device)


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
