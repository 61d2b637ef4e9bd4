"""Tables of the transformer track (seatlib.attattr). ``model`` is the config's attattr.model
(``minilm`` or a transformers name / folder); layers and heads are 0-based."""

import pyarrow as pa

from seatlib.schema.columns import LIST_F32, LIST_STR, table

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
}
