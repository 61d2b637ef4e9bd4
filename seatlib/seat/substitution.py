"""Word substitution (SEAT's Figure 1): replace N random words of a sentence by their nearest
GloVe neighbour (cosine), among the words of the model's vocabulary.

The choice of words depends only on the split, the vocabulary and a seed, so every model is
evaluated on the same substituted sentences.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from seatlib.batching import real_mask
from seatlib.embeddings import vocab_matrix

FIRST_WORD_ID = 4  # PAD, UNK, SOS, EOS come first


def nearest_neighbours(matrix: np.ndarray, has_vector: np.ndarray,
                       chunk: int = 4096) -> np.ndarray:
    """(V, D) vectors and (V,) bool -> (V,) id of each word's cosine-nearest other word with a
    vector (-1 for words without one), by chunked matrix products."""
    m = torch.as_tensor(np.asarray(matrix, dtype=np.float32))
    ok = torch.as_tensor(has_vector, dtype=torch.bool)
    unit = m / m.norm(dim=1, keepdim=True).clamp_min(1e-12)
    out = torch.full((len(m),), -1, dtype=torch.long)
    for start in range(0, len(m), chunk):
        rows = torch.arange(start, min(start + chunk, len(m)))
        sim = unit[rows] @ unit.T  # (chunk, V)
        sim[:, ~ok] = -torch.inf
        sim[torch.arange(len(rows)), rows] = -torch.inf  # never the word itself
        best = sim.argmax(1)
        found = ok[rows] & torch.isfinite(sim.max(1).values)
        out[rows] = torch.where(found, best, torch.full_like(best, -1))
    return out.numpy()


def glove_neighbours(vocab: list[str], words: list[str], vectors: np.ndarray) -> np.ndarray:
    """Nearest vocabulary neighbour of every vocabulary word in GloVe space (-1: none)."""
    matrix, _ = vocab_matrix(vocab, words, vectors)
    has = np.abs(matrix).sum(1) > 0
    has[:FIRST_WORD_ID] = False
    return nearest_neighbours(matrix, has)


def substitute(token_ids: list, neighbours: np.ndarray, n_words: int,
               rng: np.random.Generator) -> dict:
    """Replace up to ``n_words`` random words ([SOS] w.. [EOS] rows; words with a neighbour
    only) per sentence -> {"token_ids", "positions", "original_ids", "replacement_ids"} (one
    array per sentence) and "n_changed" (n,)."""
    lengths = np.array([len(t) for t in token_ids])
    n, l_max = len(token_ids), int(lengths.max()) if len(lengths) else 0
    ids = np.zeros((n, l_max), dtype=np.int64)
    rows = np.repeat(np.arange(n), lengths)
    cols = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    ids[rows, cols] = np.concatenate(token_ids) if n else []
    word = real_mask(lengths, l_max).numpy()
    nb = neighbours[ids]
    eligible = word & (ids >= FIRST_WORD_ID) & (nb >= 0)
    keys = np.where(eligible, rng.random((n, l_max)), np.inf)
    k = min(n_words, l_max)
    chosen = np.argsort(keys, axis=1, kind="stable")[:, :k]  # (n, k) positions
    valid = np.take_along_axis(eligible, chosen, 1)
    new = ids.copy()
    r_idx = np.repeat(np.arange(n), k).reshape(n, k)
    new[r_idx[valid], chosen[valid]] = nb[r_idx[valid], chosen[valid]]
    n_changed = valid.sum(1).astype(np.int64)
    sorted_pos = np.sort(np.where(valid, chosen, l_max), axis=1)  # row-major, valid first
    flat_pos = sorted_pos[sorted_pos < l_max]
    flat_row = np.repeat(np.arange(n), n_changed)
    cuts = np.cumsum(n_changed)[:-1]
    return {"token_ids": np.split(new[rows, cols].astype(np.int32), np.cumsum(lengths)[:-1]),
            "positions": np.split(flat_pos.astype(np.int32), cuts),
            "original_ids": np.split(ids[flat_row, flat_pos], cuts),
            "replacement_ids": np.split(new[flat_row, flat_pos], cuts),
            "n_changed": n_changed}


def substitution_frame(split_df: pd.DataFrame, vocab: list[str], neighbours: np.ndarray,
                       n_words: int, seed: int) -> pd.DataFrame:
    """-> frame of schema "seat_substitutions" for a prepared split."""
    rng = np.random.default_rng(seed)
    sub = substitute(list(split_df["token_ids"]), neighbours, n_words, rng)
    vocab_arr = np.asarray(vocab, dtype=object)
    cuts = np.cumsum(sub["n_changed"])[:-1]

    def words(id_lists):
        flat = np.concatenate(id_lists) if len(id_lists) else np.zeros(0, dtype=np.int64)
        return [list(w) for w in np.split(vocab_arr[flat.astype(np.int64)], cuts)]

    return pd.DataFrame({"example_id": split_df["example_id"].to_numpy(),
                         "token_ids": sub["token_ids"], "positions": sub["positions"],
                         "original": words(sub["original_ids"]),
                         "replacement": words(sub["replacement_ids"]),
                         "n_changed": sub["n_changed"]})
