"""Tables of the planted-evidence track (seatlib.truth, docs/ground_truth.md)."""

import pyarrow as pa

from seatlib.schema.columns import LIST_F64, LIST_INT, LIST_STR, MODEL_KEY, table

_METRICS = ("precision_at_k", "recall_at_k", "auprc", "first_rank", "comprehensiveness_aopc",
            "sufficiency_aopc")
_RUN = [*MODEL_KEY, ("variant", pa.string())]

TABLES = {
    # a planted split: the columns of "split" (label = the marker class) and the evidence
    "truth_split": table(
        ("example_id", pa.string()), ("text", pa.string()), ("tokens", LIST_STR),
        ("token_ids", LIST_INT), ("label", pa.int64()),
        ("source_label", pa.int64()),  # the sentence's own label, independent of label
        ("planted", LIST_INT),  # 0-based word positions (in tokens) of the evidence markers
        ("distractors", LIST_INT)),  # those of the other class's markers (variant distractor)
    # the marker sets: group "0"/"1" (the class) or "a0", "a1", "b0", "b1" (variant xor)
    "truth_markers": table(
        ("dataset", pa.string()), ("variant", pa.string()), ("group", pa.string()),
        ("word", pa.string()),
        ("count", pa.int64()),  # train sentences of the source containing the word
        ("label_gap", pa.float64())),  # max over classes |P(c | word) - P(c)| in the source
    # the sanity check of one trained model on the planted test subset
    "truth_checks": table(
        _RUN, ("n_examples", pa.int64()),
        ("accuracy", pa.float64()),  # with the markers
        ("accuracy_removed", pa.float64()),  # every inserted marker deleted
        ("chance", pa.float64()),  # share of the majority label in the subset
        ("passed", pa.bool_())),  # accuracy >= min_accuracy, accuracy_removed <= chance + gap
    # one explainer on one example of one model
    "truth_example_scores": table(
        _RUN, ("example_id", pa.string()), ("explainer", pa.string()),
        ("n_tokens", pa.int64()), ("n_planted", pa.int64()),
        *[(m, pa.float64()) for m in _METRICS[:4]],
        ("comprehensiveness", LIST_F64),  # at each of truth.eraser_fractions
        ("sufficiency", LIST_F64),
        *[(m, pa.float64()) for m in _METRICS[4:]]),
    # every explainer of every model that passed its check, pooled over its passed seeds:
    # mean over seeds of the per-seed mean over examples, bootstrap 95% interval (seeds and
    # examples resampled), ranks within (dataset, model): 1 = best
    "truth_scores": table(
        ("dataset", pa.string()), ("variant", pa.string()), ("model", pa.string()),
        ("explainer", pa.string()), ("n_seeds", pa.int64()), ("n_examples", pa.int64()),
        *[(f"{m}{s}", pa.float64()) for m in _METRICS for s in ("", "_lo", "_hi")],
        ("rank_truth", pa.int64()),  # by precision_at_k, ties by auprc
        ("rank_comprehensiveness", pa.int64()),  # by comprehensiveness_aopc (higher is better)
        ("rank_sufficiency", pa.int64())),  # by sufficiency_aopc (lower is better)
}

METRICS = _METRICS
