"""Leave-one-out (JW's ``remove_and_run``): TVD(p(x without token t), p(x)) of the output
distribution, 1/2 sum_c |p_c(x without t) - p_c(x)| over all classes (JW's classification
driver: |sigma(y_-t) - sigma(y)|, the same number for two classes). The score does not depend
on the target class: a deletion that moves probability between two other classes counts too.

The token is deleted (the sequence gets one shorter), not masked. All deletions of a batch are
built at once by one gather: deletion (b, t) reads row b at columns j + [j >= t], j < L - 1.
They run through the model in chunks (``internal_batch_size`` deletions per pass, or about
``TOKENS_PER_PASS`` tokens), never one position or one instance at a time.
"""

from __future__ import annotations

import torch

from seatlib.importance.common import AttributionOptions
from seatlib.models.base import probabilities

TOKENS_PER_PASS = 2**16


def deletion_batch(input_ids: torch.Tensor, real_mask: torch.Tensor):
    """-> (rows (D,), positions (D,), ids (D, L-1), real (D, L-1)) for every real token."""
    length = input_ids.shape[1]
    lengths = (input_ids != 0).sum(1)
    rows, pos = real_mask.nonzero(as_tuple=True)  # ordered by row, then position
    j = torch.arange(length - 1, device=input_ids.device)
    src = j[None, :] + (j[None, :] >= pos[:, None]).long()
    ids = input_ids[rows[:, None], src]
    new_len = lengths[rows] - 1
    real = (j[None, :] >= 1) & (j[None, :] < new_len[:, None] - 1)
    return rows, pos, ids, real


@torch.no_grad()
def attribute(model, input_ids, real_mask, target, opts: AttributionOptions):
    """-> (scores (B, L), None); ``target`` is unused (TVD runs over every class)."""
    p = probabilities(model(input_ids, real_mask).logits)  # (B, C)
    rows, pos, ids, real = deletion_batch(input_ids, real_mask)
    n_del = ids.shape[0]
    chunk = opts.internal_batch_size or max(1, TOKENS_PER_PASS // max(ids.shape[1], 1))
    changes = []
    for start in range(0, n_del, chunk):
        part_ids, part_real = ids[start:start + chunk], real[start:start + chunk]
        width = int((part_ids != 0).sum(1).max())  # drop columns that are PAD in the chunk
        out = model(part_ids[:, :width], part_real[:, :width])
        part_rows = rows[start:start + chunk]
        q = probabilities(out.logits)  # (chunk, C)
        changes.append(0.5 * (q - p[part_rows]).abs().sum(-1))
    scores = torch.zeros(input_ids.shape, dtype=p.dtype, device=input_ids.device)
    if n_del:
        scores[rows, pos] = torch.cat(changes)
    return scores, None
