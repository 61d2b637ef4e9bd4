"""Steps of the models track: one function per rule of ``workflow/rules/models.smk``.

``job`` is Snakemake's job object (or a ``types.SimpleNamespace`` with ``input``, ``output``,
``params``, ``wildcards``, ``threads``); see docs/architecture.md. Torch is imported inside the
functions that need it, so the table and figure jobs do not import it.
"""

from __future__ import annotations

import logging

from seatlib.data.steps import concat_tables
from seatlib.schema import read_table, write_table

log = logging.getLogger("seatlib.models")


def model_name(encoder: str, attention: str) -> str:
    return f"{encoder}-{attention}"


def models_train(job) -> None:
    """Train one attention classifier with JW's recipe on train, select the epoch on dev; write
    the weights, their config.json and the per-epoch table."""
    train_and_save(job, read_table(job.input.train, "split"), read_table(job.input.dev, "split"))


def train_and_save(job, train_df, dev_df) -> None:
    """The body of ``models_train`` on given train/dev frames (columns of schema "split"; others
    are ignored), so another track trains the same models on its own splits (track truth)."""
    from seatlib.checkpoint import save_model
    from seatlib.data.prepare import read_vocab
    from seatlib.device import resolve_device, seed_everything
    from seatlib.embeddings import load_embeddings
    from seatlib.models.classifier import ModelConfig, build_model
    from seatlib.train import TrainConfig, train_model

    w, p = job.wildcards, job.params
    dataset, encoder, attention, seed = w.dataset, w.encoder, w.attention, int(w.seed)
    device = resolve_device(p.device)
    seed_everything(seed, job.threads)
    vocab = read_vocab(job.input.vocab)
    matrix = load_embeddings(job.input.embeddings) if job.input.embeddings else None
    embed_dim = matrix.shape[1] if matrix is not None else int(p.embedding.get("dim", 50))
    cfg = ModelConfig(vocab_size=len(vocab), embed_dim=embed_dim, encoder=encoder,
                      attention=attention, hidden_size=int(p.model.get("hidden_size", 128)),
                      n_classes=max(int(train_df["label"].max()) + 1, 2))
    model = build_model(cfg, matrix)
    tcfg = TrainConfig.from_dict(p.train)
    meta = {"dataset": dataset, "model": model_name(encoder, attention), "seed": seed}
    log.info("training %s on %s (seed %d, %d train / %d dev, device %s)", meta["model"],
             dataset, seed, len(train_df), len(dev_df), device)
    state, epochs, best_epoch = train_model(model, train_df, dev_df, tcfg, seed, device, meta)
    model.load_state_dict(state)
    save_model(model, job.output.weights, job.output.config,
               extra={"train": tcfg.to_dict(), "embedding": dict(p.embedding),
                      "dataset": dataset, "model_name": meta["model"], "seed": seed,
                      "selected_epoch": best_epoch})
    write_table(epochs, job.output.epochs, "epoch_metrics")


def models_predict(job) -> None:
    """Test-split predictions and attention of a trained model, and its test scores."""
    from seatlib.checkpoint import load_model
    from seatlib.device import resolve_device, seed_everything
    from seatlib.predict import predict_split, score_predictions

    device = resolve_device(job.params.device)
    seed_everything(0, job.threads)
    model, cfg = load_model(job.input.weights, job.input.config, device)
    meta = {"dataset": cfg["dataset"], "model": cfg["model_name"], "seed": cfg["seed"]}
    pred = predict_split(model, read_table(job.input.test, "split"), meta, "test", device)
    metrics = score_predictions(pred, meta, cfg.get("selected_epoch", -1))
    write_table(pred, job.output.predictions, "predictions")
    write_table(metrics, job.output.metrics, "test_metrics")
    log.info("%s %s seed %s on test: %s", meta["dataset"], meta["model"], meta["seed"],
             metrics.iloc[0][["accuracy", "f1", "macro_f1", "roc_auc"]].to_dict())


def models_table_metrics(job) -> None:
    """Every model's test scores in one table, in the order of the inputs."""
    concat_tables(list(job.input), "test_metrics", job.output.parquet, job.output.markdown,
                  "Test metrics")


def models_fig_test_summary(job) -> None:
    """Confusion matrix and max attention per predicted class of one model's test split."""
    from seatlib.figures.models_test_summary import plot_test_summary

    plot_test_summary(read_table(job.input.predictions, "predictions"), job.output.pdf,
                      job.output.png)
