"""The model contract every classifier in seatlib follows (RNN, CNN, Average, transformers).

``model(input_ids, real_mask, attention_override=None, embedding_override=None) -> ModelOutput``

- ``input_ids``  (B, L) int64, ``[SOS] tokens [EOS] PAD...`` for the word-level models.
- ``real_mask``  (B, L) bool, True at the tokens attention may fall on (never SOS, EOS or PAD).
- ``attention_override`` (B, L): used in place of the computed attention (hidden states are
  still computed from the input), so experiments can permute, perturb or replace attention.
- ``embedding_override`` (B, L, E): used in place of the embedding lookup, for gradient and
  perturbation methods.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class ModelOutput:
    logits: torch.Tensor  # (B, 1) for a binary sigmoid head, (B, C) for a softmax head
    attention: torch.Tensor  # (B, L), sums to 1 over real tokens, 0 elsewhere
    hidden: torch.Tensor  # (B, L, H) encoder states the attention weighs
    embeddings: torch.Tensor  # (B, L, E) the embeddings the encoder saw


def probabilities(logits: torch.Tensor) -> torch.Tensor:
    """Class probabilities (B, C) from a (B, 1) sigmoid head or a (B, C) softmax head."""
    if logits.shape[-1] == 1:
        p = torch.sigmoid(logits)
        return torch.cat([1 - p, p], dim=-1)
    return torch.softmax(logits, dim=-1)
