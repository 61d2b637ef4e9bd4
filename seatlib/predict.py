"""Predictions and attention of a trained model on a prepared split."""

from __future__ import annotations

import numpy as np
import pandas as pd

from seatlib.data.text import EOS, SOS
from seatlib.metrics import classification_scores
from seatlib.train import run_model


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
