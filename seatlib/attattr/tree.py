"""Attribution trees (spec 1.5; Hao et al. Sec. 5): the information flow inside the
transformer of one example, from its AttAttr matrices.

For L layers (0-based; the paper's 12 layers are 0..11) and n tokens ([CLS] .. [SEP]):

1. ``S[l] = sum_h Attr[l, h]`` ``[L, n, n]`` (row = query i, column = key j).
2. ``P[l] = S[l] / |max S[l][1:, :]|``: row 0 ([CLS] as query) is left out of the maximum, as
   [CLS] is the root and only enters at the last layer.
3. Top node: ``C = sum_l P[l]`` with its diagonal, its negatives and row 0 zeroed; the top node
   is the argmax of its row sums over tokens 1..n-1, at height (L-1)/L.
4. The root: [CLS] (height 1) draws from the top node at the last layer (threshold 0 there, the
   paper's "tau = 0 for the last layer"; the original code draws no root edge, it is our
   reading of the paper's figure). The root edge is the first edge; it changes no state, so
   [CLS] may still enter lower down as a key, as in the original code.
5. Layer L-2: edges (top -> j) for every j != top with ``P[L-2][top, j] > tau``; s(top) = 1,
   s(j) = 0, height(j) = height(top) - 1/L.
6. Layers L-3 .. 0, queries i = 1..n-1, keys j = 0..n-1, a state s per token (-1 unseen, 0
   appeared, 1 fixed): skip if ``P[l][i, j] < tau``, s(i) = -1, s(j) = 1, the edge exists, or
   (s(i), s(j)) in {(0, 0), (1, 0)}; (0, -1): s(i) = 1, s(j) = 0, height(j) = height(i) - 1/L;
   (1, -1): s(j) = 0, height(j) = min(heights) (0 in practice); then add the edge (i -> j).

Step 6 is a state machine (the order matters), so it loops over layers and query rows; within a
row the admissible keys are found with one array operation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Tree:
    top: int
    edges: list[tuple[int, int, int, float]]  # (layer, query i, key j, P[layer][i, j])
    heights: np.ndarray  # [n] node heights in [0, 1]
    state: np.ndarray  # [n] -1 unseen, 0 appeared, 1 fixed

    def edge_heights(self, k: int) -> tuple[float, float]:
        """(query height, key height) of edge k; the root edge's [CLS] query is at height 1
        (a [CLS] reached as a key lower down keeps its own height)."""
        _, i, j, _ = self.edges[k]
        return (1.0 if k == 0 else float(self.heights[i])), float(self.heights[j])

    @property
    def nodes(self) -> list[int]:
        return sorted({i for _, i, j, _ in self.edges} | {j for _, i, j, _ in self.edges})

    def edge_set(self) -> set[tuple[int, int, int]]:
        return {(layer, i, j) for layer, i, j, _ in self.edges}


def normalised(attr: np.ndarray) -> np.ndarray:
    """[L, H, n, n] (or the head sum [L, n, n]) -> P [L, n, n] (steps 1-2)."""
    attr = np.asarray(attr, dtype=np.float64)
    if attr.ndim == 4:
        attr = attr.sum(1)
    if attr.ndim != 3 or attr.shape[1] != attr.shape[2] or attr.shape[1] < 2:
        raise ValueError(f"attribution tree: expected [L, H, n, n] or [L, n, n] with n >= 2, "
                         f"got shape {attr.shape}")
    scale = np.abs(attr[:, 1:, :].max(axis=(1, 2)))
    scale[scale == 0] = 1.0
    return attr / scale[:, None, None]


def top_node(P: np.ndarray) -> int:
    C = P.sum(0).copy()
    np.fill_diagonal(C, 0.0)
    C[C < 0] = 0.0
    C[0] = 0.0
    return 1 + int(np.argmax(C[1:].sum(1)))


def build_tree(attr: np.ndarray, threshold: float = 0.4) -> Tree:
    """The attribution tree of one example's AttAttr ``[L, H, n, n]`` (module docstring)."""
    P = normalised(attr)
    L, n, _ = P.shape
    top = top_node(P)
    state = np.full(n, -1, dtype=np.int64)
    heights = np.zeros(n)
    step = 1.0 / L
    heights[top] = (L - 1) * step
    edges: list[tuple[int, int, int, float]] = [(L - 1, 0, top, float(P[L - 1, 0, top]))]
    state[top] = 1
    if L >= 2:
        for j in np.flatnonzero(P[L - 2, top] > threshold):
            if j != top:
                edges.append((L - 2, top, int(j), float(P[L - 2, top, j])))
                state[j] = 0
                heights[j] = heights[top] - step
    for layer in range(L - 3, -1, -1):
        for i in range(1, n):
            if state[i] == -1:
                continue
            # keys with s(j) = -1 are the only admissible ones; none of their edges exists yet
            for j in np.flatnonzero((P[layer, i] >= threshold) & (state == -1)):
                if state[i] == 0:
                    state[i] = 1
                    heights[j] = heights[i] - step
                else:
                    heights[j] = heights.min()
                state[j] = 0
                edges.append((layer, i, int(j), float(P[layer, i, j])))
    return Tree(top, edges, heights, state)


def stability(attr: np.ndarray, thresholds, reference: float = 0.4) -> list[dict]:
    """How the tree moves with the threshold: per threshold the number of edges and nodes, the
    Jaccard overlap of its edge set with the reference tree's, and the fraction of the
    reference tree's top-node edges (the strongest flow) still present."""
    ref = build_tree(attr, reference)
    ref_edges = ref.edge_set()
    ref_top = {e for e in ref_edges if e[1] == ref.top}
    rows = []
    for t in thresholds:
        tree = build_tree(attr, float(t))
        edges = tree.edge_set()
        union = edges | ref_edges
        rows.append({"threshold": float(t), "n_edges": len(edges), "n_nodes": len(tree.nodes),
                     "jaccard": len(edges & ref_edges) / len(union) if union else 1.0,
                     "top_edges_kept": (len(ref_top & edges) / len(ref_top)) if ref_top
                     else 1.0})
    return rows
