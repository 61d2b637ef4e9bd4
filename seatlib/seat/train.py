"""Training SEAT and its baselines: the JW recipe's optimiser, batches and loss reduction, the
objective of ``objectives.OBJECTIVES[method]``, the vanilla model's predictions and attention as
targets, and model selection on the dev split only (the authors selected on test, spec 10.8).
"""

from __future__ import annotations

import copy
import logging
import time

import numpy as np
import pandas as pd
import torch

from seatlib.batching import length_bucketed_batches, pad_batch, sequential_batches
from seatlib.metrics import classification_scores
from seatlib.models.base import probabilities
from seatlib.seat.config import SeatTrainConfig
from seatlib.seat.divergence import tvd
from seatlib.seat.objectives import Batch, get_objective
from seatlib.seat.topk import topk_overlap_loss, true_topk_overlap
from seatlib.train import TrainConfig, make_optimizer, positive_weight

log = logging.getLogger("seatlib.seat")


@torch.no_grad()
def forward_split(model, token_ids: list, batch_size: int, device) -> tuple[torch.Tensor,
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


def real_mask_of(token_ids: list, l_max: int) -> torch.Tensor:
    """(N, l_max) bool mask of the word positions of [SOS] w.. [EOS] rows."""
    lengths = torch.tensor([len(t) for t in token_ids])
    pos = torch.arange(l_max)[None, :]
    return (pos >= 1) & (pos < lengths[:, None] - 1)


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
    meta = meta or {}
    objective = get_objective(method)
    model.to(device)
    optim = make_optimizer(model, tcfg)
    rng = np.random.default_rng(seed)
    gen = torch.Generator(device=device).manual_seed(seed)
    train_ids = list(train_df["token_ids"])
    labels = train_df["label"].to_numpy()
    pos_w = positive_weight(labels, tcfg.class_weight)
    lengths = np.array([len(t) for t in train_ids])
    van_p, van_a = targets_train
    dev_ids = list(dev_df["token_ids"])
    dev_p, dev_a = targets_dev
    dev_real = real_mask_of(dev_ids, dev_a.shape[1])
    best, best_state, best_epoch, rows = -np.inf, None, -1, []
    n_epochs = scfg.epochs_for(method) if epochs is None else epochs
    for epoch in range(n_epochs):
        start = time.perf_counter()
        model.train()
        sums = dict.fromkeys(("loss", "main", "adv", "topk_term", "topk_loss", "topk_overlap"),
                             0.0)
        batches = length_bucketed_batches(lengths, tcfg.batch_size, tcfg.length_noise, rng)
        for idx in batches:
            ids, real = pad_batch([train_ids[i] for i in idx], device)
            t_idx = torch.as_tensor(idx)
            batch = Batch(ids, real, torch.as_tensor(labels[idx], device=device),
                          van_p[t_idx].to(device), van_a[t_idx, : ids.shape[1]].to(device),
                          pos_w)
            parts = objective(model, batch, scfg, tcfg.loss_reduction, gen)
            optim.zero_grad(set_to_none=True)
            parts.total.backward()
            optim.step()
            with torch.no_grad():
                sums["loss"] += parts.total.item()
                sums["main"] += parts.main.sum().item()
                sums["adv"] += parts.adv.sum().item()
                sums["topk_term"] += parts.topk.sum().item()
                sums["topk_loss"] += topk_overlap_loss(batch.vanilla_attention, parts.attention,
                                                       real, scfg.topk).sum().item()
                sums["topk_overlap"] += true_topk_overlap(parts.attention,
                                                          batch.vanilla_attention, real,
                                                          scfg.topk).sum().item()
        train_seconds = time.perf_counter() - start
        probs, att = forward_split(model, dev_ids, tcfg.eval_batch_size, device)
        scores = classification_scores(dev_df["label"].to_numpy(), probs.numpy())
        agree = agreement(probs, att, dev_p, dev_a, dev_real, scfg.topk)
        score = scores[scfg.selection_metric]
        selected = bool(score > best or best_state is None)
        if selected:
            best, best_epoch = score, epoch
            best_state = copy.deepcopy({k: v.detach().cpu() for k, v in
                                        model.state_dict().items()})
        n = len(train_ids)
        rows.append({**meta, "epoch": epoch, "train_loss": sums["loss"] / len(batches),
                     "train_main": sums["main"] / n, "train_adv": sums["adv"] / n,
                     "train_topk_term": sums["topk_term"] / n,
                     "train_topk_loss": sums["topk_loss"] / n,
                     "train_topk_overlap": sums["topk_overlap"] / n,
                     "dev_accuracy": scores["accuracy"], "dev_f1": scores["f1"],
                     "dev_macro_f1": scores["macro_f1"], "dev_pred_tvd": agree["pred_tvd"],
                     "dev_topk_loss": agree["topk_loss"],
                     "dev_topk_overlap": agree["topk_overlap"], "selected": selected,
                     "train_seconds": train_seconds,
                     "seconds": time.perf_counter() - start})
        log.info("%s epoch %d/%d loss %.4f (main %.4f adv %.4f topk %.4f) dev macro-F1 %.4f "
                 "tvd-vs-vanilla %.4f top-%d overlap %.3f %.1fs%s", method, epoch + 1,
                 n_epochs, rows[-1]["train_loss"], rows[-1]["train_main"],
                 rows[-1]["train_adv"], rows[-1]["train_topk_term"], scores["macro_f1"],
                 agree["pred_tvd"], scfg.topk, agree["topk_overlap"], rows[-1]["seconds"],
                 " (selected)" if selected else "")
    frame = pd.DataFrame(rows)
    frame["selected"] = frame["epoch"] == best_epoch
    return best_state, frame, best_epoch
