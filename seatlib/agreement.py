"""Agreement between attention and feature importance: Kendall tau-b per instance, Table 2.

``kendall_tau_b`` computes tau-b and its two-sided p-value for many instances at once, matching
``scipy.stats.kendalltau(x, y)`` (method='auto', variant='b'):

- tau-b = (C - D) / sqrt((n0 - T_x) (n0 - T_y)), n0 = n(n-1)/2, T = tied pairs, clipped to [-1, 1];
- NaN (tau and p) when n < 2, when either side is constant, or when an input value is NaN;
- exact p-value (the permutation distribution of the number of discordant pairs) when there
  are no ties and n <= 33 or min(D, n0 - D) <= 1; otherwise the normal approximation with
  SciPy's tie-corrected variance.

Short rows count their pairs from (B, r, L) sign tensors (O(B L^2) work, chunked to
``max_elements``); long rows (documents) use Knight's O(L log L) method: sort by x then y, count
the discordant pairs as inversions by a merge sort vectorised over rows and blocks, and the
ties from tie-class sizes. Instances of varying length are padded and masked, and rows are
processed in length-sorted chunks. ``agreement_frame`` correlates attention with every
importance method and every pair of methods over the real tokens (positions 1..L-2);
``seatlib.jw.table2`` summarises them per predicted class (JW's Table 2).
"""

from __future__ import annotations

import functools
import itertools
import logging
import math

import numpy as np
import pandas as pd
import torch
from scipy import special

from seatlib.batching import real_mask

log = logging.getLogger("seatlib.agreement")

EXACT_MAX_N = 33  # scipy: exact p-value for n <= 33 without ties
SORTED_MIN_N = 96  # rows longer than this use the O(L log L) method (bench/bench_kendall.py)
# how signed attributions (IG, DeepLIFT, the SHAP methods) are ranked against attention:
# "magnitude" ranks |score| (attention, gradient, LOO and saliency are magnitudes already),
# "signed" ranks the raw score, so strong negative evidence ranks last
SCORE_MODES = ("magnitude", "signed")
_META = ("dataset", "model", "seed", "split")


@functools.lru_cache(maxsize=1)
def _exact_cdf_table() -> np.ndarray:
    """cdf[n, c] = P(at most c discordant pairs) among the n! orderings, n <= 33 (Mahonian
    numbers, exact integers, rounded once)."""
    size = EXACT_MAX_N * (EXACT_MAX_N - 1) // 2 + 1
    table = np.ones((EXACT_MAX_N + 1, size))
    counts = [1]  # n = 1
    for n in range(2, EXACT_MAX_N + 1):
        prefix = list(itertools.accumulate(counts, initial=0))
        width = len(counts) + n - 1
        counts = [prefix[min(k + 1, len(counts))] - prefix[max(k - n + 1, 0)]
                  for k in range(width)]
        total = math.factorial(n)
        cum = list(itertools.accumulate(counts))
        table[n, :width] = [c / total for c in cum]
    return table


def _as_tensor(a, device) -> torch.Tensor:
    if isinstance(a, torch.Tensor):
        return a.detach().to(device=device, dtype=torch.float64)
    return torch.as_tensor(np.asarray(a, dtype=np.float64), device=device)


def _dense_ranks(v: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
    """Per-row dense ranks (ties share a rank) of the first n[i] values, as float32 (exact
    below 2**24); the padding gets distinct ranks above every real one, so it never ties and
    is concordant with itself."""
    width = v.shape[1]
    pos = torch.arange(width, device=v.device)[None, :]
    pad = pos >= n[:, None]
    vals, order = torch.sort(v.masked_fill(pad, math.inf), dim=1, stable=True)
    new = torch.ones_like(pad)
    new[:, 1:] = vals[:, 1:] != vals[:, :-1]
    dense = new.cumsum(1) - 1
    ranks = torch.empty_like(dense).scatter_(1, order, dense)
    return torch.where(pad, width + pos, ranks).to(torch.float32)


def _pair_stats(x, y, n, max_elements):
    """Pair statistics of one chunk (k, W) whose row i counts its first n[i] values:
    C - D, tied pairs in x and in y, and SciPy's tie sums (x0, x1, y0, y1)."""
    k, width = x.shape
    rx, ry = _dense_ranks(x, n), _dense_ranks(y, n)
    stats = torch.zeros(7, k, dtype=torch.float64, device=x.device)
    # float32 sums of +-1 stay exact while a row block holds < 2**24 pairs
    step = max(1, min(max_elements // max(k * width, 1), 2**24 // max(width, 1)))
    for r0 in range(0, width, step):
        r1 = min(width, r0 + step)
        sx = torch.sign(rx[:, r0:r1, None] - rx[:, None, :])
        sy = torch.sign(ry[:, r0:r1, None] - ry[:, None, :])
        # size of each element's tie class (itself included; 1 for the padding). Sums over
        # tie groups of g(c) are sums over elements of g(c) / c.
        cx = (width - sx.abs().sum(2)).double()
        cy = (width - sy.abs().sum(2)).double()
        stats += torch.stack([(sx * sy).sum((1, 2)).double(), (cx - 1).sum(1), (cy - 1).sum(1),
                              ((cx - 1) * (cx - 2)).sum(1), ((cx - 1) * (2 * cx + 5)).sum(1),
                              ((cy - 1) * (cy - 2)).sum(1), ((cy - 1) * (2 * cy + 5)).sum(1)])
    s_sum, tx, ty, x0, x1, y0, y1 = stats
    q = (width - n).double()
    padded_pairs = 2 * n.double() * q + q * (q - 1)  # ordered pairs with padding: all +1
    return (s_sum - padded_pairs) / 2, tx / 2, ty / 2, x0, x1, y0, y1


def _class_sizes(sorted_vals: torch.Tensor, vals: torch.Tensor) -> torch.Tensor:
    """Per element of ``vals`` (rows of any order), the size of its tie class in the row of
    ``sorted_vals`` (the same values, sorted): two binary searches, O(L log L)."""
    hi = torch.searchsorted(sorted_vals, vals, right=True)
    lo = torch.searchsorted(sorted_vals, vals, right=False)
    return (hi - lo).double()


def _inversions(v: torch.Tensor) -> torch.Tensor:
    """Per row of ``v`` (k, W), the number of pairs i < j with v[i] > v[j] (int64), by a
    bottom-up merge sort done for every block of every row at once: at each of the log2(W)
    levels, each right half counts the left-half elements above it by a binary search, then
    the two halves are sorted together. O(W log^2 W) work, no Python loop over elements."""
    k, width = v.shape
    size = 1 << max(0, (width - 1).bit_length())
    if size > width:  # pad with values above every real one, increasing: no inversions
        top = v.max() if v.numel() else torch.zeros((), dtype=v.dtype)
        fill = top + 1 + torch.arange(size - width, dtype=v.dtype, device=v.device)
        v = torch.cat([v, fill.expand(k, -1)], 1)
    total = torch.zeros(k, dtype=torch.int64, device=v.device)
    w = 1
    while w < size:
        blocks = v.reshape(k, size // (2 * w), 2, w)
        left, right = blocks[:, :, 0].contiguous(), blocks[:, :, 1].contiguous()
        not_above = torch.searchsorted(left, right, right=True)  # left elements <= each right
        total += (w - not_above).sum((1, 2))
        v = torch.sort(blocks.reshape(k, size // (2 * w), 2 * w), dim=2).values.reshape(k, size)
        w *= 2
    return total


def _pair_stats_sorted(x, y, n):
    """The statistics of ``_pair_stats`` in O(L log L) per row (Knight's method): sort by x
    then y, count the discordant pairs as the inversions of y, and the ties from the sizes of
    the tie classes. Equal, as integers, to the pair-counting version."""
    k, width = x.shape
    rx, ry = _dense_ranks(x, n).double(), _dense_ranks(y, n).double()
    # lexicographic order by (x, y): dense ranks are < 2 * width, so one float64 key is exact
    key = rx * (2 * width + 1) + ry
    key_sorted, order = torch.sort(key, dim=1, stable=True)
    dis = _inversions(ry.gather(1, order)).double()
    cx = _class_sizes(torch.sort(rx, dim=1).values, rx)
    cy = _class_sizes(torch.sort(ry, dim=1).values, ry)
    cxy = _class_sizes(key_sorted, key)
    # the padding has distinct ranks (class size 1), so it adds no ties and no discordance
    tx, ty, txy = (cx - 1).sum(1) / 2, (cy - 1).sum(1) / 2, (cxy - 1).sum(1) / 2
    nf = n.double()
    n0 = nf * (nf - 1) / 2
    con_minus_dis = n0 - tx - ty + txy - 2 * dis
    return (con_minus_dis, tx, ty, ((cx - 1) * (cx - 2)).sum(1), ((cx - 1) * (2 * cx + 5)).sum(1),
            ((cy - 1) * (cy - 2)).sum(1), ((cy - 1) * (2 * cy + 5)).sum(1))


def _p_values(n, con_minus_dis, tot, xtie, ytie, x0, x1, y0, y1):
    """SciPy's two-sided p-value (method='auto') from the pair statistics (float64 arrays)."""
    p = np.full(n.shape, np.nan)
    no_ties = (xtie == 0) & (ytie == 0)
    dis = np.rint((tot - con_minus_dis) / 2)
    exact = no_ties & ((n <= EXACT_MAX_N) | (np.minimum(dis, tot - dis) <= 1))
    if exact.any():
        ne = n[exact].astype(np.int64)
        con = (tot[exact] - dis[exact]).astype(np.int64)
        c = np.minimum(con, tot[exact].astype(np.int64) - con)
        small = ne <= EXACT_MAX_N
        pe = np.empty(len(ne))
        table = _exact_cdf_table()
        pe[small] = np.clip(2 * table[ne[small], c[small]], 0, 1)
        big = ~small  # c is 0 or 1 here: 2 / n! or 2 / (n-1)!, 0 beyond float range as scipy
        nb, cb = ne[big], c[big]
        with np.errstate(under="ignore"):
            log_fact = torch.lgamma(torch.as_tensor(nb + 1 - cb, dtype=torch.float64))
            val = np.exp(np.log(2.0) - log_fact.numpy())
        val[(cb == 0) & (nb >= 171)] = 0.0
        val[(cb == 1) & (nb >= 172)] = 0.0
        pe[big] = val
        p[exact] = pe
    asym = ~exact
    if asym.any():
        na = n[asym]
        m = na * (na - 1.0)
        var = ((m * (2 * na + 5) - x1[asym] - y1[asym]) / 18
               + (2 * xtie[asym] * ytie[asym]) / m
               + x0[asym] * y0[asym] / (9 * m * (na - 2)))
        with np.errstate(divide="ignore", invalid="ignore"):
            z = con_minus_dis[asym] / np.sqrt(var)
        p[asym] = 2 * special.ndtr(-np.abs(z))
    return p


def kendall_tau_b(x, y, mask=None, *, device=None, max_elements: int = 2**20,
                  method: str = "auto"):
    """Kendall tau-b and two-sided p-values of paired rows, as ``scipy.stats.kendalltau``.

    x, y: (B, L) arrays or tensors; mask: (B, L) bool, True where a value counts (default all).
    method: "pairs" counts every pair (O(L^2) per row, fastest for short rows), "sorted" uses
    Knight's O(L log L) sort-and-count; "auto" (default) pairs rows of at most SORTED_MIN_N
    values and sorts the longer ones. Both give the same integer pair counts.
    -> (tau (B,), p (B,)) float64 numpy arrays, NaN where scipy gives NaN.
    """
    if device is None:
        device = x.device if isinstance(x, torch.Tensor) else torch.device("cpu")
    x, y = _as_tensor(x, device), _as_tensor(y, device)
    if x.dim() != 2 or x.shape != y.shape:
        raise ValueError(f"kendall_tau_b needs two (B, L) arrays of one shape, got "
                         f"{tuple(x.shape)} and {tuple(y.shape)}")
    if mask is None:
        mask = torch.ones(x.shape, dtype=torch.bool, device=device)
    else:
        mask = torch.as_tensor(mask, device=device).to(torch.bool)
        if mask.shape != x.shape:
            raise ValueError(f"kendall_tau_b mask has shape {tuple(mask.shape)}, expected "
                             f"{tuple(x.shape)}")
    n_rows = x.shape[0]
    has_nan = ((torch.isnan(x) | torch.isnan(y)) & mask).any(1).cpu().numpy()
    # move each row's counted values to the front, then sort rows by count
    cols = torch.argsort((~mask).to(torch.int8), dim=1, stable=True)
    x, y = x.gather(1, cols), y.gather(1, cols)
    n = mask.sum(1)
    n_np = n.cpu().numpy().astype(np.int64)
    order = np.argsort(n_np, kind="stable")
    stats = np.zeros((7, n_rows))
    if method not in ("auto", "pairs", "sorted"):
        raise ValueError(f"kendall_tau_b method {method!r}: expected auto, pairs or sorted")
    limit = {"auto": SORTED_MIN_N, "pairs": n_np.max(initial=0) + 1, "sorted": 0}[method]
    i = 0
    while i < n_rows:
        # the largest chunk i..j-1 whose padded size fits max_elements: rows x width^2 for
        # pair counting (short rows), rows x width for the sorted method (long rows)
        widths = n_np[order[i:]]
        sorted_rows = widths[0] > limit
        if not sorted_rows:
            widths = widths[: int(np.searchsorted(widths, limit, side="right"))]
        per_row = np.maximum(widths, 1) * (1 if sorted_rows else np.maximum(widths, 1))
        cost = (np.arange(len(widths)) + 1) * per_row
        j = i + max(1, int(np.searchsorted(cost, max_elements, side="right")))
        rows = torch.as_tensor(order[i:j], device=device)
        width = max(int(n_np[order[j - 1]]), 1)
        if sorted_rows:
            out = _pair_stats_sorted(x[rows, :width], y[rows, :width], n[rows])
        else:
            out = _pair_stats(x[rows, :width], y[rows, :width], n[rows], max_elements)
        stats[:, order[i:j]] = torch.stack(out).cpu().numpy()
        i = j
    con_minus_dis, xtie, ytie, x0, x1, y0, y1 = stats
    nf = n_np.astype(np.float64)
    tot = np.floor(nf * (nf - 1) / 2)
    undefined = (xtie == tot) | (ytie == tot) | has_nan
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = con_minus_dis / np.sqrt(tot - xtie) / np.sqrt(tot - ytie)
    tau = np.clip(tau, -1.0, 1.0)
    p = np.full(n_rows, np.nan)
    ok = ~undefined
    if ok.any():
        p[ok] = _p_values(nf[ok], con_minus_dis[ok], tot[ok], xtie[ok], ytie[ok], x0[ok],
                          x1[ok], y0[ok], y1[ok])
    tau[undefined] = np.nan
    return tau, p


def kendall_tau_b_ragged(xs, ys, **kwargs):
    """``kendall_tau_b`` for lists of 1-D arrays of varying length."""
    if len(xs) != len(ys):
        raise ValueError(f"{len(xs)} x rows for {len(ys)} y rows")
    lengths = np.array([len(v) for v in xs], dtype=np.int64)
    if any(len(a) != len(b) for a, b in zip(xs, ys, strict=True)):
        raise ValueError("kendall_tau_b_ragged: every x row must be as long as its y row")
    width = int(lengths.max()) if len(lengths) else 0
    x = np.zeros((len(xs), width))
    y = np.zeros((len(xs), width))
    mask = np.arange(width)[None, :] < lengths[:, None]
    if width:
        x[mask] = np.concatenate([np.asarray(v, dtype=np.float64) for v in xs])
        y[mask] = np.concatenate([np.asarray(v, dtype=np.float64) for v in ys])
    return kendall_tau_b(x, y, mask, **kwargs)


def _importance_matrix(frame: pd.DataFrame, method: str, ids: pd.Index,
                       lengths: np.ndarray) -> np.ndarray:
    """Long importance rows -> (N, Lmax) scores in the predictions' example order."""
    for col in ("example_id", "token_index", "score"):
        if col not in frame.columns:
            raise ValueError(f"importance frame of method {method!r} lacks column {col!r}")
    rows = ids.get_indexer(frame["example_id"])
    if (rows < 0).any():
        bad = frame["example_id"].to_numpy()[rows < 0][0]
        raise ValueError(f"importance frame of method {method!r} has example {bad!r} that is "
                         "not in the predictions")
    pos = frame["token_index"].to_numpy().astype(np.int64)
    if ((pos < 0) | (pos >= lengths[rows])).any():
        i = int(np.argmax((pos < 0) | (pos >= lengths[rows])))
        raise ValueError(f"importance frame of method {method!r}: token_index {pos[i]} is out "
                         f"of range for example {frame['example_id'].iat[i]!r}")
    counts = np.bincount(rows, minlength=len(ids))
    if (counts != lengths).any():
        i = int(np.argmax(counts != lengths))
        raise ValueError(f"importance frame of method {method!r} has {counts[i]} row(s) for "
                         f"example {ids[i]!r}, expected one per token ({lengths[i]})")
    out = np.zeros((len(ids), int(lengths.max()) if len(ids) else 0))
    out[rows, pos] = frame["score"].to_numpy(dtype=np.float64)
    if len(np.unique(rows * out.shape[1] + pos)) != len(rows):
        raise ValueError(f"importance frame of method {method!r} repeats a (example_id, "
                         "token_index) row")
    return out


def agreement_frame(pred_df: pd.DataFrame, importance_frames: dict,
                    scores: str = "magnitude") -> pd.DataFrame:
    """Per-instance Kendall tau-b over the real tokens (positions 1..L-2), table "agreement".

    Pairs: attention vs each method, then every pair of methods (in the dict's order).
    ``scores`` (one of SCORE_MODES, stored in every row) says whether importance scores are
    ranked by magnitude or with their sign. Rows whose tau is undefined (fewer than 2 real
    tokens, or constant scores) are kept with ``defined`` False, tau 0 and p-value 1 (tables
    hold no nulls), so that Table 2 counts them as not significant, as JW do; every reader of
    tau filters on ``defined``. A warning gives their number per pair.
    """
    if scores not in SCORE_MODES:
        raise ValueError(f"key jw.agreement.scores: {scores!r} is not one of {list(SCORE_MODES)}")
    missing = [c for c in (*_META, "example_id", "label", "pred", "attention")
               if c not in pred_df.columns]
    if missing:
        raise ValueError(f"predictions frame lacks column(s) {missing}")
    if pred_df["example_id"].duplicated().any():
        bad = pred_df["example_id"][pred_df["example_id"].duplicated()].iloc[0]
        raise ValueError(f"predictions frame repeats example {bad!r}")
    ids = pd.Index(pred_df["example_id"])
    attention = [np.asarray(a, dtype=np.float64) for a in pred_df["attention"]]
    lengths = np.array([len(a) for a in attention], dtype=np.int64)
    width = int(lengths.max()) if len(lengths) else 0
    real = real_mask(lengths, width).numpy()
    values = {"attention": np.zeros((len(ids), width))}
    if width:
        values["attention"][np.arange(width)[None, :] < lengths[:, None]] = \
            np.concatenate(attention)
    for method, frame in importance_frames.items():
        if method == "attention":
            raise ValueError("importance method name 'attention' is reserved for attention")
        matrix = _importance_matrix(frame, method, ids, lengths)
        values[method] = np.abs(matrix) if scores == "magnitude" else matrix
    methods = list(importance_frames)
    pairs = [("attention", m) for m in methods] + list(itertools.combinations(methods, 2))
    base = {k: pred_df[k].to_numpy() for k in (*_META, "example_id", "pred", "label")}
    parts = []
    for a, b in pairs:
        tau, p = kendall_tau_b(values[a], values[b], real)
        parts.append(pd.DataFrame({**base, "method_a": a, "method_b": b, "scores": scores,
                                   "tau": tau,
                                   "p_value": p, "n_tokens": np.maximum(lengths - 2, 0)}))
    cols = [*_META, "example_id", "pred", "label", "method_a", "method_b", "scores", "tau",
            "p_value", "n_tokens"]  # + "defined"
    out = (pd.concat(parts, ignore_index=True)[cols] if parts
           else pd.DataFrame({c: [] for c in cols}))
    undefined = out["tau"].isna()
    if undefined.any():
        counts = out[undefined].groupby(["method_a", "method_b"]).size()
        log.warning("%d undefined Kendall tau row(s) (< 2 real tokens or constant scores), "
                    "kept as not significant: %s", int(undefined.sum()),
                    ", ".join(f"{a}/{b}: {n}" for (a, b), n in counts.items()))
    out["defined"] = ~undefined.to_numpy()
    out["tau"] = out["tau"].fillna(0.0)
    out["p_value"] = out["p_value"].fillna(1.0)
    return out
