"""One trained model on the planted test subset: the sanity check and every explainer's scores.

Explainers: ``attention`` (the model's own weights), every ``seatlib.importance.METHODS``
entry (ranked by magnitude, as the JW track's agreement does by default), and two references,
``oracle`` (the planted mask itself) and ``random`` (seeded uniform scores). ERASER's
comprehensiveness at fraction f is p(y^ | x) - p(y^ | x without its k top-scored words) and
sufficiency p(y^ | x) - p(y^ | only those k words), y^ the prediction on x, k =
``metrics.eraser_k(n, f)``; words are deleted (the sequence closes up), as in ERASER.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from seatlib.data.text import EOS, SOS, SPECIALS
from seatlib.importance import METHODS, compute_importance
from seatlib.predict import run_split
from seatlib.truth import metrics as tm

REFERENCES = ("oracle", "random")
EXPLAINERS = ("attention", *METHODS, *REFERENCES)
_SOS, _EOS = SPECIALS.index(SOS), SPECIALS.index(EOS)


def compacted(words: np.ndarray, keep: np.ndarray) -> list[np.ndarray]:
    """Rows of word ids (N, L) keeping ``keep`` in order -> [SOS] kept [EOS] id arrays."""
    order = np.argsort(~keep, axis=1, kind="stable")
    packed = np.take_along_axis(words, order, 1)
    n_kept = keep.sum(1)
    return [np.concatenate(([_SOS], packed[i, :n_kept[i]], [_EOS])) for i in range(len(words))]


def probabilities(model, rows: list, batch_size: int, device) -> np.ndarray:
    probs, _ = run_split(model, rows, batch_size, device)
    return probs.numpy().astype(np.float64)


def explainer_scores(model, df: pd.DataFrame, explainer: str, attention: list,
                     importance: dict, valid: np.ndarray, truth: np.ndarray, *, device,
                     seed: int) -> np.ndarray:
    """(N, L) word scores of one explainer (magnitudes; 0 off the words)."""
    if explainer == "attention":
        rows = [a[1:-1] for a in attention]
    elif explainer == "oracle":
        return truth.astype(np.float64)
    elif explainer == "random":
        return np.where(valid, np.random.default_rng([seed, 17]).random(valid.shape), 0.0)
    else:
        kwargs = METHODS[explainer].call_options(importance[explainer])
        rows = [s[1:-1] for s in compute_importance(model, df, explainer, device=device,
                                                    seed=seed, **kwargs)]
    return np.abs(tm.pad(rows)[0])


def evaluate_model(model, df: pd.DataFrame, explainers, importance: dict, fractions, *,
                   device, seed: int, batch_size: int = 256) -> tuple[dict, pd.DataFrame]:
    """-> (the check's numbers, per example and explainer scores frame) for schema rows of
    "truth_checks" and "truth_example_scores" (without the run's key columns)."""
    rows = [np.asarray(t, dtype=np.int64) for t in df["token_ids"]]
    probs, att = run_split(model, rows, batch_size, device)
    probs = probs.numpy().astype(np.float64)
    attention = [att[i, : len(t)].numpy() for i, t in enumerate(rows)]
    pred = probs.argmax(1)
    p_hat = probs[np.arange(len(df)), pred]
    labels = df["label"].to_numpy()
    words, valid = tm.pad([r[1:-1] for r in rows], fill=0, dtype=np.int64)
    truth = tm.position_mask(list(df["planted"]), valid)
    inserted = truth | tm.position_mask(list(df["distractors"]), valid)
    removed = probabilities(model, compacted(words, valid & ~inserted), batch_size, device)
    checks = {"n_examples": len(df), "accuracy": float((pred == labels).mean()),
              "accuracy_removed": float((removed.argmax(1) == labels).mean()),
              "chance": float(np.bincount(labels).max() / len(labels))}
    n_tokens = valid.sum(1)
    ks = [tm.eraser_k(n_tokens, f) for f in fractions]
    frames = []
    for name in explainers:
        scores = explainer_scores(model, df, name, attention, importance, valid, truth,
                                  device=device, seed=seed)
        precision, recall = tm.precision_recall_at_k(scores, valid, truth)
        tops = [tm.top_k_mask(scores, valid, k) for k in ks]
        variants = [compacted(words, valid & ~top) for top in tops] + \
                   [compacted(words, top) for top in tops]
        p = probabilities(model, [r for v in variants for r in v], batch_size, device)
        p = p[np.arange(len(p)), np.tile(pred, 2 * len(ks))].reshape(2 * len(ks), -1)
        comp = (p_hat[None, :] - p[: len(ks)]).T  # (N, F)
        suff = (p_hat[None, :] - p[len(ks):]).T
        frames.append(pd.DataFrame({
            "example_id": df["example_id"].to_numpy(), "explainer": name,
            "n_tokens": n_tokens, "n_planted": truth.sum(1),
            "precision_at_k": precision, "recall_at_k": recall,
            "auprc": tm.average_precision(scores, valid, truth),
            "first_rank": tm.first_planted_rank(scores, valid, truth),
            "comprehensiveness": list(comp), "sufficiency": list(suff),
            "comprehensiveness_aopc": tm.aopc(comp), "sufficiency_aopc": tm.aopc(suff)}))
    return checks, pd.concat(frames, ignore_index=True)
