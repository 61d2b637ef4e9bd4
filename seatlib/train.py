"""Jain & Wallace's training recipe for the attention classifiers.

Adam (amsgrad) with three parameter groups (attention without weight decay), class-balanced BCE
summed over the batch, length-bucketed batches, model selection on the dev split only.
"""

from __future__ import annotations

import copy
import logging
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm import tqdm

from seatlib.batching import length_bucketed_batches, pad_batch, sequential_batches
from seatlib.metrics import classification_scores
from seatlib.models.base import probabilities

log = logging.getLogger("seatlib.train")


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 8
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-5
    attention_weight_decay: float = 0.0
    amsgrad: bool = True
    loss_reduction: str = "sum"  # JW sums the per-example loss over the batch; "mean" averages
    class_weight: str = "balanced"  # positive weight N_neg/N_pos ("balanced") or "none"
    selection_metric: str = "roc_auc"  # dev metric for model selection: roc_auc|f1|accuracy
    skip_first_epoch: bool = False  # JW's code never selects epoch 0 (a quirk); off by default
    length_noise: float = 0.1
    eval_batch_size: int = 256

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def to_dict(self) -> dict:
        return asdict(self)


def make_optimizer(model, cfg: TrainConfig) -> torch.optim.Optimizer:
    groups = model.parameter_groups()
    return torch.optim.Adam([
        {"params": groups["encoder"], "weight_decay": cfg.weight_decay},
        {"params": groups["attention"], "weight_decay": cfg.attention_weight_decay},
        {"params": groups["decoder"], "weight_decay": cfg.weight_decay},
    ], lr=cfg.lr, amsgrad=cfg.amsgrad)


def positive_weight(labels: np.ndarray, mode: str) -> float:
    if mode == "none":
        return 1.0
    n_pos = int((labels == 1).sum())
    return (len(labels) - n_pos) / max(n_pos, 1)


def classification_loss(logits, labels, pos_weight: float, reduction: str) -> torch.Tensor:
    """Weighted BCE for a (B, 1) head, cross-entropy for (B, C); summed or averaged."""
    if logits.shape[-1] == 1:
        y = labels.to(logits.dtype)
        per = nn.functional.binary_cross_entropy_with_logits(logits[:, 0], y, reduction="none")
        per = per * torch.where(labels == 1, pos_weight, 1.0)
    else:
        per = nn.functional.cross_entropy(logits, labels, reduction="none")
    return per.sum() if reduction == "sum" else per.mean()


@torch.no_grad()
def run_model(model, token_ids: list, batch_size: int, device) -> tuple[np.ndarray, list]:
    """Evaluate in eval mode, batched by length; -> probs (N, C), attention per example."""
    model.eval()
    lengths = np.array([len(t) for t in token_ids])
    order = np.argsort(lengths, kind="stable")
    probs, attn = [None] * len(token_ids), [None] * len(token_ids)
    for idx in sequential_batches(len(order), batch_size):
        rows = order[idx]
        ids, real = pad_batch([token_ids[i] for i in rows], device)
        out = model(ids, real)
        p = probabilities(out.logits).cpu().numpy()
        a = out.attention.cpu().numpy()
        for j, i in enumerate(rows):
            probs[i] = p[j]
            attn[i] = a[j, : lengths[i]]
    return np.stack(probs) if probs else np.zeros((0, 2)), attn


def train_model(model, train_df: pd.DataFrame, dev_df: pd.DataFrame, cfg: TrainConfig,
                seed: int, device, meta: dict | None = None):
    """Train; -> (best state_dict, per-epoch metrics frame, selected epoch)."""
    meta = meta or {}
    model.to(device)
    optim = make_optimizer(model, cfg)
    rng = np.random.default_rng(seed)
    train_ids = list(train_df["token_ids"])
    labels = train_df["label"].to_numpy()
    pos_w = positive_weight(labels, cfg.class_weight)
    lengths = np.array([len(t) for t in train_ids])
    best, best_state, best_epoch, rows = -np.inf, None, -1, []
    for epoch in range(cfg.epochs):
        start = time.perf_counter()
        model.train()
        total = 0.0
        batches = length_bucketed_batches(lengths, cfg.batch_size, cfg.length_noise, rng)
        bar = tqdm(batches, desc=f"epoch {epoch + 1}/{cfg.epochs}", leave=False,
                   disable=not sys.stderr.isatty())
        for idx in bar:
            ids, real = pad_batch([train_ids[i] for i in idx], device)
            y = torch.as_tensor(labels[idx], device=device)
            loss = classification_loss(model(ids, real).logits, y, pos_w, cfg.loss_reduction)
            optim.zero_grad(set_to_none=True)
            loss.backward()
            optim.step()
            total += loss.item()
        probs, _ = run_model(model, list(dev_df["token_ids"]), cfg.eval_batch_size, device)
        scores = classification_scores(dev_df["label"].to_numpy(), probs)
        score = scores[cfg.selection_metric]
        eligible = not (cfg.skip_first_epoch and epoch == 0)
        selected = bool(eligible and (score > best or best_state is None))
        if selected:
            best, best_epoch = score, epoch
            best_state = copy.deepcopy({k: v.detach().cpu() for k, v in
                                        model.state_dict().items()})
        seconds = time.perf_counter() - start
        rows.append({**meta, "epoch": epoch, "train_loss": total / len(batches),
                     "dev_accuracy": scores["accuracy"], "dev_f1": scores["f1"],
                     "dev_macro_f1": scores["macro_f1"], "dev_roc_auc": scores["roc_auc"],
                     "selected": selected, "seconds": seconds})
        log.info("epoch %d/%d loss %.4f dev acc %.4f f1 %.4f auc %.4f %.1fs%s", epoch + 1,
                 cfg.epochs, total / len(batches), scores["accuracy"], scores["f1"],
                 scores["roc_auc"], seconds, " (selected)" if selected else "")
    metrics = pd.DataFrame(rows)
    # "selected" marks the epoch finally kept, not every improvement
    metrics["selected"] = metrics["epoch"] == best_epoch
    return best_state, metrics, best_epoch
