"""Tables of Wiegreffe & Pinter's controls (seatlib.wp)."""

import pyarrow as pa

from seatlib.schema.columns import MODEL_KEY, table

_DATASET = ("dataset", pa.string())
# the model everything is compared with
_BASE = [("base_model", pa.string()), ("base_seed", pa.int64())]
# per instance vs the base model on test: attention JSD (nats), prediction TVD
_VS_BASE = [("n", pa.int64()), ("mean_jsd", pa.float64()), ("median_jsd", pa.float64()),
            ("mean_tvd", pa.float64()), ("mean_kl", pa.float64())]

TABLES = {
    # trained attention vs the uniform baseline on test, one row per encoder and seed
    "wp_uniform": table(
        _DATASET, ("encoder", pa.string()),
        ("attention", pa.string()),  # the trained attention compared with uniform
        ("seed", pa.int64()), ("n", pa.int64()), ("trained_f1", pa.float64()),
        ("uniform_f1", pa.float64()),
        ("f1_difference", pa.float64()),  # trained - uniform
        ("trained_accuracy", pa.float64()), ("uniform_accuracy", pa.float64())),
    # seed variance, one row per test example of the base model
    "wp_seed_variance": table(
        _DATASET, ("model", pa.string()), ("base_seed", pa.int64()), ("example_id", pa.string()),
        ("pred", pa.int64()),  # the base model's predicted class
        ("max_attention", pa.float64()),  # the base model's
        ("n_seeds", pa.int64()),  # extra seeds compared with the base seed
        ("median_jsd", pa.float64()),  # median over seeds of JSD(base, seed) attention, nats
        ("mean_tvd", pa.float64())),  # mean over seeds of TVD(base, seed) class probabilities
    # seed variance summarised by predicted class x max-attention bin ("all" = pooled)
    "wp_seed_variance_summary": table(
        _DATASET, ("model", pa.string()), ("base_seed", pa.int64()), ("n_seeds", pa.int64()),
        ("pred_class", pa.string()), ("max_attention_bin", pa.string()), ("n", pa.int64()),
        ("mean_jsd", pa.float64()),  # of the per-instance median JSD
        ("median_jsd", pa.float64()), ("mean_tvd", pa.float64())),
    # model-consistent adversarial training, one row per epoch (means per instance)
    "wp_adversary_epochs": table(
        MODEL_KEY, ("lam", pa.float64()), ("epoch", pa.int64()),
        ("train_loss", pa.float64()),  # TVD/2 - lambda KL, lambda in WP's unit (WP's objective)
        ("train_tvd", pa.float64()), ("train_kl", pa.float64()), ("dev_tvd", pa.float64()),
        ("dev_kl", pa.float64()), ("dev_jsd", pa.float64()),
        ("dev_objective", pa.float64()),  # dev TVD/2 - lambda KL
        ("seconds", pa.float64()), ("selected", pa.bool_())),
    # model-consistent adversaries vs the base model on test, one row per lambda
    "wp_adversary": table(
        _DATASET, _BASE, ("model", pa.string()), ("seed", pa.int64()), ("lam", pa.float64()),
        ("selection", pa.string()), ("epochs_run", pa.int64()), ("selected_epoch", pa.int64()),
        _VS_BASE,  # mean_kl: KL(adversary || base) over real tokens
        ("f1", pa.float64()), ("accuracy", pa.float64()), ("base_f1", pa.float64())),
    # the diagnostic: non-contextual model with guide attention, test scores per guide
    "wp_guided": table(
        _DATASET, ("guide", pa.string()),  # uniform, own, base, adversary
        ("guide_model", pa.string()), ("model", pa.string()), ("seed", pa.int64()),
        ("n", pa.int64()), ("accuracy", pa.float64()), ("f1", pa.float64()),
        ("macro_f1", pa.float64()), ("selected_epoch", pa.int64())),
    # the JSD-vs-TVD trade-off: one point per model compared with the base model on test
    "wp_tradeoff": table(
        _DATASET, _BASE, ("kind", pa.string()),  # seed, uniform, adversary
        ("label", pa.string()), ("model", pa.string()), ("seed", pa.int64()), _VS_BASE,
        ("f1", pa.float64())),
}
