"""The diagnostic (Wiegreffe & Pinter section 3.3): a non-contextual model with guide attention.

The ``average`` encoder (tanh(Linear(e_t)) per token, no context) is trained with JW's recipe
while its attention is replaced, per example, by a fixed guide distribution through the model
contract's ``attention_override``: uniform, the attention of a trained BiLSTM (the base model),
or of a model-consistent adversary. If a guide's weights carry information about which tokens
matter, the guided model beats the uniform one. The same guide model supplies the train, dev and
test attention (WP impose their dumped train and test attention the same way).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from seatlib.batching import pad_batch, pad_rows, real_mask, sequential_batches
from seatlib.data.text import EOS, SOS
from seatlib.metrics import classification_scores
from seatlib.models.base import probabilities
from seatlib.predict import run_model
from seatlib.train import TrainConfig, classification_loss, fit_recipe, positive_weight


def uniform_guides(token_ids: list) -> list[np.ndarray]:
    """1/n on the n words of each [SOS] w.. [EOS] row, 0 at SOS and EOS."""
    lengths = np.array([len(t) for t in token_ids])
    real = real_mask(lengths, int(lengths.max())).numpy()
    weights = real / np.maximum(real.sum(1, keepdims=True), 1)
    return [weights[i, :n].astype(np.float32) for i, n in enumerate(lengths)]


def model_guides(guide_model, token_ids: list, device, batch_size: int = 256) -> list:
    """The attention a trained model puts on each row (eval mode)."""
    return run_model(guide_model, token_ids, batch_size, device)[1]


def check_guides(guides: list, token_ids: list, where: str, tol: float = 1e-3) -> None:
    """Each guide has its row's length, is >= 0, is 0 at SOS/EOS/PAD and sums to 1."""
    if len(guides) != len(token_ids):
        raise ValueError(f"{where}: {len(guides)} guide rows for {len(token_ids)} examples")
    lengths = np.array([len(t) for t in token_ids])
    glens = np.array([len(g) for g in guides])
    bad = np.flatnonzero(lengths != glens)
    if len(bad):
        raise ValueError(f"{where}: guide row {bad[0]} has {glens[bad[0]]} weights, the example "
                         f"has {lengths[bad[0]]} positions ([SOS] words [EOS])")
    g = pad_rows(guides)
    real = real_mask(lengths, g.shape[1])
    problems = {
        "is negative or NaN": ~(g >= 0).all(1),
        "puts weight on SOS/EOS/PAD": (g.masked_fill(real, 0.0).abs() > tol).any(1),
        "does not sum to 1": (g.sum(1) - 1).abs() > tol,
    }
    for what, rows in problems.items():
        idx = torch.nonzero(rows).flatten()
        if len(idx):
            raise ValueError(f"{where}: guide row {int(idx[0])} {what}")


def run_guided(model, token_ids: list, guides: list, batch_size: int, device):
    """Evaluate with the guide as attention -> (probs (N, C), attention rows used)."""
    model.eval()
    lengths = np.array([len(t) for t in token_ids])
    order = np.argsort(lengths, kind="stable")
    probs, attn = [None] * len(token_ids), [None] * len(token_ids)
    with torch.no_grad():
        for idx in sequential_batches(len(order), batch_size):
            rows = order[idx]
            ids, real = pad_batch([token_ids[i] for i in rows], device)
            guide = pad_rows([guides[i] for i in rows], ids.shape[1], torch.float32).to(device)
            out = model(ids, real, attention_override=guide)
            p = probabilities(out.logits).cpu().numpy()
            a = out.attention.cpu().numpy()
            for j, i in enumerate(rows):
                probs[i] = p[j]
                attn[i] = a[j, : lengths[i]]
    return np.stack(probs), attn


def guided_predictions(model, split_df: pd.DataFrame, guides: list, meta: dict, split: str,
                       device, batch_size: int = 256) -> pd.DataFrame:
    """-> frame of schema "predictions"; its attention column is the guide the model used."""
    probs, attn = run_guided(model, list(split_df["token_ids"]), guides, batch_size, device)
    return pd.DataFrame({
        "dataset": meta["dataset"], "model": meta["model"], "seed": meta["seed"],
        "split": split, "example_id": split_df["example_id"].to_numpy(),
        "label": split_df["label"].to_numpy(), "pred": probs.argmax(1),
        "prob": list(probs.astype(np.float32)),
        "tokens": [[SOS, *t, EOS] for t in split_df["tokens"]],
        "attention": [a.astype(np.float32) for a in attn],
        "max_attention": np.array([a.max() for a in attn], dtype=np.float32),
    })


def train_guided(model, train_df: pd.DataFrame, dev_df: pd.DataFrame, guides_train: list,
                 guides_dev: list, cfg: TrainConfig, seed: int, device,
                 meta: dict | None = None):
    """JW's recipe with the attention fixed to the guides; selection on the dev split (with the
    dev guides). -> (best state, frame of schema "epoch_metrics", selected epoch)."""
    train_ids = list(train_df["token_ids"])
    dev_ids = list(dev_df["token_ids"])
    check_guides(guides_train, train_ids, "train guides")
    check_guides(guides_dev, dev_ids, "dev guides")
    labels = train_df["label"].to_numpy()
    pos_w = positive_weight(labels, cfg.class_weight)
    dev_labels = dev_df["label"].to_numpy()

    guide_matrix = pad_rows(guides_train, dtype=torch.float32).to(device)  # (N, L_max)

    def batch_loss(idx):
        ids, real = pad_batch([train_ids[i] for i in idx], device)
        guide = guide_matrix[torch.as_tensor(idx, device=device), : ids.shape[1]]
        logits = model(ids, real, attention_override=guide).logits
        y = torch.as_tensor(labels[idx], device=device)
        total = classification_loss(logits, y, pos_w, "sum")
        loss = total if cfg.loss_reduction == "sum" else total / len(idx)
        return loss, {"train_loss": total.detach()}

    def evaluate():
        probs, _ = run_guided(model, dev_ids, guides_dev, cfg.eval_batch_size, device)
        s = classification_scores(dev_labels, probs)
        return {"dev_accuracy": s["accuracy"], "dev_f1": s["f1"],
                "dev_macro_f1": s["macro_f1"], "dev_roc_auc": s["roc_auc"]}

    return fit_recipe(model, np.array([len(t) for t in train_ids]), cfg, seed, device,
                      batch_loss=batch_loss, evaluate=evaluate,
                      select=f"dev_{cfg.selection_metric}", maximize=True, epochs=cfg.epochs,
                      first_eligible=int(cfg.skip_first_epoch), meta=meta,
                      name=f"guided {(meta or {}).get('model', '')}")
