"""Training objectives by method name (``OBJECTIVES``), each
``(model, batch, cfg, reduction, generator) -> LossParts``.

- ``seat`` (paper, the authors' development code ``train_ours``, spec section 2):
  TVD(p_seat, p_vanilla) + lambda1 * TVD(decoder(h, a*), p_vanilla) + lambda2 * L_topk(w, w_seat)
  where a* is an attention PGD adversary (decoder only, on cached hidden states). No gold label.
- ``seat-released`` (the AAAI'23 release, spec section 2 note):
  BCE(y) + lambda1 * BCE(y | embedding PGD) + lambda2 * L_topk(att(x + delta), att(x)).
- baselines, trained on gold labels as BCE + lambda1 * BCE_adv (spec section 5):
  ``vanilla`` (BCE only), ``word-at`` (PGD on embeddings), ``word-iat`` (iAT on embeddings),
  ``attention-at`` (PGD on the post-softmax attention), ``attention-iat`` (iAT on attention),
  ``attention-rp`` (uniform random attention noise).
Adversaries of the baselines maximise TVD(gold one-hot, prediction), as in the released code.
Per-instance terms are summed or averaged over the batch (``reduction``, the JW recipe's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from seatlib.divergence import tvd
from seatlib.models.base import probabilities
from seatlib.seat import attacks
from seatlib.seat.metrics import one_hot_labels
from seatlib.seat.settings import SeatTrainConfig
from seatlib.seat.topk import topk_overlap_loss


@dataclass
class Batch:
    input_ids: torch.Tensor  # (B, L)
    real_mask: torch.Tensor  # (B, L) bool
    labels: torch.Tensor  # (B,)
    vanilla_probs: torch.Tensor | None = None  # (B, C) targets p = y(x, w)
    vanilla_attention: torch.Tensor | None = None  # (B, L) targets w
    pos_weight: float = 1.0


@dataclass
class LossParts:
    total: torch.Tensor  # scalar to minimise
    main: torch.Tensor  # (B,) D1 (seat) or BCE on the clean input
    adv: torch.Tensor  # (B,) the adversarial / noisy term before lambda1 (0 for vanilla)
    topk: torch.Tensor  # (B,) L_topk before lambda2 (0 when not part of the loss)
    attention: torch.Tensor  # (B, L) the model's clean attention (detached)
    probs: torch.Tensor  # (B, C) the model's clean prediction (detached)


def bce_per_instance(logits: torch.Tensor, labels: torch.Tensor,
                     pos_weight: float) -> torch.Tensor:
    """Class-weighted BCE (sigmoid head) or cross-entropy (softmax head), per instance (B,);
    the same loss as ``seatlib.train.classification_loss`` before its reduction."""
    if logits.shape[-1] == 1:
        per = nn.functional.binary_cross_entropy_with_logits(
            logits[:, 0], labels.to(logits.dtype), reduction="none")
        return per * torch.where(labels == 1, pos_weight, 1.0)
    return nn.functional.cross_entropy(logits, labels, reduction="none")


def _reduce(x: torch.Tensor, reduction: str) -> torch.Tensor:
    return x.sum() if reduction == "sum" else x.mean()


def _need(batch: Batch, method: str) -> None:
    if batch.vanilla_probs is None or batch.vanilla_attention is None:
        raise ValueError(f"method {method!r} needs the vanilla model's predictions and "
                         "attention as targets (Batch.vanilla_probs / vanilla_attention)")


def _parts(total, main, adv, topk, out) -> LossParts:
    probs = probabilities(out.logits).detach()
    zero = torch.zeros_like(main)
    return LossParts(total=total, main=main.detach(), adv=(zero if adv is None else adv.detach()),
                     topk=(zero if topk is None else topk.detach()),
                     attention=out.attention.detach(), probs=probs)


def vanilla_loss(model, batch: Batch, cfg: SeatTrainConfig, reduction: str, generator=None):
    out = model(batch.input_ids, batch.real_mask)
    main = bce_per_instance(out.logits, batch.labels, batch.pos_weight)
    return _parts(_reduce(main, reduction), main, None, None, out)


def seat_loss(model, batch: Batch, cfg: SeatTrainConfig, reduction: str, generator=None):
    """The paper's SEAT as the authors' development code trains it (spec section 2)."""
    _need(batch, "seat")
    out = model(batch.input_ids, batch.real_mask)
    p_seat = probabilities(out.logits)
    main = tvd(p_seat, batch.vanilla_probs)  # D1
    topk = topk_overlap_loss(batch.vanilla_attention, out.attention, batch.real_mask, cfg.topk)
    # D2: the worst attention within R of SEAT's, against vanilla p (authors) or SEAT's own p
    target = batch.vanilla_probs if cfg.stability_target == "vanilla" else p_seat
    a_star = attacks.pgd_attention(model, out.hidden, out.attention, batch.real_mask,
                                   target.detach(), cfg.attention_pgd, generator)
    if cfg.adv_through_attention:  # Algorithm 1: the gradient also reaches w~ through w~ + delta
        a_star = out.attention + (a_star - out.attention).detach()
    adv = tvd(probabilities(model.decode(out.hidden, a_star)), target)
    total = (_reduce(main, reduction) + cfg.lambda1 * _reduce(adv, reduction)
             + cfg.lambda2 * _reduce(topk, reduction))
    return _parts(total, main, adv, topk, out)


def seat_released_loss(model, batch: Batch, cfg: SeatTrainConfig, reduction: str,
                       generator=None):
    """The released code's "ours": gold-label BCE, BCE under embedding PGD, and top-k agreement
    of the attention under that perturbation with the clean attention."""
    out = model(batch.input_ids, batch.real_mask)
    main = bce_per_instance(out.logits, batch.labels, batch.pos_weight)
    gold = one_hot_labels(batch.labels, probabilities(out.logits).shape[-1], out.logits.dtype)
    e_star = attacks.pgd_embeddings(model, batch.input_ids, batch.real_mask, out.embeddings,
                                    gold, cfg.embedding_pgd, generator)
    delta = e_star - out.embeddings.detach()
    out_adv = model(batch.input_ids, batch.real_mask, embedding_override=out.embeddings + delta)
    adv = bce_per_instance(out_adv.logits, batch.labels, batch.pos_weight)
    topk = topk_overlap_loss(out.attention, out_adv.attention, batch.real_mask, cfg.topk)
    total = (_reduce(main, reduction) + cfg.lambda1 * _reduce(adv, reduction)
             + cfg.lambda2 * _reduce(topk, reduction))
    return _parts(total, main, adv, topk, out)


def _bce_plus_adv(out, adv_logits, batch, cfg, reduction):
    main = bce_per_instance(out.logits, batch.labels, batch.pos_weight)
    adv = bce_per_instance(adv_logits, batch.labels, batch.pos_weight)
    return _parts(_reduce(main, reduction) + cfg.lambda1 * _reduce(adv, reduction), main, adv,
                  None, out)


def _gold(out, batch):
    return one_hot_labels(batch.labels, probabilities(out.logits).shape[-1], out.logits.dtype)


def _embedding_adv_loss(model, out, e_star, batch, cfg, reduction):
    """Clean BCE plus lambda1 x BCE of the whole model re-run on embeddings ``e_star`` (the
    perturbation is a constant; gradients reach the embeddings through ``out``)."""
    adv_emb = out.embeddings + (e_star - out.embeddings.detach())
    adv = model(batch.input_ids, batch.real_mask, embedding_override=adv_emb)
    return _bce_plus_adv(out, adv.logits, batch, cfg, reduction)


def _attention_adv_loss(model, out, a_new, batch, cfg, reduction):
    """Clean BCE plus lambda1 x BCE of the decoder re-run on attention ``a_new`` (straight
    through to the clean attention when cfg.adv_through_attention)."""
    if cfg.adv_through_attention:
        a_new = out.attention + (a_new - out.attention).detach()
    return _bce_plus_adv(out, model.decode(out.hidden, a_new), batch, cfg, reduction)


def word_at_loss(model, batch: Batch, cfg: SeatTrainConfig, reduction: str, generator=None):
    out = model(batch.input_ids, batch.real_mask)
    e_star = attacks.pgd_embeddings(model, batch.input_ids, batch.real_mask, out.embeddings,
                                    _gold(out, batch), cfg.embedding_pgd, generator)
    return _embedding_adv_loss(model, out, e_star, batch, cfg, reduction)


def word_iat_loss(model, batch: Batch, cfg: SeatTrainConfig, reduction: str, generator=None):
    out = model(batch.input_ids, batch.real_mask)
    e_star = attacks.iat_embeddings(model, batch.input_ids, batch.real_mask, out.embeddings,
                                    _gold(out, batch), cfg.embedding_pgd, cfg.iat, generator)
    return _embedding_adv_loss(model, out, e_star, batch, cfg, reduction)


def attention_at_loss(model, batch: Batch, cfg: SeatTrainConfig, reduction: str,
                      generator=None):
    out = model(batch.input_ids, batch.real_mask)
    a_star = attacks.pgd_attention(model, out.hidden, out.attention, batch.real_mask,
                                   _gold(out, batch), cfg.attention_pgd, generator)
    return _attention_adv_loss(model, out, a_star, batch, cfg, reduction)


def attention_iat_loss(model, batch: Batch, cfg: SeatTrainConfig, reduction: str,
                       generator=None):
    out = model(batch.input_ids, batch.real_mask)
    a_star = attacks.iat_attention(model, out.hidden, out.attention, batch.real_mask,
                                   _gold(out, batch), cfg.attention_pgd, cfg.iat, generator)
    return _attention_adv_loss(model, out, a_star, batch, cfg, reduction)


def attention_rp_loss(model, batch: Batch, cfg: SeatTrainConfig, reduction: str,
                      generator=None):
    out = model(batch.input_ids, batch.real_mask)
    a_noisy = attacks.random_attention(out.attention, batch.real_mask, cfg.attention_pgd,
                                       generator)
    return _attention_adv_loss(model, out, a_noisy, batch, cfg, reduction)


Objective = Callable[..., LossParts]

OBJECTIVES: dict[str, Objective] = {
    "vanilla": vanilla_loss,
    "seat": seat_loss,
    "seat-released": seat_released_loss,
    "word-at": word_at_loss,
    "word-iat": word_iat_loss,
    "attention-at": attention_at_loss,
    "attention-iat": attention_iat_loss,
    "attention-rp": attention_rp_loss,
}
METHODS = tuple(OBJECTIVES)
# where each method's adversary (or noise) acts: "attention", "embedding" or None
PERTURBS = {"vanilla": None, "seat": "attention", "seat-released": "embedding",
            "word-at": "embedding", "word-iat": "embedding", "attention-at": "attention",
            "attention-iat": "attention", "attention-rp": "attention"}


def get_objective(method: str) -> Objective:
    if method not in OBJECTIVES:
        raise ValueError(f"method {method!r} is unknown; expected one of {list(OBJECTIVES)}")
    return OBJECTIVES[method]
