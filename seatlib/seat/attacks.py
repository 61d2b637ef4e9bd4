"""The adversaries on an attention classifier, built from ``pgd``:

- on the attention weights after the softmax, re-running only the decoder on cached hidden
  states (``model.decode(hidden, attention)``): PGD, iAT and uniform random noise (RP);
- on the word embeddings (the whole encoder re-runs): PGD and iAT, with no clamp.

Each maximises TVD(prediction, target) per instance, where target is a (B, C) distribution (the
vanilla prediction, the clean prediction, or the one-hot gold label).
"""

from __future__ import annotations

import torch

from seatlib.divergence import tvd
from seatlib.models.base import probabilities
from seatlib.seat.pgd import (
    attention_constraint,
    attention_directions,
    frozen,
    iat,
    pgd,
    random_start,
    word_directions,
)
from seatlib.seat.settings import AttackConfig, IATConfig


def input_mask(input_ids: torch.Tensor) -> torch.Tensor:
    """(B, L, 1) float: the embedding positions an adversary may change (every non-PAD token,
    SOS and EOS included: the encoder reads them)."""
    return (input_ids != 0).unsqueeze(-1).float()


def _decoder_objective(model, hidden, target):
    return lambda a: tvd(probabilities(model.decode(hidden, a)), target)


def _encoder_objective(model, input_ids, real_mask, target):
    return lambda e: tvd(probabilities(model(input_ids, real_mask,
                                             embedding_override=e).logits), target)


def pgd_attention(model, hidden, attention, real_mask, target, attack: AttackConfig,
                  generator=None, radius=None) -> torch.Tensor:
    """-> a* (B, L) detached: PGD on the post-softmax attention of the real tokens."""
    radius = attack.radius if radius is None else radius
    constrain = attention_constraint(attack.projection, radius, attack.norm, real_mask)
    with frozen(model):
        return pgd(_decoder_objective(model, hidden.detach(), target), attention, radius, attack,
                   mask=real_mask, constrain=constrain, generator=generator)


def iat_attention(model, hidden, attention, real_mask, target, attack: AttackConfig,
                  iat_cfg: IATConfig, generator=None) -> torch.Tensor:
    """-> a* (B, L): attention moved towards putting mass on random real tokens."""
    dirs = attention_directions(attention, real_mask, iat_cfg.directions, generator)
    constrain = attention_constraint(attack.projection, attack.radius, attack.norm, real_mask)
    with frozen(model):
        return iat(_decoder_objective(model, hidden.detach(), target), attention, dirs,
                   "bj,bjl->bl", attack.radius, attack.steps, iat_cfg.step, attack.norm,
                   mask=real_mask, constrain=constrain)


def random_attention(attention, real_mask, attack: AttackConfig, generator=None):
    """-> attention + uniform l-inf (or l2-ball) noise on the real tokens, kept feasible."""
    att = attention.detach()
    delta = random_start(att, attack.radius, attack.norm, real_mask.to(att.dtype), generator)
    constrain = attention_constraint(attack.projection, attack.radius, attack.norm, real_mask)
    return constrain(att + delta, att)


def pgd_embeddings(model, input_ids, real_mask, embeddings, target, attack: AttackConfig,
                   generator=None, radius=None, start=None) -> torch.Tensor:
    """-> e* (B, L, E) detached: PGD on the word embeddings (unclamped); ``start``: a delta
    already drawn (see ``pgd``)."""
    radius = attack.radius if radius is None else radius
    with frozen(model):
        return pgd(_encoder_objective(model, input_ids, real_mask, target), embeddings, radius,
                   attack, mask=input_mask(input_ids), generator=generator, start=start)


def iat_embeddings(model, input_ids, real_mask, embeddings, target, attack: AttackConfig,
                   iat_cfg: IATConfig, generator=None) -> torch.Tensor:
    """-> e* (B, L, E): each embedding moved along directions towards random other words."""
    dirs = word_directions(model.embedding, input_ids, iat_cfg.directions, generator)
    with frozen(model):
        return iat(_encoder_objective(model, input_ids, real_mask, target), embeddings, dirs,
                   "blj,blje->ble", attack.radius, attack.steps, iat_cfg.step, attack.norm,
                   mask=input_mask(input_ids))
