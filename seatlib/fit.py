"""The one training loop of the project: the foundation's classifiers, SEAT and its baselines,
Wiegreffe & Pinter's adversaries and guided models, and the transformer fine-tuning all call
``fit`` with their own batch loss and dev evaluation.

A method differs from another only in ``batch_loss`` (what it minimises), ``evaluate`` (what it
measures on dev) and ``select`` (which dev number picks the epoch kept); the batch order
(Jain & Wallace's length-bucketed, shuffled batches), the optimiser step, model selection,
early stopping and the per-epoch table are the same for every one of them.
"""

from __future__ import annotations

import copy
import logging
import sys
import time
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from seatlib.batching import length_bucketed_batches

log = logging.getLogger("seatlib.fit")


def state_copy(model) -> dict:
    """A CPU copy of the model's weights (what the loop keeps for the selected epoch)."""
    return copy.deepcopy({k: v.detach().cpu() for k, v in model.state_dict().items()})


def fit(model, lengths: np.ndarray, *, optimizer: torch.optim.Optimizer, batch_size: int,
        length_noise: float, seed: int, epochs: int,
        batch_loss: Callable[[np.ndarray], tuple[torch.Tensor, dict]],
        evaluate: Callable[[], dict], select: str, maximize: bool = True,
        patience: int | None = None, first_eligible: int = 0, meta: dict | None = None,
        name: str = "model", batch_mean: Iterable[str] = (), scheduler=None,
        clip_grad_norm: float | None = None, timings: Iterable[str] = ("seconds",)):
    """Train ``model`` (already on its device, ``optimizer`` built over its parameters);
    -> (best state_dict on the CPU, per-epoch frame, selected epoch).

    Each epoch draws JW's length-bucketed batch order from one ``np.random.default_rng(seed)``
    (the batch order of a seed is the same for every method), and for each batch calls
    ``batch_loss(idx) -> (loss, stats)``, then zero_grad, backward, (clip), step, (scheduler
    step). ``stats`` are summed over the epoch; a key in ``batch_mean`` is then divided by the
    number of batches, every other key by the number of training instances. ``evaluate()``
    returns the dev numbers of the row. The epoch whose ``select`` value is best (strictly
    better than every earlier eligible epoch) is kept; epochs before ``first_eligible`` are never
    kept (JW's ``skip_first_epoch`` quirk sets it to 1), and if none is eligible the last epoch
    is. With ``patience``, training stops after that many eligible epochs without improvement.
    ``timings`` names the wall-clock columns of a row: ``seconds`` (the whole epoch) and
    ``train_seconds`` (before the dev evaluation).
    """
    rng = np.random.default_rng(seed)
    n = len(lengths)
    batch_mean = set(batch_mean)
    timings = tuple(timings)
    best, best_state, best_epoch, since, rows = None, None, -1, 0, []
    for epoch in range(epochs):
        start = time.perf_counter()
        model.train()
        sums: dict[str, float] = {}
        batches = length_bucketed_batches(lengths, batch_size, length_noise, rng)
        bar = tqdm(batches, desc=f"{name} epoch {epoch + 1}/{epochs}", leave=False,
                   disable=not sys.stderr.isatty())
        for idx in bar:
            loss, stats = batch_loss(idx)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            for k, v in stats.items():
                sums[k] = sums.get(k, 0.0) + float(v)
        train_seconds = time.perf_counter() - start
        row = {**(meta or {}), "epoch": epoch,
               **{k: v / (len(batches) if k in batch_mean else n) for k, v in sums.items()},
               **evaluate()}
        value = row[select]
        if not np.isfinite(value):
            raise FloatingPointError(f"{name}: {select} is {value} at epoch {epoch + 1}")
        eligible = epoch >= first_eligible
        better = eligible and (best is None or (value > best if maximize else value < best))
        if better:
            best, best_epoch, since = value, epoch, 0
            best_state = state_copy(model)
        elif eligible:
            since += 1
        if "train_seconds" in timings:
            row["train_seconds"] = train_seconds
        seconds = time.perf_counter() - start
        if "seconds" in timings:
            row["seconds"] = seconds
        rows.append(row)
        log.info("%s epoch %d/%d %s %.1fs%s", name, epoch + 1, epochs,
                 " ".join(f"{k} {v:.4f}" for k, v in row.items()
                          if isinstance(v, float) and k not in timings),
                 seconds, " (selected)" if better else "")
        if patience is not None and since >= patience:
            log.info("%s: no better %s for %d epochs, stopping", name, select, patience)
            break
    if best_state is None:  # every epoch was before first_eligible: keep the last one
        best_epoch = rows[-1]["epoch"]
        best_state = state_copy(model)
    frame = pd.DataFrame(rows)
    frame["selected"] = frame["epoch"] == best_epoch
    return best_state, frame, best_epoch
