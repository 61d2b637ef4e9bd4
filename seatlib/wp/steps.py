"""File-to-file steps of the Wiegreffe & Pinter rules (testable without snakemake)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from seatlib.checkpoint import load_model, save_model
from seatlib.data.prepare import read_vocab
from seatlib.device import resolve_device, seed_everything
from seatlib.embeddings import load_embeddings
from seatlib.markdown import write_markdown
from seatlib.metrics import classification_scores
from seatlib.models.classifier import ModelConfig, build_model
from seatlib.predict import predict_split, score_predictions
from seatlib.schema import read_table, write_table
from seatlib.train import TrainConfig
from seatlib.wp.common import compare_to_base
from seatlib.wp.consistent_adversary import (
    AdversaryConfig,
    base_targets,
    train_consistent_adversary,
)
from seatlib.wp.guided import guided_predictions, model_guides, train_guided, uniform_guides
from seatlib.wp.seeds import seed_variance, seed_variance_summary
from seatlib.wp.settings import adversary_name

log = logging.getLogger("seatlib.wp")


def _splits(*paths):
    return [read_table(p, "split") for p in paths]


def _scores(pred: pd.DataFrame) -> dict:
    return classification_scores(pred["label"].to_numpy(), np.stack(pred["prob"].to_numpy()))


def adversary_from_files(*, train, dev, test, embeddings, base_weights, base_config, out_weights,
                         out_config, out_epochs, out_predictions, dataset, lam, seed,
                         adversary_cfg: dict, train_cfg: dict, embedding_cfg: dict,
                         device="auto", threads=None) -> None:
    """Train one model-consistent adversary against the base model; save it, its epochs and its
    test predictions."""
    dev_t = resolve_device(device)
    seed_everything(seed, threads)
    base, base_cfg = load_model(base_weights, base_config, dev_t)
    train_df, dev_df, test_df = _splits(train, dev, test)
    train_targets = base_targets(base, list(train_df["token_ids"]), dev_t)
    dev_targets = base_targets(base, list(dev_df["token_ids"]), dev_t)
    mcfg = ModelConfig(**base_cfg["model"])
    matrix = load_embeddings(embeddings) if embeddings else None
    seed_everything(seed, threads)  # the initialisation does not depend on the steps above
    model = build_model(mcfg, matrix)
    tcfg = TrainConfig.from_dict(train_cfg)
    adv = AdversaryConfig(lam=float(lam), epochs=int(adversary_cfg["epochs"]),
                          patience=adversary_cfg.get("patience"),
                          selection=adversary_cfg["selection"],
                          class_weight_quirk=bool(adversary_cfg["class_weight_quirk"]))
    base_name = base_cfg["model_name"]
    meta = {"dataset": dataset, "model": adversary_name(base_name, lam), "seed": seed}
    log.info("model-consistent adversary of %s seed %s on %s: lambda %g, %d train / %d dev, "
             "device %s", base_name, base_cfg["seed"], dataset, lam, len(train_df), len(dev_df),
             dev_t)
    state, epochs, best = train_consistent_adversary(model, train_df, dev_df, train_targets,
                                                     dev_targets, tcfg, adv, seed, dev_t, meta)
    model.load_state_dict(state)
    save_model(model, out_weights, out_config, extra={
        "train": tcfg.to_dict(), "adversary": adv.to_dict(), "embedding": dict(embedding_cfg),
        "dataset": dataset, "model_name": meta["model"], "seed": seed, "selected_epoch": best,
        "epochs_run": len(epochs),
        "base": {"model_name": base_name, "seed": base_cfg["seed"], "weights": str(base_weights)},
    })
    write_table(epochs, out_epochs, "wp_adversary_epochs")
    pred = predict_split(model, test_df, meta, "test", dev_t)
    write_table(pred, out_predictions, "predictions")


def guided_from_files(*, train, dev, test, vocab, embeddings, guide, guide_weights, guide_config,
                      out_weights, out_config, out_epochs, out_predictions, out_metrics,
                      dataset, seed, train_cfg: dict, model_cfg: dict, embedding_cfg: dict,
                      encoder="average", device="auto", threads=None) -> pd.DataFrame:
    """Train the non-contextual model with guide attention (``guide`` "uniform", or the
    attention of the model at guide_weights/guide_config); save it and its test scores."""
    dev_t = resolve_device(device)
    seed_everything(seed, threads)
    splits = dict(zip(("train", "dev", "test"), _splits(train, dev, test), strict=True))
    if guide == "uniform":
        guides = {k: uniform_guides(list(df["token_ids"])) for k, df in splits.items()}
        guide_name = "uniform"
    else:
        guide_model, gcfg = load_model(guide_weights, guide_config, dev_t)
        guides = {k: model_guides(guide_model, list(df["token_ids"]), dev_t)
                  for k, df in splits.items()}
        guide_name = gcfg["model_name"]
        del guide_model
    vocab_list = read_vocab(vocab)
    matrix = load_embeddings(embeddings) if embeddings else None
    embed_dim = matrix.shape[1] if matrix is not None else int(embedding_cfg.get("dim", 50))
    n_classes = max(int(splits["train"]["label"].max()) + 1, 2)
    # "uniform" attention: the module has no parameters; the guide replaces it in every forward
    cfg = ModelConfig(vocab_size=len(vocab_list), embed_dim=embed_dim, encoder=encoder,
                      attention="uniform", hidden_size=int(model_cfg.get("hidden_size", 128)),
                      n_classes=n_classes)
    seed_everything(seed, threads)
    model = build_model(cfg, matrix)
    tcfg = TrainConfig.from_dict(train_cfg)
    meta = {"dataset": dataset, "model": f"{encoder}-guide-{guide}", "seed": seed}
    log.info("%s on %s with the attention of %s (seed %d)", meta["model"], dataset, guide_name,
             seed)
    state, epochs, best = train_guided(model, splits["train"], splits["dev"], guides["train"],
                                       guides["dev"], tcfg, seed, dev_t, meta)
    model.load_state_dict(state)
    save_model(model, out_weights, out_config, extra={
        "train": tcfg.to_dict(), "embedding": dict(embedding_cfg), "dataset": dataset,
        "model_name": meta["model"], "seed": seed, "selected_epoch": best,
        "guide": {"kind": guide, "model_name": guide_name,
                  "weights": None if guide == "uniform" else str(guide_weights)},
    })
    write_table(epochs, out_epochs, "epoch_metrics")
    pred = guided_predictions(model, splits["test"], guides["test"], meta, "test", dev_t)
    metrics = score_predictions(pred, meta, best)
    write_table(pred, out_predictions, "predictions")
    write_table(metrics, out_metrics, "test_metrics")
    log.info("%s test: %s", meta["model"], metrics.iloc[0][["accuracy", "f1"]].to_dict())
    return metrics


def uniform_table(*, trained: list, uniform: list, out_parquet, out_markdown) -> pd.DataFrame:
    """Test F1 of trained attention vs the uniform baseline, one row per (encoder, seed)."""
    rows = []
    for t_path, u_path in zip(trained, uniform, strict=True):
        t = read_table(t_path, "test_metrics").iloc[0]
        u = read_table(u_path, "test_metrics").iloc[0]
        encoder, attention = t["model"].split("-", 1)
        rows.append({"dataset": t["dataset"], "encoder": encoder, "attention": attention,
                     "seed": int(t["seed"]), "n": int(t["n"]), "trained_f1": t["f1"],
                     "uniform_f1": u["f1"], "f1_difference": t["f1"] - u["f1"],
                     "trained_accuracy": t["accuracy"], "uniform_accuracy": u["accuracy"]})
    df = pd.DataFrame(rows)
    write_table(df, out_parquet, "wp_uniform")
    write_markdown(df, out_markdown, "Trained vs uniform attention (test)")
    return df


def seed_variance_from_files(*, base, seeds: dict, out_instances, out_summary,
                             out_markdown) -> pd.DataFrame:
    """Per-instance seed variance and its summary by predicted class and max-attention bin."""
    base_df = read_table(base, "predictions")
    per = seed_variance(base_df, {int(s): read_table(p, "predictions") for s, p in seeds.items()})
    summary = seed_variance_summary(per)
    write_table(per, out_instances, "wp_seed_variance")
    write_table(summary, out_summary, "wp_seed_variance_summary")
    write_markdown(summary, out_markdown,
                   f"Seed variance of attention ({len(seeds)} extra seeds vs the base seed)")
    return summary


def _comparison_row(base_df, other_df, what) -> dict:
    d = compare_to_base(base_df, other_df, what)
    return {"n": len(d), "mean_jsd": float(d["jsd"].mean()),
            "median_jsd": float(d["jsd"].median()), "mean_tvd": float(d["tvd"].mean()),
            "mean_kl": float(d["kl"].mean()), "f1": _scores(other_df)["f1"]}


def adversary_table(*, base, predictions: list, configs: list, out_parquet,
                    out_markdown) -> pd.DataFrame:
    """Mean (per instance) JSD and TVD from the base model on the test split, per lambda."""
    base_df = read_table(base, "predictions")
    base_f1 = _scores(base_df)["f1"]
    rows = []
    for p_path, c_path in zip(predictions, configs, strict=True):
        cfg = json.loads(Path(c_path).read_text())
        pred = read_table(p_path, "predictions")
        row = _comparison_row(base_df, pred, str(p_path))
        rows.append({"dataset": base_df["dataset"].iat[0], "base_model": base_df["model"].iat[0],
                     "base_seed": int(base_df["seed"].iat[0]), "model": cfg["model_name"],
                     "seed": int(cfg["seed"]), "lam": float(cfg["adversary"]["lam"]),
                     "selection": cfg["adversary"]["selection"],
                     "epochs_run": int(cfg["epochs_run"]),
                     "selected_epoch": int(cfg["selected_epoch"]), **row,
                     "accuracy": _scores(pred)["accuracy"], "base_f1": base_f1})
    df = pd.DataFrame(rows).sort_values("lam", ignore_index=True)
    write_table(df, out_parquet, "wp_adversary")
    write_markdown(df, out_markdown, "Model-consistent adversaries: divergence from the base "
                                     "model on test, per lambda (means per instance)")
    return df


def guided_table(*, entries: list, out_parquet, out_markdown) -> pd.DataFrame:
    """entries: [(guide label, guide model name, test_metrics path)] -> F1 per guide."""
    rows = []
    for guide, guide_model, path in entries:
        m = read_table(path, "test_metrics").iloc[0]
        rows.append({"dataset": m["dataset"], "guide": guide, "guide_model": guide_model,
                     "model": m["model"], "seed": int(m["seed"]), "n": int(m["n"]),
                     "accuracy": m["accuracy"], "f1": m["f1"], "macro_f1": m["macro_f1"],
                     "selected_epoch": int(m["selected_epoch"])})
    df = pd.DataFrame(rows)
    write_table(df, out_parquet, "wp_guided")
    write_markdown(df, out_markdown, "Diagnostic: non-contextual model with guide attention "
                                     "(test)")
    return df


def tradeoff_from_files(*, base, seeds: dict, uniform: str | None, adversaries: list,
                        out_parquet, out_markdown) -> pd.DataFrame:
    """One point per model: mean JSD of its attention and mean TVD of its output from the base
    model on test (seeds, the uniform baseline, the adversary at each lambda)."""
    base_df = read_table(base, "predictions")
    head = {"dataset": base_df["dataset"].iat[0], "base_model": base_df["model"].iat[0],
            "base_seed": int(base_df["seed"].iat[0])}
    items = [("seed", f"seed {s}", p) for s, p in seeds.items()]
    if uniform:
        items.append(("uniform", "uniform", uniform))
    rows = []
    for kind, label, path in items:
        pred = read_table(path, "predictions")
        rows.append({**head, "kind": kind, "label": label, "model": pred["model"].iat[0],
                     "seed": int(pred["seed"].iat[0]),
                     **_comparison_row(base_df, pred, str(path))})
    for lam, path in adversaries:
        pred = read_table(path, "predictions")
        rows.append({**head, "kind": "adversary", "label": f"lambda {lam:g}",
                     "model": pred["model"].iat[0], "seed": int(pred["seed"].iat[0]),
                     **_comparison_row(base_df, pred, str(path))})
    df = pd.DataFrame(rows)
    write_table(df, out_parquet, "wp_tradeoff")
    write_markdown(df, out_markdown, "Attention JSD vs output TVD from the base model (test)")
    return df
