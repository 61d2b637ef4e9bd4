"""Every Parquet table the pipeline writes, declared once.

``write_table(df, path, "predictions")`` checks the frame against the declared schema (columns,
order, types, no nulls in required columns), writes atomically, and returns nothing; a frame that
does not fit raises a one-line ``SchemaError`` naming the table and the column.
``read_table(path, name)`` reads and checks the same way.
"""

from __future__ import annotations

import os

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from seatlib.io import atomic_path

_list_str = pa.list_(pa.string())
_list_int = pa.list_(pa.int32())
_list_f32 = pa.list_(pa.float32())

TABLES: dict[str, pa.Schema] = {
    # one row per example of a prepared split; tokens excludes SOS/EOS, token_ids includes them
    "split": pa.schema([
        ("example_id", pa.string()),
        ("text", pa.string()),
        ("tokens", _list_str),
        ("token_ids", _list_int),
        ("label", pa.int64()),
    ]),
    # dataset statistics, one row per split (and one for "all")
    "dataset_stats": pa.schema([
        ("dataset", pa.string()),
        ("split", pa.string()),
        ("n_examples", pa.int64()),
        ("n_dropped_by_length", pa.int64()),
        ("mean_tokens", pa.float64()),
        ("median_tokens", pa.float64()),
        ("max_tokens", pa.int64()),
        ("positive_fraction", pa.float64()),
        ("n_classes", pa.int64()),
        ("vocab_size", pa.int64()),
        ("unk_rate", pa.float64()),
    ]),
    # one row per training epoch
    "epoch_metrics": pa.schema([
        ("dataset", pa.string()),
        ("model", pa.string()),
        ("seed", pa.int64()),
        ("epoch", pa.int64()),
        ("train_loss", pa.float64()),
        ("dev_accuracy", pa.float64()),
        ("dev_f1", pa.float64()),
        ("dev_macro_f1", pa.float64()),
        ("dev_roc_auc", pa.float64()),
        ("selected", pa.bool_()),
        ("seconds", pa.float64()),
    ]),
    # one row per example: prediction, attention over [SOS] tokens [EOS]
    "predictions": pa.schema([
        ("dataset", pa.string()),
        ("model", pa.string()),
        ("seed", pa.int64()),
        ("split", pa.string()),
        ("example_id", pa.string()),
        ("label", pa.int64()),
        ("pred", pa.int64()),
        ("prob", _list_f32),  # class probabilities, length n_classes
        ("tokens", _list_str),  # incl. <SOS> and <EOS>
        ("attention", _list_f32),  # same length as tokens; 0 at SOS/EOS
        ("max_attention", pa.float32()),
    ]),
    # test-set scores of one model
    "test_metrics": pa.schema([
        ("dataset", pa.string()),
        ("model", pa.string()),
        ("seed", pa.int64()),
        ("split", pa.string()),
        ("n", pa.int64()),
        ("accuracy", pa.float64()),
        ("f1", pa.float64()),  # positive-class F1 (the papers' "F1")
        ("macro_f1", pa.float64()),
        ("roc_auc", pa.float64()),
        ("selected_epoch", pa.int64()),
    ]),
    # JW attention permutation (seatlib.counterfactual.permute), one row per test example;
    # seed is the model's seed; TVD of class probabilities over the permutation draws
    "permutation": pa.schema([
        ("dataset", pa.string()),
        ("model", pa.string()),
        ("seed", pa.int64()),
        ("split", pa.string()),
        ("example_id", pa.string()),
        ("label", pa.int64()),
        ("pred", pa.int64()),
        ("max_attention", pa.float32()),
        ("median_tvd", pa.float64()),
        ("mean_tvd", pa.float64()),
    ]),
    # JW per-instance adversarial attention, eps-max JSD selection
    # (seatlib.counterfactual.adversary), one row per test example; seed is the model's seed
    "adversary": pa.schema([
        ("dataset", pa.string()),
        ("model", pa.string()),
        ("seed", pa.int64()),
        ("split", pa.string()),
        ("example_id", pa.string()),
        ("label", pa.int64()),
        ("pred", pa.int64()),
        ("max_attention", pa.float32()),
        ("emax_jsd", pa.float64()),  # JSD(chosen, original) in nats; 0 = original kept
        ("emax_tvd", pa.float64()),  # output TVD of the chosen candidate
        ("adversary_jsd", pa.list_(pa.float64())),  # per adversary, length k
        ("adversary_tvd", pa.list_(pa.float64())),  # per adversary, length k
        ("adversarial_attention", _list_f32),  # chosen; over [SOS] tokens [EOS]
        ("attention", _list_f32),  # the model's own, same length
    ]),
    # --- Wiegreffe & Pinter (seatlib.wp) ---
    # trained attention vs the uniform baseline on test, one row per encoder and seed
    "wp_uniform": pa.schema([
        ("dataset", pa.string()),
        ("encoder", pa.string()),
        ("attention", pa.string()),  # the trained attention compared with uniform
        ("seed", pa.int64()),
        ("n", pa.int64()),
        ("trained_f1", pa.float64()),
        ("uniform_f1", pa.float64()),
        ("f1_difference", pa.float64()),  # trained - uniform
        ("trained_accuracy", pa.float64()),
        ("uniform_accuracy", pa.float64()),
    ]),
    # seed variance, one row per test example of the base model
    "wp_seed_variance": pa.schema([
        ("dataset", pa.string()),
        ("model", pa.string()),
        ("base_seed", pa.int64()),
        ("example_id", pa.string()),
        ("pred", pa.int64()),  # the base model's predicted class
        ("max_attention", pa.float64()),  # the base model's
        ("n_seeds", pa.int64()),  # extra seeds compared with the base seed
        ("median_jsd", pa.float64()),  # median over seeds of JSD(base, seed) attention, nats
        ("mean_tvd", pa.float64()),  # mean over seeds of TVD(base, seed) class probabilities
    ]),
    # seed variance summarised by predicted class x max-attention bin ("all" = pooled)
    "wp_seed_variance_summary": pa.schema([
        ("dataset", pa.string()),
        ("model", pa.string()),
        ("base_seed", pa.int64()),
        ("n_seeds", pa.int64()),
        ("pred_class", pa.string()),
        ("max_attention_bin", pa.string()),
        ("n", pa.int64()),
        ("mean_jsd", pa.float64()),  # of the per-instance median JSD
        ("median_jsd", pa.float64()),
        ("mean_tvd", pa.float64()),
    ]),
    # model-consistent adversarial training, one row per epoch (means per instance)
    "wp_adversary_epochs": pa.schema([
        ("dataset", pa.string()),
        ("model", pa.string()),
        ("seed", pa.int64()),
        ("lam", pa.float64()),
        ("epoch", pa.int64()),
        ("train_loss", pa.float64()),  # TVD - lambda KL
        ("train_tvd", pa.float64()),
        ("train_kl", pa.float64()),
        ("dev_tvd", pa.float64()),
        ("dev_kl", pa.float64()),
        ("dev_jsd", pa.float64()),
        ("dev_objective", pa.float64()),  # dev TVD - lambda KL
        ("seconds", pa.float64()),
        ("selected", pa.bool_()),
    ]),
    # model-consistent adversaries vs the base model on test, one row per lambda
    "wp_adversary": pa.schema([
        ("dataset", pa.string()),
        ("base_model", pa.string()),
        ("base_seed", pa.int64()),
        ("model", pa.string()),
        ("seed", pa.int64()),
        ("lam", pa.float64()),
        ("selection", pa.string()),
        ("epochs_run", pa.int64()),
        ("selected_epoch", pa.int64()),
        ("n", pa.int64()),
        ("mean_jsd", pa.float64()),  # per instance, attention vs the base model's, nats
        ("median_jsd", pa.float64()),
        ("mean_tvd", pa.float64()),  # per instance, class probabilities vs the base model's
        ("mean_kl", pa.float64()),  # KL(adversary || base) over real tokens
        ("f1", pa.float64()),
        ("accuracy", pa.float64()),
        ("base_f1", pa.float64()),
    ]),
    # the diagnostic: non-contextual model with guide attention, test scores per guide
    "wp_guided": pa.schema([
        ("dataset", pa.string()),
        ("guide", pa.string()),  # uniform, own, base, adversary
        ("guide_model", pa.string()),
        ("model", pa.string()),
        ("seed", pa.int64()),
        ("n", pa.int64()),
        ("accuracy", pa.float64()),
        ("f1", pa.float64()),
        ("macro_f1", pa.float64()),
        ("selected_epoch", pa.int64()),
    ]),
    # the JSD-vs-TVD trade-off: one point per model compared with the base model on test
    "wp_tradeoff": pa.schema([
        ("dataset", pa.string()),
        ("base_model", pa.string()),
        ("base_seed", pa.int64()),
        ("kind", pa.string()),  # seed, uniform, adversary
        ("label", pa.string()),
        ("model", pa.string()),
        ("seed", pa.int64()),
        ("n", pa.int64()),
        ("mean_jsd", pa.float64()),
        ("median_jsd", pa.float64()),
        ("mean_tvd", pa.float64()),
        ("mean_kl", pa.float64()),
        ("f1", pa.float64()),
    ]),
    # feature importance, long: one row per token of every example ([SOS]/[EOS] included, 0)
    "importance": pa.schema([
        ("dataset", pa.string()),
        ("model", pa.string()),
        ("seed", pa.int64()),
        ("split", pa.string()),
        ("example_id", pa.string()),
        ("token_index", pa.int64()),
        ("token", pa.string()),
        ("method", pa.string()),
        ("score", pa.float64()),
        ("target", pa.string()),  # predicted | gold
        ("baseline", pa.string()),  # pad | unk | zero | random; none where not applicable
        ("n_steps", pa.int64()),  # 0 where not applicable
        ("n_samples", pa.int64()),  # 0 where not applicable
    ]),
    # Kendall tau-b per example and pair (attention or a method vs a method), real tokens only
    "agreement": pa.schema([
        ("dataset", pa.string()),
        ("model", pa.string()),
        ("seed", pa.int64()),
        ("split", pa.string()),
        ("example_id", pa.string()),
        ("pred", pa.int64()),
        ("label", pa.int64()),
        ("method_a", pa.string()),
        ("method_b", pa.string()),
        ("scores", pa.string()),  # "magnitude" (|score| ranked) or "signed"
        ("tau", pa.float64()),
        ("p_value", pa.float64()),
        ("n_tokens", pa.int64()),
    ]),
    # JW's Table 2: per pair and predicted class ("0", "1", ...) or "overall"
    "agreement_summary": pa.schema([
        ("dataset", pa.string()),
        ("model", pa.string()),
        ("seed", pa.int64()),
        ("split", pa.string()),
        ("method_a", pa.string()),
        ("method_b", pa.string()),
        ("scores", pa.string()),
        ("group", pa.string()),
        ("mean_tau", pa.float64()),
        ("std_tau", pa.float64()),  # population std (np.std)
        ("sig_frac", pa.float64()),  # fraction with p <= 0.05
        ("n", pa.int64()),
    ]),
    # SEAT (seatlib.seat): the word-substituted version of a split, shared by every model
    "seat_substitutions": pa.schema([
        ("example_id", pa.string()),
        ("token_ids", _list_int),  # [SOS] w.. [EOS] with the substitutions
        ("positions", _list_int),  # positions replaced (into token_ids)
        ("original", _list_str),
        ("replacement", _list_str),  # the nearest GloVe neighbour in the vocabulary
        ("n_changed", pa.int64()),
    ]),
    # SEAT: one row per training epoch of a SEAT or baseline model (top-k vs the vanilla model)
    "seat_epochs": pa.schema([
        ("dataset", pa.string()),
        ("encoder", pa.string()),
        ("method", pa.string()),
        ("seed", pa.int64()),
        ("epoch", pa.int64()),
        ("train_loss", pa.float64()),  # mean total loss per batch
        ("train_main", pa.float64()),  # per instance: D1 (seat) or clean BCE (the others)
        ("train_adv", pa.float64()),  # per instance: the adversarial term before lambda1
        ("train_topk_term", pa.float64()),  # per instance: the loss's top-k term before lambda2
        ("train_topk_loss", pa.float64()),  # per instance: top-k surrogate vs vanilla attention
        ("train_topk_overlap", pa.float64()),  # per instance: true top-k overlap vs vanilla
        ("dev_accuracy", pa.float64()),
        ("dev_f1", pa.float64()),
        ("dev_macro_f1", pa.float64()),
        ("dev_pred_tvd", pa.float64()),  # TVD to the vanilla prediction
        ("dev_topk_loss", pa.float64()),
        ("dev_topk_overlap", pa.float64()),
        ("selected", pa.bool_()),
        ("train_seconds", pa.float64()),  # the training loop alone
        ("seconds", pa.float64()),  # with the dev evaluation
    ]),
    # SEAT: the evaluation of one model (test split), every metric a mean over instances
    "seat_summary": pa.schema([
        ("dataset", pa.string()),
        ("encoder", pa.string()),
        ("method", pa.string()),
        ("seed", pa.int64()),
        ("n_test", pa.int64()),
        ("n_attacked", pa.int64()),  # instances under embedding PGD
        ("n_substituted", pa.int64()),  # instances with >= 1 word substituted
        ("accuracy", pa.float64()),
        ("f1", pa.float64()),  # positive class
        ("macro_f1", pa.float64()),
        ("radius", pa.float64()),  # the radius of jsd and tvd
        ("jsd", pa.float64()),  # attention JSD under embedding PGD
        ("tvd", pa.float64()),  # prediction TVD under embedding PGD
        ("sens", pa.float64()),
        ("comp", pa.float64()),
        ("suff", pa.float64()),
        ("topk_overlap", pa.float64()),  # true top-k overlap with the vanilla attention
        ("subst_jsd", pa.float64()),
        ("subst_tvd", pa.float64()),
        ("selected_epoch", pa.int64()),
    ]),
    # SEAT: one row per test instance of one model
    "seat_instances": pa.schema([
        ("dataset", pa.string()),
        ("encoder", pa.string()),
        ("method", pa.string()),
        ("seed", pa.int64()),
        ("example_id", pa.string()),
        ("label", pa.int64()),
        ("pred", pa.int64()),
        ("prob", _list_f32),
        ("attention", _list_f32),  # over [SOS] w.. [EOS]
        ("max_attention", pa.float32()),
        ("topk_overlap", pa.float64()),
        ("comp", pa.float64()),
        ("suff", pa.float64()),
        ("subst_n", pa.int64()),
        ("subst_attention", _list_f32),
        ("subst_prob", _list_f32),
        ("subst_jsd", pa.float64()),
        ("subst_tvd", pa.float64()),
    ]),
    # SEAT: one row per attacked test instance and embedding-PGD radius
    "seat_perturbation": pa.schema([
        ("dataset", pa.string()),
        ("encoder", pa.string()),
        ("method", pa.string()),
        ("seed", pa.int64()),
        ("example_id", pa.string()),
        ("radius", pa.float64()),
        ("jsd", pa.float64()),
        ("tvd", pa.float64()),
        ("label", pa.int64()),
        ("pred", pa.int64()),  # clean prediction
        ("max_attention", pa.float32()),  # clean attention
    ]),
    # SEAT: the main results table, long (mean and population std over seeds)
    "seat_results": pa.schema([
        ("dataset", pa.string()),
        ("encoder", pa.string()),
        ("method", pa.string()),
        ("metric", pa.string()),
        ("mean", pa.float64()),
        ("std", pa.float64()),
        ("n_seeds", pa.int64()),
    ]),
    # SEAT: agreement between two seeds of one method on the test split (means per instance)
    "seat_seed_stability": pa.schema([
        ("dataset", pa.string()),
        ("encoder", pa.string()),
        ("method", pa.string()),
        ("seed_a", pa.int64()),
        ("seed_b", pa.int64()),
        ("n", pa.int64()),
        ("attention_jsd", pa.float64()),
        ("prediction_tvd", pa.float64()),
        ("topk_overlap", pa.float64()),
    ]),
}


class SchemaError(ValueError):
    pass


def _check(table: pa.Table, name: str, where: str) -> pa.Table:
    if name not in TABLES:
        raise SchemaError(f"table {name!r} is not declared in seatlib.schema.TABLES")
    schema = TABLES[name]
    missing = [f.name for f in schema if f.name not in table.column_names]
    if missing:
        raise SchemaError(f"{where}: table {name!r} lacks column(s) {missing}")
    extra = [c for c in table.column_names if c not in schema.names]
    if extra:
        raise SchemaError(f"{where}: table {name!r} has undeclared column(s) {extra}")
    table = table.select(schema.names)
    for field in schema:
        col = table.column(field.name)
        if col.null_count:
            raise SchemaError(f"{where}: column {field.name!r} of table {name!r} has "
                              f"{col.null_count} null value(s)")
        if not col.type.equals(field.type):
            try:
                col = col.cast(field.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
                raise SchemaError(f"{where}: column {field.name!r} of table {name!r} is "
                                  f"{col.type}, expected {field.type}") from err
            table = table.set_column(schema.get_field_index(field.name), field.name, col)
    return table


def to_arrow(df: pd.DataFrame, name: str, where: str = "<frame>") -> pa.Table:
    return _check(pa.Table.from_pandas(df, preserve_index=False), name, where)


def write_table(df: pd.DataFrame, path: str | os.PathLike, name: str) -> None:
    table = to_arrow(df, name, str(path))
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def read_table(path: str | os.PathLike, name: str) -> pd.DataFrame:
    return _check(pq.read_table(path), name, str(path)).to_pandas()
