"""Jain & Wallace's training recipe for the attention classifiers.

Adam (amsgrad) with three parameter groups (attention without weight decay), class-balanced BCE
summed over the batch, length-bucketed batches, model selection on the dev split only.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from seatlib.batching import PaddedSplit
from seatlib.fit import fit
from seatlib.metrics import classification_scores
from seatlib.predict import run_model

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
    """JW's Adam groups. The update is torch's fused Adam (one kernel per parameter instead of
    about ten element-wise passes; the same formula, rounding may differ in the last bits): on
    the CPU the step over the 50-d embedding matrix was about a sixth of a batch's time."""
    groups = model.parameter_groups()
    params = [p for g in groups.values() for p in g]
    fused = bool(params) and all(p.device.type in ("cpu", "cuda") for p in params)
    return torch.optim.Adam([
        {"params": groups["encoder"], "weight_decay": cfg.weight_decay},
        {"params": groups["attention"], "weight_decay": cfg.attention_weight_decay},
        {"params": groups["decoder"], "weight_decay": cfg.weight_decay},
    ], lr=cfg.lr, amsgrad=cfg.amsgrad, fused=fused or None)


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


def fit_recipe(model, lengths: np.ndarray, cfg: TrainConfig, seed: int, device, **kw):
    """``seatlib.fit.fit`` with JW's recipe: ``model`` moved to ``device``, JW's Adam groups,
    ``cfg``'s batch size and length jitter; ``kw`` as ``fit`` takes them."""
    model.to(device)
    return fit(model, lengths, optimizer=make_optimizer(model, cfg), batch_size=cfg.batch_size,
               length_noise=cfg.length_noise, seed=seed, **kw)


def train_model(model, train_df: pd.DataFrame, dev_df: pd.DataFrame, cfg: TrainConfig,
                seed: int, device, meta: dict | None = None):
    """Train with JW's loss, select on dev; -> (best state_dict, per-epoch metrics frame,
    selected epoch)."""
    train_ids = list(train_df["token_ids"])
    labels = train_df["label"].to_numpy()
    pos_w = positive_weight(labels, cfg.class_weight)
    dev_ids, dev_labels = list(dev_df["token_ids"]), dev_df["label"].to_numpy()
    batches = PaddedSplit(train_ids, labels, device)  # padded once, sliced per batch

    def batch_loss(idx):
        ids, real, y = batches.batch(idx)
        loss = classification_loss(model(ids, real).logits, y, pos_w, cfg.loss_reduction)
        return loss, {"train_loss": loss.item()}

    def evaluate():
        probs, _ = run_model(model, dev_ids, cfg.eval_batch_size, device)
        scores = classification_scores(dev_labels, probs)
        return {f"dev_{k}": scores[k] for k in ("accuracy", "f1", "macro_f1", "roc_auc")}

    return fit_recipe(model, np.array([len(t) for t in train_ids]), cfg, seed, device,
                      epochs=cfg.epochs, batch_loss=batch_loss, evaluate=evaluate,
                      select=f"dev_{cfg.selection_metric}",
                      first_eligible=int(cfg.skip_first_epoch), meta=meta,
                      name=(meta or {}).get("model", "model"), batch_mean=["train_loss"])
