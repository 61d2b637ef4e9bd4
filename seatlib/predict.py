"""Running a trained word model over a split: the one place for it.

``run_split`` evaluates in eval mode, in length order, batched; ``run_model`` gives the same as
numpy arrays and per-example attention rows; ``predict_split`` the "predictions" table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from seatlib.batching import pad_batch, sequential_batches
from seatlib.data.text import EOS, SOS
from seatlib.metrics import classification_scores
from seatlib.models.base import probabilities


@torch.no_grad()
def run_split(model, token_ids: list, batch_size: int, device) -> tuple[torch.Tensor,
                                                                        torch.Tensor]:
    """Eval-mode pass over a split in length order -> probs (N, C) and attention (N, L_max)
    padded with zeros, both on the CPU, rows in the split's order."""
    model.eval()
    lengths = np.array([len(t) for t in token_ids])
    order = np.argsort(lengths, kind="stable")
    n, l_max = len(token_ids), int(lengths.max()) if len(lengths) else 0
    probs, att = None, torch.zeros(n, l_max)
    for idx in sequential_batches(n, batch_size):
        rows = order[idx]
        ids, real = pad_batch([token_ids[i] for i in rows], device)
        out = model(ids, real)
        p = probabilities(out.logits).cpu()
        if probs is None:
            probs = torch.zeros(n, p.shape[1])
        probs[torch.as_tensor(rows)] = p
        att[torch.as_tensor(rows), : ids.shape[1]] = out.attention.cpu()
    return (probs if probs is not None else torch.zeros(0, 2)), att


def run_model(model, token_ids: list, batch_size: int, device) -> tuple[np.ndarray, list]:
    """``run_split`` -> probs (N, C) as numpy, and each example's attention row (its length)."""
    probs, att = run_split(model, token_ids, batch_size, device)
    att = att.numpy()
    return probs.numpy(), [att[i, : len(t)] for i, t in enumerate(token_ids)]


def predict_split(model, split_df: pd.DataFrame, meta: dict, split: str, device,
                  batch_size: int = 256) -> pd.DataFrame:
    """-> frame fitting schema "predictions" (attention over [SOS] tokens [EOS])."""
    probs, attn = run_model(model, list(split_df["token_ids"]), batch_size, device)
    return pd.DataFrame({
        "dataset": meta["dataset"],
        "model": meta["model"],
        "seed": meta["seed"],
        "split": split,
        "example_id": split_df["example_id"].to_numpy(),
        "label": split_df["label"].to_numpy(),
        "pred": probs.argmax(1),
        "prob": list(probs.astype(np.float32)),
        "tokens": [[SOS, *t, EOS] for t in split_df["tokens"]],
        "attention": [a.astype(np.float32) for a in attn],
        "max_attention": np.array([a.max() for a in attn], dtype=np.float32),
    })


def score_predictions(pred: pd.DataFrame, meta: dict, selected_epoch: int) -> pd.DataFrame:
    probs = np.stack(pred["prob"].to_numpy())
    s = classification_scores(pred["label"].to_numpy(), probs)
    return pd.DataFrame([{**meta, "split": pred["split"].iat[0], "n": len(pred), **s,
                          "selected_epoch": selected_epoch}])
