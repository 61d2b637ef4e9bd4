"""Feature importance for the attention classifiers (Jain & Wallace section 4.1-4.2 and more).

``compute_importance(model, split_df, method, device=...)`` returns one float array per example
over the full sequence [SOS] words [EOS] (0 at SOS/EOS); ``importance_frame`` turns them into the
long table "importance". Methods (``METHODS``), one module each:

- ``gradient``: JW's gradient x embedding with attention detached, absolute value;
- ``loo``: leave-one-out, TVD(p(x without t), p(x)) over the classes, all deletions of a
  batch in one tensor batch;
- ``integrated_gradients``, ``gradient_shap``, ``deeplift``, ``deeplift_shap``, ``saliency``:
  captum on the embeddings of the real tokens, summed over the embedding dimension (signed,
  except saliency).

The attributed output is the probability of the target class: ``predicted`` (the model's argmax)
or ``gold`` (the label). References (``baseline``) replace the real tokens' embeddings only.

``METHODS`` is the registry: each ``Method`` says which ``jw.importance`` options it reads
(``config_keys``), so its rule receives only those (``importance_options``) and a change of
``n_steps`` re-runs integrated gradients alone. ``importance_table`` is what a rule runs: the
seeded subset of the split, one method, the long table.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from seatlib.batching import pad_batch, sequential_batches
from seatlib.data.pipeline import sample_rows
from seatlib.data.text import EOS, SOS
from seatlib.importance import (
    deeplift,
    deeplift_shap,
    gradient,
    gradient_shap,
    integrated_gradients,
    loo,
    saliency,
)
from seatlib.importance.common import BASELINES, TARGETS, AttributionOptions, derive_seed
from seatlib.models.base import probabilities
from seatlib.progress import progress

COMMON_OPTIONS = ("target", "batch_size", "max_examples")
"""``jw.importance`` keys that every method reads (``max_examples``: the seeded subset)."""
STORED_OPTIONS = ("target", "baseline", "n_steps", "n_samples")
"""Options stored in every row of table "importance" ("none" / 0 where a method has none)."""


@dataclass(frozen=True)
class Method:
    """A registered importance method and its capabilities.

    ``attribute(model, input_ids, real_mask, target, AttributionOptions)`` -> (scores (B, L),
    delta (B,) or None) is the one call shape. ``reads``: the options of ``compute_importance``
    it reads besides ``target`` and ``batch_size`` (of ``baseline``, ``n_steps``,
    ``internal_batch_size``, ``n_samples``); ``baseline_key``: the ``jw.importance`` key read as
    its baseline (the SHAP methods take a distribution of references, ``shap_baseline``);
    ``picks_target``: it accepts target None for the predicted class and takes the argmax of its
    own forward (no separate forward pass).
    """

    attribute: Callable
    reads: tuple[str, ...] = ()
    baseline_key: str = "baseline"
    picks_target: bool = False  # target None: the argmax of its own forward (no extra pass)

    @property
    def config_keys(self) -> tuple[str, ...]:
        """The ``jw.importance`` keys this method reads: its rule's params."""
        own = tuple(self.baseline_key if k == "baseline" else k for k in self.reads)
        return (*COMMON_OPTIONS, *own)

    def call_options(self, config: dict) -> dict:
        """``jw.importance`` keys -> ``compute_importance`` keyword arguments (target,
        batch_size and the options it reads, the baseline under ``baseline``)."""
        out = {"target": config["target"], "batch_size": config["batch_size"]}
        for k in self.reads:
            out[k] = config[self.baseline_key if k == "baseline" else k]
        return out


METHODS: dict[str, Method] = {
    "gradient": Method(gradient.attribute, picks_target=True),
    "loo": Method(loo.attribute, reads=("internal_batch_size",)),
    "integrated_gradients": Method(integrated_gradients.attribute,
                                   reads=("baseline", "n_steps", "internal_batch_size")),
    "gradient_shap": Method(gradient_shap.attribute, reads=("baseline", "n_samples"),
                            baseline_key="shap_baseline"),
    "deeplift": Method(deeplift.attribute, reads=("baseline",)),
    "deeplift_shap": Method(deeplift_shap.attribute, reads=("baseline", "n_samples"),
                            baseline_key="shap_baseline"),
    "saliency": Method(saliency.attribute, picks_target=True),
}
_IGNORED_KEYS = ("device", "batch_size", "internal_batch_size", "seed")

__all__ = ["BASELINES", "METHODS", "TARGETS", "Method", "compute_importance", "importance_frame",
           "importance_options", "importance_table", "method_options"]


def importance_options(method: str, config: dict) -> dict:
    """The ``jw.importance`` options that ``method`` reads (a copy of those keys of
    ``config``), so that a change of another method's option does not re-run it."""
    _check_method(method)
    missing = [k for k in METHODS[method].config_keys if k not in config]
    if missing:
        raise ValueError(f"key jw.importance: lacks {missing} (read by method {method!r})")
    return {k: config[k] for k in METHODS[method].config_keys}


def method_options(method: str, target: str = "predicted", baseline: str = "pad",
                   n_steps: int = 50, n_samples: int = 20) -> dict:
    """The options stored with a method's results; those that do not apply are "none"/0."""
    _check_method(method)
    reads = METHODS[method].reads
    if target not in TARGETS:
        raise ValueError(f"importance target {target!r} is unknown; expected one of "
                         f"{list(TARGETS)}")
    if "baseline" in reads and baseline not in BASELINES:
        raise ValueError(f"importance baseline {baseline!r} is unknown; expected one of "
                         f"{list(BASELINES)}")
    if "n_steps" in reads and (int(n_steps) != n_steps or n_steps < 1):
        raise ValueError(f"importance n_steps must be a positive integer, got {n_steps!r}")
    if "n_samples" in reads and (int(n_samples) != n_samples or n_samples < 1):
        raise ValueError(f"importance n_samples must be a positive integer, got {n_samples!r}")
    return {
        "target": target,
        "baseline": baseline if "baseline" in reads else "none",
        "n_steps": int(n_steps) if "n_steps" in reads else 0,
        "n_samples": int(n_samples) if "n_samples" in reads else 0,
    }


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"importance method {method!r} is unknown; expected one of "
                         f"{sorted(METHODS)}")


@contextlib.contextmanager
def _attribution_mode(model, device: torch.device):
    """Parameters frozen (backward computes input gradients only, and none accumulate in the
    model), and cuDNN off for RNNs on CUDA: cuDNN computes no RNN backward in eval mode."""
    frozen = [p for p in model.parameters() if p.requires_grad]
    has_rnn = any(isinstance(m, torch.nn.RNNBase) for m in model.modules())
    cudnn_was = torch.backends.cudnn.enabled
    try:
        for p in frozen:
            p.requires_grad_(False)
        if device.type == "cuda" and has_rnn:
            torch.backends.cudnn.enabled = False
        yield
    finally:
        torch.backends.cudnn.enabled = cudnn_was
        for p in frozen:
            p.requires_grad_(True)


def compute_importance(model, split_df: pd.DataFrame, method: str, *, device,
                       batch_size: int = 64, target: str = "predicted", baseline: str = "pad",
                       n_steps: int = 50, internal_batch_size: int | None = None,
                       n_samples: int = 20, seed: int = 0, return_deltas: bool = False):
    """Importance of every token of every example of ``split_df`` (schema "split").

    -> list of float64 arrays, one per example in ``split_df`` order, over [SOS] words [EOS]
    (0 at SOS/EOS). With ``return_deltas=True`` -> (that list, deltas (N,)): captum's
    convergence delta sum(scores) - (p(x) - p(reference)) per example (NaN for methods without
    one). Examples run in length-sorted batches of ``batch_size``; ``internal_batch_size`` caps
    captum's expanded batches (integrated gradients) and the deletions per pass (loo). Random
    draws (gradient_shap, baseline random) are seeded from ``seed`` and the batch number.
    Without ``return_deltas`` the methods skip the forwards that only the deltas need.
    """
    method_options(method, target, baseline, n_steps, n_samples)
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"importance batch_size must be a positive integer, got {batch_size!r}")
    for col in ("example_id", "token_ids", "label"):
        if col not in split_df.columns:
            raise ValueError(f"split frame lacks column {col!r} (schema 'split')")
    device = torch.device(device)
    fn = METHODS[method].attribute
    token_ids = list(split_df["token_ids"])
    labels = split_df["label"].to_numpy()
    lengths = np.array([len(t) for t in token_ids], dtype=np.int64)
    n_classes = getattr(getattr(model, "cfg", None), "n_classes", None)
    if target == "gold" and n_classes is not None and len(labels) and (
            labels.min() < 0 or labels.max() >= n_classes):
        bad = split_df["example_id"].iloc[int(np.argmax((labels < 0) | (labels >= n_classes)))]
        raise ValueError(f"example {bad!r} has label outside 0..{n_classes - 1}; target 'gold' "
                         "needs labels of the model's classes")
    model.eval().to(device)
    order = np.argsort(lengths, kind="stable")
    scores: list = [None] * len(token_ids)
    deltas = np.full(len(token_ids), np.nan)
    with _attribution_mode(model, device):
        batches = progress(sequential_batches(len(order), batch_size), desc=f"importance {method}",
                           unit="batch")
        for batch_no, idx in enumerate(batches):
            rows = order[idx]
            ids, real = pad_batch([token_ids[i] for i in rows], device)
            if target == "predicted" and METHODS[method].picks_target:
                tgt = None  # the method's own forward gives the prediction
            elif target == "predicted":
                with torch.no_grad():
                    tgt = probabilities(model(ids, real).logits).argmax(1)
            else:
                tgt = torch.as_tensor(labels[rows], dtype=torch.long, device=device)
            opts = AttributionOptions(baseline=baseline, n_steps=int(n_steps),
                                      internal_batch_size=internal_batch_size,
                                      n_samples=int(n_samples),
                                      seed=derive_seed(seed, batch_no),
                                      deltas=bool(return_deltas))
            batch_scores, batch_delta = fn(model, ids, real, tgt, opts)
            batch_scores = batch_scores.detach().double().cpu().numpy()
            for j, i in enumerate(rows):
                scores[i] = batch_scores[j, : lengths[i]].copy()
            if batch_delta is not None:
                deltas[rows] = batch_delta.detach().double().cpu().numpy()
    return (scores, deltas) if return_deltas else scores


def _meta_from(pred_df_or_meta, split_df: pd.DataFrame) -> dict:
    keys = ("dataset", "model", "seed", "split")
    if isinstance(pred_df_or_meta, pd.DataFrame):
        pred = pred_df_or_meta
        missing = [k for k in (*keys, "example_id") if k not in pred.columns]
        if missing:
            raise ValueError(f"predictions frame lacks column(s) {missing}")
        meta = {}
        for k in keys:
            values = pred[k].unique()
            if len(values) != 1:
                raise ValueError(f"predictions frame must hold one {k}, found {len(values)}")
            meta[k] = values[0]
        unknown = ~split_df["example_id"].isin(pred["example_id"])
        if unknown.any():
            raise ValueError(f"example {split_df['example_id'][unknown].iloc[0]!r} of the split "
                             "is not in the predictions frame")
        return meta
    missing = [k for k in keys if k not in pred_df_or_meta]
    if missing:
        raise ValueError(f"importance meta lacks key(s) {missing}; expected {list(keys)}")
    return {k: pred_df_or_meta[k] for k in keys}


def importance_frame(scores: list, split_df: pd.DataFrame, pred_df_or_meta, method: str,
                     options: dict) -> pd.DataFrame:
    """Long table "importance": one row per token of every example ([SOS] and [EOS] included).

    ``pred_df_or_meta``: a predictions frame (dataset/model/seed/split taken from it) or a dict
    with those keys. ``options``: the keyword arguments given to ``compute_importance`` (target,
    baseline, n_steps, n_samples; device, batch_size, internal_batch_size and seed are accepted
    and not stored); missing ones take ``compute_importance``'s defaults.
    """
    unknown = [k for k in options if k not in STORED_OPTIONS + _IGNORED_KEYS]
    if unknown:
        raise ValueError(f"importance options {unknown} are unknown; expected some of "
                         f"{list(STORED_OPTIONS + _IGNORED_KEYS)}")
    opts = method_options(method, **{k: options[k] for k in STORED_OPTIONS if k in options})
    if len(scores) != len(split_df):
        raise ValueError(f"{len(scores)} score arrays for {len(split_df)} examples of the split")
    meta = _meta_from(pred_df_or_meta, split_df)
    tokens = [[SOS, *t, EOS] for t in split_df["tokens"]]
    lengths = np.array([len(t) for t in tokens], dtype=np.int64)
    got = np.array([len(s) for s in scores], dtype=np.int64)
    if (got != lengths).any():
        i = int(np.argmax(got != lengths))
        raise ValueError(f"example {split_df['example_id'].iloc[i]!r}: {got[i]} scores for "
                         f"{lengths[i]} tokens ([SOS] words [EOS])")
    total = int(lengths.sum())
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    flat_scores = (np.concatenate([np.asarray(s, dtype=np.float64) for s in scores])
                   if total else np.zeros(0))
    flat_tokens = [tok for row in tokens for tok in row]
    return pd.DataFrame({
        "dataset": meta["dataset"],
        "model": meta["model"],
        "seed": np.int64(meta["seed"]),
        "split": meta["split"],
        "example_id": np.repeat(split_df["example_id"].to_numpy(), lengths),
        "token_index": np.arange(total, dtype=np.int64) - starts,
        "token": flat_tokens,
        "method": method,
        "score": flat_scores,
        **{k: opts[k] for k in STORED_OPTIONS},
    }, index=pd.RangeIndex(total))


def importance_table(model, split_df: pd.DataFrame, pred_df: pd.DataFrame, method: str,
                     options: dict, *, device, seed: int = 0) -> pd.DataFrame:
    """One method on the seeded subset of ``options["max_examples"]`` examples of a split ->
    table "importance". ``options``: the ``jw.importance`` keys the method reads
    (``importance_options``); ``pred_df``: the model's predictions (metadata)."""
    kwargs = METHODS[method].call_options(importance_options(method, options))
    split = sample_rows(split_df, options["max_examples"])
    scores = compute_importance(model, split, method, device=device, seed=seed, **kwargs)
    return importance_frame(scores, split, pred_df, method, kwargs)
