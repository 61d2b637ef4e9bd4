"""Adversarial triggers from attribution (spec 1.6; Hao et al. Sec. 5).

Extraction, per training example with its AttAttr ``[L, H, n, n]`` (F = the predicted class's
probability, as ``run_adver_connection.py``): the head holding the example's largest attribution
(per layer the head of the layer's max, then the layer with the largest max) gives the matrix;
its two largest cells (i1, j1), (i2, j2) with values v1 >= v2 give the token pairs. The pattern
keeps the positions of the top-1 cell only when v2 / v1 < ``ratio`` (0.2), else those of both
cells, less [CLS] and [SEP]; its score is v1 + v2. Examples are sorted by score, grouped by gold
label, and patterns are kept while the score is at least ``min_score`` (0.02).

Attack: each pattern token is inserted into a dev example at its relative position inside its own
segment (:func:`relative_positions`): position ``round((len_seg + k) * rel)`` (1-based inside
the segment, Python's round as the original code, clamped to 1..len_seg + k; a collision is
bumped by one, wrapping to the first free position), the other tokens keep their order
(:func:`insert`). The control is a random pattern of the same length: k random non-special
tokens of a random training example, at their own relative positions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Pattern:
    label: int  # gold label of the training example
    source: int  # index of the training example
    positions: list[int]  # token positions in the source ([CLS] = 0)
    token_ids: list[int]
    segments: list[int]  # 0 = first segment, 1 = second (pairs)
    rel: list[float]  # relative position inside the segment, in (0, 1]
    score: float  # v1 + v2 (0 for a random control)
    cells: list[tuple[int, int, int, int, float]] = field(default_factory=list)  # l, h, i, j, v


def top_cells(attr: np.ndarray) -> tuple[int, int, list[tuple[int, int, float]]]:
    """[L, H, n, n] -> (layer, head, [(i, j, v) of the two largest cells of that head])."""
    attr = np.asarray(attr, dtype=np.float64)
    L, H, n, _ = attr.shape
    per_head = attr.reshape(L, H, -1).max(-1)  # [L, H]
    head_of_layer = per_head.argmax(1)  # the head holding each layer's max
    layer = int(per_head[np.arange(L), head_of_layer].argmax())
    head = int(head_of_layer[layer])
    flat = attr[layer, head].ravel()
    best = np.argsort(-flat, kind="stable")[:2]
    return layer, head, [(int(c // n), int(c % n), float(flat[c])) for c in best]


def segment_bounds(token_ids, sep_id: int) -> list[tuple[int, int]]:
    """[CLS] a [SEP] (b [SEP]) -> [(first, last)] token positions of each segment (inclusive;
    last < first for an empty segment)."""
    ids = list(map(int, token_ids))
    seps = [p for p, t in enumerate(ids) if t == sep_id]
    if not seps or seps[-1] != len(ids) - 1:
        raise ValueError("triggers: a row must end with [SEP]")
    bounds, start = [], 1
    for s in seps:
        bounds.append((start, s - 1))
        start = s + 1
    return bounds


def relative_positions(token_ids, positions, sep_id: int) -> tuple[list[int], list[float]]:
    """Positions in a row -> (segment of each, pos / len_seg inside it: (0, 1])."""
    bounds = segment_bounds(token_ids, sep_id)
    segs, rel = [], []
    for p in positions:
        for s, (a, b) in enumerate(bounds):
            if a <= p <= b:
                segs.append(s)
                rel.append((p - a + 1) / (b - a + 1))
                break
        else:
            raise ValueError(f"triggers: position {p} is a special token")
    return segs, rel


def make_pattern(attr: np.ndarray, token_ids, label: int, source: int, sep_id: int,
                 ratio: float = 0.2, use_all: bool = False) -> Pattern | None:
    """A training example's pattern (module docstring); None when only specials remain."""
    layer, head, cells = top_cells(attr)
    (i1, j1, v1), (i2, j2, v2) = cells[0], cells[1] if len(cells) > 1 else (cells[0][0],
                                                                            cells[0][1], 0.0)
    one = (not use_all) and v1 > 0 and v2 / v1 < ratio
    specials = {0, *(p for p, t in enumerate(map(int, token_ids)) if t == sep_id)}
    positions = sorted({i1, j1} if one else {i1, j1, i2, j2})
    positions = [p for p in positions if p not in specials]
    if not positions:
        return None
    segs, rel = relative_positions(token_ids, positions, sep_id)
    ids = [int(token_ids[p]) for p in positions]
    return Pattern(int(label), int(source), positions, ids, segs, rel, v1 + v2,
                   [(layer, head, i, j, v) for i, j, v in cells])


def insert(token_ids, pattern_ids, segments, rel, sep_id: int) -> list[int]:
    """Insert pattern tokens into a row at their relative positions (module docstring)."""
    ids = list(map(int, token_ids))
    bounds = segment_bounds(ids, sep_id)
    out = [ids[0]]
    for s, (a, b) in enumerate(bounds):
        seg = ids[a:b + 1]
        mine = [(r, t) for sg, r, t in zip(segments, rel, pattern_ids, strict=True) if sg == s]
        k = len(mine)
        size = len(seg) + k
        slots: list[int | None] = [None] * size
        for r, t in mine:
            p = min(max(round(size * r), 1), size) - 1  # 0-based slot
            while slots[p] is not None:
                p = (p + 1) % size
            slots[p] = t
        rest = iter(seg)
        out.extend(t if t is not None else next(rest) for t in slots)
        out.append(sep_id)
    return out


def random_pattern(rng: np.random.Generator, rows, length: int, sep_id: int,
                   label: int = -1) -> Pattern:
    """``length`` random non-special tokens of a random training row (with at least that many),
    at their own positions."""
    fits = [r for r, row in enumerate(rows) if len(row) - 1 - sum(
        int(t) == sep_id for t in row) >= length]
    source = int(fits[rng.integers(len(fits))])
    row = list(map(int, rows[source]))
    inner = [p for p in range(1, len(row)) if row[p] != sep_id]
    positions = sorted(int(p) for p in rng.choice(inner, size=length, replace=False))
    segs, rel = relative_positions(row, positions, sep_id)
    return Pattern(label, source, positions, [row[p] for p in positions], segs, rel, 0.0)


def select_patterns(patterns: list[Pattern], per_label: int, min_score: float
                    ) -> list[Pattern]:
    """Sorted by score (descending, ties by source); the first ``per_label`` of each gold label
    whose score is at least ``min_score``."""
    kept: list[Pattern] = []
    count: dict[int, int] = {}
    for p in sorted(patterns, key=lambda p: (-p.score, p.source)):
        if p.score < min_score:
            break
        if count.get(p.label, 0) < per_label:
            kept.append(p)
            count[p.label] = count.get(p.label, 0) + 1
    return kept
