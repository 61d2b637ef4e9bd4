"""Model-consistent adversarial training (Wiegreffe & Pinter section 4).

A fresh model of the base model's architecture is trained from scratch on the train split with
per-instance targets = the base model's predictions y_b and attention a_b (no gold labels).
lambda is **WP's** (config, paths, tables and the paper preset all read it in WP's unit), and
the objective is the one WP's code optimises (``Binary_Classification.py::train``)::

    loss_i = 1/2 |sigma(y_a,i) - y_b,i| - lambda * KL(a_a,i || a_b,i)
           = WP_TVD_SCALE * TVD(y_a,i, y_b,i) - lambda * KL(a_a,i || a_b,i)

TVD is the total variation 1/2 sum_c |p_c - p'_c| of the class distributions (|p - p'| for a
binary model); WP's code halves that once more, which is the one conversion, made here by
``WP_TVD_SCALE`` = 1/2 (the paper's form TVD - lambda' KL is the same optimum at
lambda' = 2 lambda). The loss is summed (JW's ``loss_reduction: sum``) or averaged over the
batch; the tables report the true TVD. KL runs over the real tokens only, with the reference
masked (1 at SOS/EOS/PAD, a 1e-10 floor at real tokens) before any logarithm, so padding can
never produce NaN. WP's code multiplies the batch loss by the sum of the batch's class weights
(a quirk of broadcasting); ``class_weight_quirk`` reproduces that.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch

from seatlib.batching import pad_batch, pad_rows
from seatlib.divergence import tvd
from seatlib.models.base import probabilities
from seatlib.predict import run_model
from seatlib.train import TrainConfig, fit_recipe, positive_weight
from seatlib.wp.common import KL_FLOOR, attention_kl, divergences

SELECTIONS = ("dev_objective", "train_loss")
WP_TVD_SCALE = 0.5  # WP's code: 1/2 |sigma(y_a) - y_b|, half the TVD of a binary model


@dataclass(frozen=True)
class AdversaryConfig:
    lam: float
    epochs: int = 80
    patience: int | None = None  # epochs without a better selection value before stopping
    selection: str = "dev_objective"  # dev_objective (mean dev TVD/2 - lambda KL) | train_loss
    class_weight_quirk: bool = False  # WP's code: batch loss x sum of the class weights
    kl_floor: float = KL_FLOOR

    def __post_init__(self):
        if self.selection not in SELECTIONS:
            raise ValueError(f"adversary selection {self.selection!r} is unknown; expected one "
                             f"of {list(SELECTIONS)}")
        if self.lam < 0:
            raise ValueError(f"adversary lambda is {self.lam}, expected >= 0")

    def to_dict(self) -> dict:
        return asdict(self)


def consistent_loss(logits, attention, target_probs, target_attention, real_mask, lam: float,
                    kl_floor: float = KL_FLOOR):
    """WP's per-instance objective TVD(y_a, y_b) / 2 - lam * KL(a_a || a_b) over real tokens,
    lam in WP's unit -> (loss, tvd, kl), each (B,); ``tvd`` is the true TVD (not halved).
    ``target_attention`` may hold anything (0, even NaN) outside ``real_mask``."""
    p = probabilities(logits)
    d_tvd = tvd(p, target_probs.to(p.dtype))
    d_kl = attention_kl(attention, target_attention.to(attention.dtype), real_mask, kl_floor)
    return WP_TVD_SCALE * d_tvd - lam * d_kl, d_tvd, d_kl


def batch_objective(per: torch.Tensor, labels: np.ndarray, pos_weight: float, reduction: str,
                    class_weight_quirk: bool) -> torch.Tensor:
    """The batch loss from the per-instance objective ``per`` (B,): summed (``reduction`` "sum")
    or averaged; with ``class_weight_quirk`` (WP's code) multiplied by sum_i w_i, w_i =
    ``pos_weight`` for label 1 and 1 otherwise."""
    loss = per.sum() if reduction == "sum" else per.mean()
    if class_weight_quirk:
        loss = loss * float(np.where(np.asarray(labels) == 1, pos_weight, 1.0).sum())
    return loss


def base_targets(base_model, token_ids: list, device, batch_size: int = 256):
    """The base model's class probabilities (N, C) and attention rows, in eval mode."""
    probs, attn = run_model(base_model, token_ids, batch_size, device)
    return probs, attn


def train_consistent_adversary(model, train_df: pd.DataFrame, dev_df: pd.DataFrame,
                               train_targets, dev_targets, cfg: TrainConfig,
                               adv: AdversaryConfig, seed: int, device, meta: dict | None = None):
    """Train ``model`` (freshly initialised) against the base model's targets.

    train_targets / dev_targets: (probs (N, C), attention rows) of the base model on the train
    and dev splits, in the splits' row order. -> (best state, epoch frame, selected epoch).
    """
    train_ids = list(train_df["token_ids"])
    lengths = np.array([len(t) for t in train_ids])
    t_probs = torch.as_tensor(np.asarray(train_targets[0]), dtype=torch.float32).to(device)
    if len(t_probs) != len(train_ids) or len(train_targets[1]) != len(train_ids):
        raise ValueError(f"train targets have {len(t_probs)} rows, the train split "
                         f"{len(train_ids)}")
    bad = np.flatnonzero(np.array([len(a) for a in train_targets[1]]) != lengths)
    if len(bad):
        raise ValueError(f"train target attention row {bad[0]} does not match its example's "
                         f"{lengths[bad[0]]} positions")
    # (N, L_max), zero past each row's end: a batch takes its rows and its first L columns
    t_attn = pad_rows(train_targets[1], dtype=torch.float32).to(device)
    labels = train_df["label"].to_numpy()
    pos_w = positive_weight(labels, cfg.class_weight)
    dev_ids = list(dev_df["token_ids"])
    lam = float(adv.lam)

    def batch_loss(idx):
        ids, real = pad_batch([train_ids[i] for i in idx], device)
        rows = torch.as_tensor(idx, device=device)
        out = model(ids, real)
        per, d_tvd, d_kl = consistent_loss(out.logits, out.attention, t_probs[rows],
                                           t_attn[rows, : ids.shape[1]], real, lam, adv.kl_floor)
        loss = batch_objective(per, labels[idx], pos_w, cfg.loss_reduction,
                               adv.class_weight_quirk)
        stats = {"train_loss": per.detach().sum(), "train_tvd": d_tvd.detach().sum(),
                 "train_kl": d_kl.detach().sum()}
        return loss, stats

    def evaluate():
        probs, attn = run_model(model, dev_ids, cfg.eval_batch_size, device)
        d = divergences(attn, dev_targets[1], probs, dev_targets[0], adv.kl_floor)
        return {"dev_tvd": float(d["tvd"].mean()), "dev_kl": float(d["kl"].mean()),
                "dev_jsd": float(d["jsd"].mean()),
                "dev_objective": float((WP_TVD_SCALE * d["tvd"] - lam * d["kl"]).mean())}

    select = "dev_objective" if adv.selection == "dev_objective" else "train_loss"
    return fit_recipe(model, lengths, cfg, seed, device, batch_loss=batch_loss,
                      evaluate=evaluate, select=select, maximize=False, epochs=adv.epochs,
                      patience=adv.patience, meta={**(meta or {}), "lam": lam},
                      name=f"adversary lambda={lam:g}")
