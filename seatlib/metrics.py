"""Classification metrics (no scikit-learn): accuracy, F1, macro F1, ROC-AUC.

Every score is defined for k >= 2 classes: ``f1`` is the positive-class F1 for two classes and
macro F1 otherwise; ``roc_auc`` is the binary ROC-AUC of class 1 for two classes and the macro
one-vs-rest ROC-AUC otherwise (the mean over the classes that have both positives and negatives
in ``y_true``; scikit-learn's ``roc_auc_score(multi_class="ovr", average="macro")`` where every
class is present).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def f1_per_class(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    scores = np.zeros(n_classes)
    for c in range(n_classes):
        tp = np.sum((y_pred == c) & (y_true == c))
        fp = np.sum((y_pred == c) & (y_true != c))
        fn = np.sum((y_pred != c) & (y_true == c))
        scores[c] = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return scores


def roc_auc(y_true: np.ndarray, score: np.ndarray) -> float:
    """Binary ROC-AUC by the rank-sum (Mann-Whitney) identity, ties averaged; nan if one class."""
    y_true = np.asarray(y_true)
    n_pos = int((y_true == 1).sum())
    n_neg = len(y_true) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[y_true == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def roc_auc_ovr(y_true, probs: np.ndarray) -> float:
    """Macro one-vs-rest ROC-AUC of (N, C) class scores: the mean of ``roc_auc(y == c,
    probs[:, c])`` over the classes c whose one-vs-rest AUC is defined; nan if none is. For
    C = 2 it is the binary ROC-AUC of class 1 (class 0's AUC on 1 - p is the same number)."""
    y_true = np.asarray(y_true)
    probs = np.asarray(probs)
    if probs.shape[1] == 2:
        return roc_auc(y_true, probs[:, 1])
    aucs = [roc_auc((y_true == c).astype(int), probs[:, c]) for c in range(probs.shape[1])]
    aucs = [a for a in aucs if np.isfinite(a)]
    return float(np.mean(aucs)) if aucs else float("nan")


def classification_scores(y_true, probs: np.ndarray) -> dict[str, float]:
    """probs (N, C) -> accuracy, positive-class F1 (C=2) or macro F1, macro F1, ROC-AUC
    (binary, or macro one-vs-rest for C > 2)."""
    y_true = np.asarray(y_true)
    n_classes = probs.shape[1]
    y_pred = probs.argmax(1)
    f1s = f1_per_class(y_true, y_pred, n_classes)
    return {
        "accuracy": float((y_pred == y_true).mean()) if len(y_true) else float("nan"),
        "f1": float(f1s[1]) if n_classes == 2 else float(f1s.mean()),
        "macro_f1": float(f1s.mean()),
        "roc_auc": roc_auc_ovr(y_true, probs),
    }


# Jain & Wallace's max-attention bins [0, .25), [.25, .5), [.5, .75), [.75, 1]
MAX_ATTENTION_BINS = (0.0, 0.25, 0.5, 0.75, 1.0)


def max_attention_bin(values) -> np.ndarray:
    """Index 0..3 of the max-attention bin of each value (1.0 falls in the last bin)."""
    values = np.asarray(values, dtype=float)
    edges = MAX_ATTENTION_BINS
    return np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)


def max_attention_bin_label(values) -> np.ndarray:
    """The bin of each value as its label, "[0, 0.25)" .. "[0.75, 1]" (object array)."""
    edges = MAX_ATTENTION_BINS
    labels = [f"[{lo:g}, {hi:g}{']' if i == len(edges) - 2 else ')'}"
              for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True))]
    return np.array(labels, dtype=object)[max_attention_bin(values)]
