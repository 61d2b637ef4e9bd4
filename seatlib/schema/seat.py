"""Tables of the SEAT study (seatlib.seat)."""

import pyarrow as pa

from seatlib.schema.columns import DEV_SCORES, LIST_F32, LIST_INT, LIST_STR, SEAT_KEY, table

TABLES = {
    # the word-substituted version of a split, shared by every model
    "seat_substitutions": table(
        ("example_id", pa.string()),
        ("token_ids", LIST_INT),  # [SOS] w.. [EOS] with the substitutions
        ("positions", LIST_INT),  # positions replaced (into token_ids)
        ("original", LIST_STR),
        ("replacement", LIST_STR),  # the nearest GloVe neighbour in the vocabulary
        ("n_changed", pa.int64())),
    # one row per training epoch of a SEAT or baseline model (top-k vs the vanilla model)
    "seat_epochs": table(
        SEAT_KEY, ("epoch", pa.int64()),
        ("train_loss", pa.float64()),  # mean total loss per batch
        ("train_main", pa.float64()),  # per instance: D1 (seat) or clean BCE (the others)
        ("train_adv", pa.float64()),  # per instance: the adversarial term before lambda1
        ("train_topk_term", pa.float64()),  # per instance: the loss's top-k term before lambda2
        ("train_topk_loss", pa.float64()),  # per instance: top-k surrogate vs vanilla attention
        ("train_topk_overlap", pa.float64()),  # per instance: true top-k overlap vs vanilla
        DEV_SCORES,
        ("dev_pred_tvd", pa.float64()),  # TVD to the vanilla prediction
        ("dev_topk_loss", pa.float64()), ("dev_topk_overlap", pa.float64()),
        ("selected", pa.bool_()),
        ("train_seconds", pa.float64()),  # the training loop alone
        ("seconds", pa.float64())),  # with the dev evaluation
    # the evaluation of one model (test split), every metric a mean over instances
    "seat_summary": table(
        SEAT_KEY, ("n_test", pa.int64()),
        ("n_attacked", pa.int64()),  # instances under embedding PGD
        ("n_substituted", pa.int64()),  # instances with >= 1 word substituted
        ("accuracy", pa.float64()), ("f1", pa.float64()), ("macro_f1", pa.float64()),
        ("radius", pa.float64()),  # the radius of jsd and tvd
        ("jsd", pa.float64()),  # attention JSD under embedding PGD
        ("tvd", pa.float64()),  # prediction TVD under embedding PGD
        ("sens", pa.float64()), ("comp", pa.float64()), ("suff", pa.float64()),
        ("topk_overlap", pa.float64()),  # true top-k overlap with the vanilla attention
        ("subst_jsd", pa.float64()), ("subst_tvd", pa.float64()),
        ("selected_epoch", pa.int64())),
    # one row per test instance of one model
    "seat_instances": table(
        SEAT_KEY, ("example_id", pa.string()), ("label", pa.int64()), ("pred", pa.int64()),
        ("prob", LIST_F32),
        ("attention", LIST_F32),  # over [SOS] w.. [EOS]
        ("max_attention", pa.float32()), ("topk_overlap", pa.float64()),
        ("comp", pa.float64()), ("suff", pa.float64()), ("subst_n", pa.int64()),
        ("subst_attention", LIST_F32), ("subst_prob", LIST_F32), ("subst_jsd", pa.float64()),
        ("subst_tvd", pa.float64())),
    # one row per attacked test instance and embedding-PGD radius
    "seat_perturbation": table(
        SEAT_KEY, ("example_id", pa.string()), ("radius", pa.float64()), ("jsd", pa.float64()),
        ("tvd", pa.float64()), ("label", pa.int64()),
        ("pred", pa.int64()),  # clean prediction
        ("max_attention", pa.float32())),  # clean attention
    # the main results table, long (mean and population std over seeds)
    "seat_results": table(
        ("dataset", pa.string()), ("encoder", pa.string()), ("method", pa.string()),
        ("metric", pa.string()), ("mean", pa.float64()), ("std", pa.float64()),
        ("n_seeds", pa.int64())),
    # agreement between two seeds of one method on the test split (means per instance)
    "seat_seed_stability": table(
        ("dataset", pa.string()), ("encoder", pa.string()), ("method", pa.string()),
        ("seed_a", pa.int64()), ("seed_b", pa.int64()), ("n", pa.int64()),
        ("attention_jsd", pa.float64()), ("prediction_tvd", pa.float64()),
        ("topk_overlap", pa.float64())),
}
