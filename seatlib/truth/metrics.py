"""Scores of one explainer's token scores against the planted evidence, batched over examples.

Inputs are padded matrices: ``scores`` (N, L) float, ``valid`` (N, L) bool (the real words of
each example, no SOS/EOS) and ``truth`` (N, L) bool (the planted positions, a subset of
``valid``, at least one per row). Explainers are ranked by their score, higher first; a tie is
broken uniformly at random and every metric is its expectation over those tie-breaks, so a
constant explainer scores exactly what a random order scores in expectation (k/n etc.).

- ``precision_at_k`` / ``recall_at_k`` with k = the number planted: expected planted tokens
  among the k top-scored, over k / over the number planted (equal when k is the number planted,
  i.e. R-precision; both are kept so a later k can differ);
- ``auprc``: average precision (scikit-learn's step-wise definition: one threshold per distinct
  score, precision at the end of each tie group);
- ``first_rank``: the expected 1-based rank of the best-ranked planted token;
- ``top_k_mask``: the k top-scored words (ties by position) for ERASER's deletions, ``aopc``.
"""

from __future__ import annotations

import numpy as np


def pad(rows, fill: float = 0.0, dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    """Ragged 1-d rows -> (matrix (N, L_max) filled with ``fill``, valid mask)."""
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    width = int(lengths.max()) if len(rows) else 0
    valid = np.arange(width)[None, :] < lengths[:, None]
    out = np.full((len(rows), width), fill, dtype=dtype)
    if len(rows) and width:
        out[valid] = np.concatenate([np.asarray(r, dtype=dtype) for r in rows])
    return out, valid


def position_mask(positions, valid: np.ndarray) -> np.ndarray:
    """Lists of 0-based positions -> bool (N, L) with True at them."""
    mask = np.zeros(valid.shape, dtype=bool)
    counts = np.array([len(p) for p in positions], dtype=np.int64)
    if counts.sum():
        rows = np.repeat(np.arange(len(positions)), counts)
        mask[rows, np.concatenate([np.asarray(p, dtype=np.int64) for p in positions])] = True
    if (mask & ~valid).any():
        raise ValueError("a planted position lies outside its example's words")
    return mask


def _check(scores, valid, truth):
    if not np.isfinite(scores[valid]).all():
        raise ValueError("explainer scores must be finite on the real words")
    if (truth.sum(1) == 0).any():
        raise ValueError("every example needs at least one planted position")


def expected_hits_at_k(scores, valid, truth, k) -> np.ndarray:
    """Expected number of planted tokens among the k top-scored words, ties at random."""
    _check(scores, valid, truth)
    s = np.where(valid, scores, -np.inf)
    k = np.asarray(k, dtype=np.int64)
    kth = -np.sort(-s, axis=1)[np.arange(len(s)), k - 1]
    greater = s > kth[:, None]
    tied = (s == kth[:, None]) & valid
    room = k - greater.sum(1)
    return (greater & truth).sum(1) + room * (tied & truth).sum(1) / tied.sum(1)


def precision_recall_at_k(scores, valid, truth) -> tuple[np.ndarray, np.ndarray]:
    """precision@k and recall@k with k = the number planted in each example."""
    k = truth.sum(1)
    hits = expected_hits_at_k(scores, valid, truth, k)
    return hits / k, hits / truth.sum(1)


def average_precision(scores, valid, truth) -> np.ndarray:
    """Per-example area under the precision-recall curve (average precision)."""
    _check(scores, valid, truth)
    s = np.where(valid, scores, -np.inf)
    order = np.argsort(-s, axis=1, kind="stable")
    s_sorted = np.take_along_axis(s, order, 1)
    t_sorted = np.take_along_axis(truth, order, 1)
    width = s.shape[1]
    is_end = np.ones(s.shape, dtype=bool)
    is_end[:, :-1] = s_sorted[:, :-1] != s_sorted[:, 1:]
    idx = np.where(is_end, np.arange(width)[None, :], width)
    end = np.minimum.accumulate(idx[:, ::-1], axis=1)[:, ::-1]  # last index of each tie group
    tp = np.cumsum(t_sorted, axis=1)
    precision_at_end = np.take_along_axis(tp, end, 1) / (end + 1)
    return (t_sorted * precision_at_end).sum(1) / t_sorted.sum(1)


def first_planted_rank(scores, valid, truth) -> np.ndarray:
    """Expected 1-based rank of the best-ranked planted token (ties at random)."""
    _check(scores, valid, truth)
    s = np.where(valid, scores, -np.inf)
    best = np.where(truth, s, -np.inf).max(1)[:, None]
    above = (s > best).sum(1)
    tied = ((s == best) & valid).sum(1)
    tied_planted = ((s == best) & truth).sum(1)
    return above + (tied + 1) / (tied_planted + 1)


def eraser_k(n_tokens: np.ndarray, fraction: float) -> np.ndarray:
    """Words deleted at ``fraction``: ceil(fraction * n), at least 1, at most n - 1."""
    n = np.asarray(n_tokens, dtype=np.int64)
    return np.clip(np.ceil(fraction * n - 1e-9).astype(np.int64), 1, np.maximum(n - 1, 1))


def top_k_mask(scores, valid, k) -> np.ndarray:
    """The k top-scored words of each row (ties: the earlier position first)."""
    s = np.where(valid, scores, -np.inf)
    order = np.argsort(-s, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(s.shape[1])[None, :].repeat(len(s), 0), 1)
    return (rank < np.asarray(k)[:, None]) & valid


def aopc(values: np.ndarray) -> np.ndarray:
    """Area over the perturbation curve: the mean over the k bins (N, F) -> (N,)."""
    return np.asarray(values, dtype=np.float64).mean(1)
