"""Pieces shared by the attribution methods: options, references and the probability wrapper.

Every method returns one score per position of the padded batch, (B, L); only real tokens
(``real_mask``) can carry a non-zero score. Methods with a reference ("baseline") replace the
embeddings of the real tokens only: [SOS], [EOS] and PAD keep their own embeddings, so their
attributions are exactly 0 and completeness reads ``sum(attributions) = f(x) - f(reference)``
with the reference sharing the input's [SOS]/[EOS]/PAD.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from seatlib.models.base import probabilities

TARGETS = ("predicted", "gold")
# pad: the PAD row of the embedding matrix (zeros in JW), unk: the <UNK> row, zero: a zero
# vector, random: embeddings of uniformly drawn vocabulary words (ids >= 4), one draw for
# single-reference methods, ``n_samples`` draws (a reference distribution) for the SHAP methods
BASELINES = ("pad", "unk", "zero", "random")
PAD_ID, UNK_ID, FIRST_WORD_ID = 0, 1, 4


@dataclass(frozen=True)
class AttributionOptions:
    baseline: str = "pad"
    n_steps: int = 50
    internal_batch_size: int | None = None
    n_samples: int = 20
    seed: int = 0  # already derived per batch by ``compute_importance``
    deltas: bool = True  # False: skip the convergence delta (the forwards it costs)


TOKENS_PER_PASS = 2**13
"""Default size of one expanded pass (rows x padded length): the BiLSTM's forward + backward
is fastest per sentence at a few hundred rows of SST length and slows down well beyond (the
(rows, 4H) gate tensors leave the cache); a 64 x 50-step IG batch is 3,200 rows in one pass."""


def length_groups(lengths: torch.Tensor) -> list[tuple[torch.Tensor, int]]:
    """[(indices, length)] of the rows of each distinct sequence length (PAD excluded), in
    increasing length. A pass of one exact length runs the packed LSTM on a constant batch per
    time step, measured about 1.3-1.5x faster than a pass whose lengths differ by even 1-3
    tokens, and needs no PAD column."""
    values, inverse = torch.unique(lengths, return_inverse=True)
    order = torch.argsort(inverse, stable=True)
    counts = torch.bincount(inverse, minlength=len(values)).tolist()
    return list(zip(order.split(counts), values.tolist(), strict=True))


def length_passes(lengths: torch.Tensor, internal_batch_size: int | None = None):
    """[(row indices, width)]: the rows grouped by exact ``lengths`` (``length_groups``), each
    group cut into passes of ``rows_per_pass(width)`` rows."""
    out = []
    for idx, width in length_groups(lengths):
        step = rows_per_pass(width, internal_batch_size)
        out += [(part, width) for part in idx.split(step)]
    return out


def rows_per_pass(length: int, internal_batch_size: int | None = None) -> int:
    """Rows of one expanded pass: ``internal_batch_size`` when given, else about
    ``TOKENS_PER_PASS`` tokens of padded ``length``."""
    if internal_batch_size:
        return int(internal_batch_size)
    return max(1, TOKENS_PER_PASS // max(int(length), 1))


class ProbabilityModel(nn.Module):
    """``forward(embeddings, input_ids, real_mask, true_embeddings) -> probabilities (B, C)``.

    ``embeddings`` is used at the real tokens only, ``true_embeddings`` everywhere else, so
    captum's attributions are exactly 0 at [SOS]/[EOS]/PAD. For the single-logit head the
    columns are (1 - p, p), so captum's ``target=`` picks a class probability.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, emb, input_ids, real_mask, true_emb):
        emb = torch.where(real_mask.unsqueeze(-1), emb, true_emb)
        return probabilities(self.model(input_ids, real_mask, embedding_override=emb).logits)


def derive_seed(seed: int, batch_no: int) -> int:
    """A per-batch seed, stable across runs, independent between batches."""
    return int(np.random.SeedSequence([int(seed), int(batch_no)]).generate_state(1)[0])


def reference_vector(model, kind: str) -> torch.Tensor:
    """(E,) reference embedding of a single-vector kind."""
    weight = model.embedding.weight
    if kind == "pad":
        return weight[PAD_ID].detach()
    if kind == "unk":
        return weight[UNK_ID].detach()
    if kind == "zero":
        return torch.zeros_like(weight[0]).detach()
    raise ValueError(f"baseline {kind!r} is not a single vector; expected one of "
                     "['pad', 'unk', 'zero']")


def random_word_embeddings(model, shape: tuple, seed: int, device) -> torch.Tensor:
    """Embeddings of uniformly drawn vocabulary words (ids >= 4), ``shape + (E,)``."""
    vocab = model.embedding.num_embeddings
    if vocab <= FIRST_WORD_ID:
        raise ValueError(f"baseline 'random' needs words beyond the 4 special tokens; the "
                         f"vocabulary has {vocab} entries")
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    ids = torch.randint(FIRST_WORD_ID, vocab, shape, generator=gen).to(device)
    return model.embedding(ids).detach()


def single_reference(model, input_ids, real_mask, true_emb, opts: AttributionOptions):
    """(B, L, E) reference: the baseline at the real tokens, the input's own embeddings
    elsewhere."""
    if opts.baseline == "random":
        ref = random_word_embeddings(model, tuple(input_ids.shape), opts.seed, input_ids.device)
    else:
        ref = reference_vector(model, opts.baseline).expand_as(true_emb)
    return torch.where(real_mask.unsqueeze(-1), ref, true_emb).detach()


def reference_distribution(model, input_ids, real_mask, true_emb, opts: AttributionOptions):
    """(S, L, E) references shared by the batch (the wrapper keeps [SOS]/[EOS]/PAD):
    one vector (S = 1) for pad/unk/zero, ``n_samples`` random-word sequences for random."""
    length = input_ids.shape[1]
    if opts.baseline == "random":
        return random_word_embeddings(model, (opts.n_samples, length), opts.seed,
                                      input_ids.device)
    vec = reference_vector(model, opts.baseline)
    return vec.expand(1, length, vec.shape[0]).clone()


def token_scores(attr: torch.Tensor, real_mask: torch.Tensor) -> torch.Tensor:
    """(B, L, E) attributions -> (B, L) summed over the embedding, 0 off the real tokens."""
    return torch.where(real_mask, attr.sum(-1), torch.zeros((), dtype=attr.dtype,
                                                             device=attr.device))


def captum_attribute(explainer, emb, input_ids, real_mask, **kwargs):
    """The one call shape of every captum method here: ``explainer`` wraps a
    ``ProbabilityModel``-like module; the input is a fresh leaf copy of the (B, L, E) embeddings
    ``emb`` and the forward also gets (input_ids, real_mask, emb), so only real tokens vary."""
    return explainer.attribute(emb.clone().requires_grad_(True),
                               additional_forward_args=(input_ids, real_mask, emb), **kwargs)


def true_embeddings(model, input_ids) -> torch.Tensor:
    with torch.no_grad():
        return model.embedding(input_ids).detach()
