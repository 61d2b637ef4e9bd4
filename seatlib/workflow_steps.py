"""File-to-file steps that the rule scripts call (testable without snakemake)."""

from __future__ import annotations

import logging

import pandas as pd

from seatlib.checkpoint import load_model, save_model
from seatlib.data.prepare import read_vocab
from seatlib.device import resolve_device, seed_everything
from seatlib.embeddings import load_embeddings
from seatlib.markdown import write_markdown
from seatlib.models.classifier import ModelConfig, build_model
from seatlib.predict import predict_split, score_predictions
from seatlib.schema import read_table, write_table
from seatlib.train import TrainConfig, train_model

log = logging.getLogger("seatlib")


def model_name(encoder: str, attention: str) -> str:
    return f"{encoder}-{attention}"


def train_from_files(*, train, dev, vocab, embeddings, out_weights, out_config, out_epochs,
                     dataset, encoder, attention, seed, train_cfg, model_cfg, embedding_cfg,
                     device="auto", threads=None, n_classes=None) -> None:
    dev_t = resolve_device(device)
    seed_everything(seed, threads)
    train_df = read_table(train, "split")
    dev_df = read_table(dev, "split")
    vocab_list = read_vocab(vocab)
    matrix = load_embeddings(embeddings) if embeddings else None
    embed_dim = matrix.shape[1] if matrix is not None else int(embedding_cfg.get("dim", 50))
    n_classes = n_classes or max(int(train_df["label"].max()) + 1, 2)
    cfg = ModelConfig(vocab_size=len(vocab_list), embed_dim=embed_dim, encoder=encoder,
                      attention=attention, hidden_size=int(model_cfg.get("hidden_size", 128)),
                      n_classes=n_classes)
    model = build_model(cfg, matrix)
    tcfg = TrainConfig.from_dict(train_cfg)
    meta = {"dataset": dataset, "model": model_name(encoder, attention), "seed": seed}
    log.info("training %s on %s (seed %d, %d train / %d dev, device %s)", meta["model"],
             dataset, seed, len(train_df), len(dev_df), dev_t)
    state, epochs, best_epoch = train_model(model, train_df, dev_df, tcfg, seed, dev_t, meta)
    model.load_state_dict(state)
    save_model(model, out_weights, out_config,
               extra={"train": tcfg.to_dict(), "embedding": dict(embedding_cfg),
                      "dataset": dataset, "model_name": meta["model"], "seed": seed,
                      "selected_epoch": best_epoch})
    write_table(epochs, out_epochs, "epoch_metrics")


def predict_from_files(*, weights, config, split_path, split, out_predictions, out_metrics,
                       device="auto", threads=None) -> pd.DataFrame:
    dev_t = resolve_device(device)
    seed_everything(0, threads)
    model, cfg = load_model(weights, config, dev_t)
    meta = {"dataset": cfg["dataset"], "model": cfg["model_name"], "seed": cfg["seed"]}
    pred = predict_split(model, read_table(split_path, "split"), meta, split, dev_t)
    metrics = score_predictions(pred, meta, cfg.get("selected_epoch", -1))
    write_table(pred, out_predictions, "predictions")
    write_table(metrics, out_metrics, "test_metrics")
    log.info("%s %s seed %s on %s: %s", meta["dataset"], meta["model"], meta["seed"], split,
             metrics.iloc[0][["accuracy", "f1", "macro_f1", "roc_auc"]].to_dict())
    return metrics


def concat_tables(paths: list, table: str, out_parquet, out_markdown, title: str) -> None:
    df = pd.concat([read_table(p, table) for p in paths], ignore_index=True)
    write_table(df, out_parquet, table)
    write_markdown(df, out_markdown, title)
