"""The training loop the WP models share: JW's optimiser and length-bucketed batches, with a
pluggable batch loss, evaluation, selection criterion and optional early stopping."""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

from seatlib.batching import length_bucketed_batches
from seatlib.train import TrainConfig, make_optimizer

log = logging.getLogger("seatlib.wp")


def fit(model, lengths: np.ndarray, cfg: TrainConfig, seed: int, device, *,
        batch_loss: Callable[[np.ndarray], tuple[torch.Tensor, dict]],
        evaluate: Callable[[], dict], select: str, maximize: bool, epochs: int,
        patience: int | None = None, first_eligible: int = 0, meta: dict | None = None,
        name: str = "model"):
    """Train ``model``; -> (best state_dict, per-epoch rows frame, selected epoch).

    ``batch_loss(idx)`` returns the loss to back-propagate and a dict of statistics summed over
    the batch's instances (divided by the number of training instances for the epoch row);
    ``evaluate()`` returns dev statistics. The epoch whose row value ``select`` is best is kept;
    with ``patience``, training stops after that many epochs without an improvement. Epochs
    before ``first_eligible`` are never kept (JW's ``skip_first_epoch`` quirk sets it to 1).
    """
    model.to(device)
    optim = make_optimizer(model, cfg)
    rng = np.random.default_rng(seed)
    n = len(lengths)
    best, best_state, best_epoch, since, rows = None, None, -1, 0, []
    for epoch in range(epochs):
        start = time.perf_counter()
        model.train()
        sums: dict[str, float] = {}
        for idx in length_bucketed_batches(lengths, cfg.batch_size, cfg.length_noise, rng):
            loss, stats = batch_loss(idx)
            optim.zero_grad(set_to_none=True)
            loss.backward()
            optim.step()
            for k, v in stats.items():
                sums[k] = sums.get(k, 0.0) + float(v)
        row = {**(meta or {}), "epoch": epoch, **{k: v / n for k, v in sums.items()},
               **evaluate()}
        value = row[select]
        if not np.isfinite(value):
            raise FloatingPointError(f"{name}: {select} is {value} at epoch {epoch + 1}")
        better = epoch >= first_eligible and (
            best is None or (value > best if maximize else value < best))
        if better:
            best, best_epoch, since = value, epoch, 0
            best_state = copy.deepcopy({k: v.detach().cpu() for k, v in
                                        model.state_dict().items()})
        elif epoch >= first_eligible:
            since += 1
        row["seconds"] = time.perf_counter() - start
        rows.append(row)
        log.info("%s epoch %d/%d %s%s", name, epoch + 1, epochs,
                 " ".join(f"{k} {v:.4f}" for k, v in row.items()
                          if isinstance(v, float) and k != "seconds"),
                 f" {row['seconds']:.1f}s" + (" (selected)" if better else ""))
        if patience is not None and since >= patience:
            log.info("%s: no better %s for %d epochs, stopping", name, select, patience)
            break
    if best_state is None:  # every epoch was before first_eligible: keep the last one
        best_epoch = rows[-1]["epoch"]
        best_state = copy.deepcopy({k: v.detach().cpu() for k, v in
                                    model.state_dict().items()})
    frame = pd.DataFrame(rows)
    frame["selected"] = frame["epoch"] == best_epoch
    return best_state, frame, best_epoch
