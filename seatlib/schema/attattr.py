"""Tables of the transformer track (seatlib.attattr). ``model`` is the config's attattr.model
(``minilm`` or a transformers name / folder); layers and heads are 0-based."""

import pyarrow as pa

from seatlib.schema.columns import LIST_F32, LIST_F64, LIST_INT, LIST_STR, table

ATTATTR_KEY = [("dataset", pa.string()), ("model", pa.string()), ("seed", pa.int64())]
HEAD = [("layer", pa.int64()), ("head", pa.int64())]
# a ranking of heads: attattr, attention, taylor, random (ranking_seed = its seed, else 0), and
# in the pruning tables attattr_per_example (each example pruned by its own attribution)
RANKING = [("ranking", pa.string()), ("ranking_seed", pa.int64())]

TABLES = {
    # one row per fine-tuning epoch
    "attattr_epochs": table(ATTATTR_KEY, ("epoch", pa.int64()), ("train_loss", pa.float64()),
                            ("dev_accuracy", pa.float64()), ("dev_f1", pa.float64()),
                            ("dev_macro_f1", pa.float64()), ("selected", pa.bool_()),
                            ("seconds", pa.float64())),
    # one row per attributed dev example x layer x head: max over the real (query, key) cells
    "attattr_head_attribution": table(
        ATTATTR_KEY, ("example_id", pa.string()), HEAD,
        ("max_attribution", pa.float64()), ("max_attention", pa.float64()),
        ("label", pa.int64()), ("pred", pa.int64()),
        ("target", pa.int64()),  # the class whose probability F is
        ("prob", pa.float64())),  # F(A) of the unmodified model
    # the full attribution of chosen examples: one row per example x layer x head; the n x n
    # matrix flattened row-major (row = query i, column = key j) over the n WordPieces
    # [CLS] .. [SEP] listed in tokens
    "attattr_matrices": table(
        ATTATTR_KEY, ("example_id", pa.string()), HEAD, ("n_tokens", pa.int64()),
        ("tokens", LIST_STR), ("attribution", LIST_F32)),
    # one row per ranking x head
    "attattr_head_importance": table(ATTATTR_KEY, RANKING, HEAD, ("importance", pa.float64()),
                                     ("rank", pa.int64())),  # 0 = pruned first
    # one row per ranking x fraction of heads pruned
    "attattr_pruning": table(ATTATTR_KEY, RANKING, ("fraction", pa.float64()),
                             ("n_pruned", pa.int64()), ("accuracy", pa.float64()),
                             ("n_examples", pa.int64())),
    # the pruning curves of every model, random as mean and sd over its seeds
    "attattr_pruning_summary": table(ATTATTR_KEY, ("ranking", pa.string()),
                                     ("fraction", pa.float64()), ("n_pruned", pa.int64()),
                                     ("accuracy", pa.float64()), ("accuracy_sd", pa.float64()),
                                     ("n_rankings", pa.int64()), ("n_examples", pa.int64())),
    # the selected epoch of every fine-tuned model
    "attattr_finetune": table(ATTATTR_KEY, ("n_train", pa.int64()), ("n_dev", pa.int64()),
                              ("selected_epoch", pa.int64()), ("dev_accuracy", pa.float64()),
                              ("dev_macro_f1", pa.float64()), ("seconds", pa.float64())),
    # attribution trees (spec 1.5) of the examples in attattr_matrices: one row per edge, query
    # i draws from key j at layer; positions index tokens ([CLS] = 0); heights in [0, 1]; the
    # root edge ([CLS] <- top node) is the one at the last layer
    "attattr_tree_edges": table(
        ATTATTR_KEY, ("example_id", pa.string()), ("threshold", pa.float64()),
        ("layer", pa.int64()), ("query", pa.int64()), ("key", pa.int64()),
        ("query_token", pa.string()), ("key_token", pa.string()), ("weight", pa.float64()),
        ("query_height", pa.float64()), ("key_height", pa.float64())),
    # how a tree moves with its threshold: per example x threshold, edge and node counts, the
    # Jaccard overlap with the reference threshold's edge set and the fraction of the
    # reference top node's edges kept
    "attattr_tree_stability": table(
        ATTATTR_KEY, ("example_id", pa.string()), ("threshold", pa.float64()),
        ("reference", pa.float64()), ("n_tokens", pa.int64()), ("n_edges", pa.int64()),
        ("n_nodes", pa.int64()), ("jaccard", pa.float64()), ("top_edges_kept", pa.float64())),
    # adversarial triggers (spec 1.6): one row per pattern (kind attattr) or random control
    # (kind random, control 0..k-1) inserted into the dev examples of every other gold label;
    # accuracy of that group before and after
    "attattr_triggers": table(
        ATTATTR_KEY, ("pattern", pa.int64()), ("kind", pa.string()), ("control", pa.int64()),
        ("pattern_label", pa.int64()),  # gold label of the training example(s)
        ("source_example_id", pa.string()), ("tokens", LIST_STR), ("token_ids", LIST_INT),
        ("rel_positions", LIST_F64), ("score", pa.float64()),
        ("gold_label", pa.int64()),  # the dev group attacked
        ("n_examples", pa.int64()), ("accuracy_before", pa.float64()),
        ("accuracy_after", pa.float64())),
    # per gold label of the dev group: accuracy before, after the attribution patterns (mean
    # over patterns) and after the random controls (mean over patterns x controls)
    "attattr_triggers_summary": table(
        ATTATTR_KEY, ("gold_label", pa.int64()), ("n_examples", pa.int64()),
        ("n_patterns", pa.int64()), ("accuracy_before", pa.float64()),
        ("accuracy_attattr", pa.float64()), ("accuracy_random", pa.float64()),
        ("drop_attattr", pa.float64()), ("drop_random", pa.float64())),
    # Kendall tau-b per dev example between an attention summary (cls_head per layer x head,
    # mean_heads and received per layer, last, rollout; -1 = not applicable) and a token
    # attribution (lig, saliency, gradshap; conductance per method_layer)
    "attattr_bias_tau": table(
        ATTATTR_KEY, ("example_id", pa.string()), ("summary", pa.string()), HEAD,
        ("method", pa.string()), ("method_layer", pa.int64()), ("n_tokens", pa.int64()),
        ("tau", pa.float64()), ("p", pa.float64())),
    # the signals of the first examples, for the token heatmaps: one row per example x signal
    # (summary or method, with its layer, -1 = none) over the inner WordPieces
    "attattr_bias_tokens": table(
        ATTATTR_KEY, ("example_id", pa.string()), ("signal", pa.string()),
        ("layer", pa.int64()), ("tokens", LIST_STR), ("values", LIST_F64)),
    # AttAttr against raw attention per head, per attributed example: Kendall tau over the
    # L x H heads of max attention vs max attribution, and the attribution rank (0 = largest)
    # of the head with the largest max attention
    "attattr_heads_vs_attention": table(
        ATTATTR_KEY, ("example_id", pa.string()), ("tau", pa.float64()), ("p", pa.float64()),
        ("top_attention_layer", pa.int64()), ("top_attention_head", pa.int64()),
        ("top_attention_attr_rank", pa.int64()), ("n_heads", pa.int64())),
    # mean tau per summary x method over the examples (and per layer for the per-layer ones)
    # the attentionBias per-head test: one row per signal (max_attention, max_attribution of
    # the head attribution table) x layer x head, correct vs mispredicted dev examples
    "attattr_head_ttests": table(
        ATTATTR_KEY, ("signal", pa.string()), HEAD, ("n_correct", pa.int64()),
        ("n_wrong", pa.int64()), ("mean_correct", pa.float64()), ("mean_wrong", pa.float64()),
        ("t", pa.float64()), ("p", pa.float64()),
        ("q", pa.float64()),  # Benjamini-Hochberg over the heads of one signal
        ("defined", pa.bool_())),  # False (t 0, p q 1): a group of < 2 or constant values
    "attattr_bias_summary": table(
        ATTATTR_KEY, ("summary", pa.string()),
        ("layer", pa.int64()),  # -1: pooled over the layers (and heads) of the summary
        ("method", pa.string()), ("method_layer", pa.int64()), ("mean_tau", pa.float64()),
        ("sd_tau", pa.float64()),
        ("frac_significant", pa.float64()), ("n", pa.int64())),
}
