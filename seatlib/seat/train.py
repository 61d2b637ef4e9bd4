"""Training SEAT and its baselines with the project's one loop (``seatlib.train.fit_recipe``:
the JW recipe's optimiser, batches and loss reduction), the objective of
``objectives.OBJECTIVES[method]``, the vanilla model's predictions and attention as targets, and
model selection on the dev split only (the authors selected on test, spec 10.8).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import torch

from seatlib.batching import pad_batch, real_mask
from seatlib.divergence import tvd
from seatlib.metrics import classification_scores
from seatlib.predict import run_split
from seatlib.seat.objectives import Batch, get_objective
from seatlib.seat.settings import SeatTrainConfig
from seatlib.seat.topk import topk_overlap_loss, true_topk_overlap
from seatlib.train import TrainConfig, fit_recipe, positive_weight

log = logging.getLogger("seatlib.seat")

DEV_SCORES = ("accuracy", "f1", "macro_f1")  # the dev scores of table seat_epochs


def agreement(probs, att, ref_probs, ref_att, real, k: int) -> dict[str, float]:
    """Mean per instance: prediction TVD, top-k surrogate and true top-k overlap vs a reference
    (the vanilla model)."""
    return {"pred_tvd": float(tvd(probs, ref_probs).mean()),
            "topk_loss": float(topk_overlap_loss(ref_att, att, real, k).mean()),
            "topk_overlap": float(true_topk_overlap(att, ref_att, real, k).mean())}


def train_seat(model, method: str, train_df: pd.DataFrame, dev_df: pd.DataFrame,
               targets_train: tuple, targets_dev: tuple, tcfg: TrainConfig,
               scfg: SeatTrainConfig, seed: int, device, meta: dict | None = None,
               epochs: int | None = None):
    """Train ``model`` with ``method``'s objective; targets_* = (probs (N, C), attention
    (N, L_max)) of the vanilla model on each split. -> (best state, per-epoch frame, best
    epoch). ``epochs`` overrides the configured number (the benchmark runs one)."""
    objective = get_objective(method)
    gen = torch.Generator(device=device).manual_seed(seed)
    train_ids = list(train_df["token_ids"])
    labels = train_df["label"].to_numpy()
    pos_w = positive_weight(labels, tcfg.class_weight)
    van_p, van_a = targets_train
    dev_ids, dev_labels = list(dev_df["token_ids"]), dev_df["label"].to_numpy()
    dev_p, dev_a = targets_dev
    dev_real = real_mask([len(t) for t in dev_ids], dev_a.shape[1])

    def batch_loss(idx):
        ids, real = pad_batch([train_ids[i] for i in idx], device)
        t_idx = torch.as_tensor(idx)
        batch = Batch(ids, real, torch.as_tensor(labels[idx], device=device),
                      van_p[t_idx].to(device), van_a[t_idx, : ids.shape[1]].to(device), pos_w)
        parts = objective(model, batch, scfg, tcfg.loss_reduction, gen)
        with torch.no_grad():  # detached tensors: the same values before or after the step
            stats = {
                "train_loss": parts.total.item(),
                "train_main": parts.main.sum().item(),
                "train_adv": parts.adv.sum().item(),
                "train_topk_term": parts.topk.sum().item(),
                "train_topk_loss": topk_overlap_loss(batch.vanilla_attention, parts.attention,
                                                     real, scfg.topk).sum().item(),
                "train_topk_overlap": true_topk_overlap(parts.attention,
                                                        batch.vanilla_attention, real,
                                                        scfg.topk).sum().item()}
        return parts.total, stats

    scored = dict.fromkeys((*DEV_SCORES, scfg.selection_metric))  # roc_auc: selection only

    def evaluate():
        probs, att = run_split(model, dev_ids, tcfg.eval_batch_size, device)
        scores = classification_scores(dev_labels, probs.numpy())
        agree = agreement(probs, att, dev_p, dev_a, dev_real, scfg.topk)
        return {**{f"dev_{k}": scores[k] for k in scored},
                **{f"dev_{k}": v for k, v in agree.items()}}

    n_epochs = scfg.epochs_for(method) if epochs is None else epochs
    state, frame, best_epoch = fit_recipe(
        model, np.array([len(t) for t in train_ids]), tcfg, seed, device, epochs=n_epochs,
        batch_loss=batch_loss, evaluate=evaluate, select=f"dev_{scfg.selection_metric}",
        meta=meta, name=method, batch_mean=["train_loss"], timings=("train_seconds", "seconds"))
    return state, frame.drop(columns=[f"dev_{k}" for k in scored if k not in DEV_SCORES]), \
        best_epoch
