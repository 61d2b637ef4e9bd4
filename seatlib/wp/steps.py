"""The steps of the Wiegreffe & Pinter rules: one function per rule of workflow/rules/wp.smk.

Each takes the job (Snakemake's object, or a ``types.SimpleNamespace`` with ``input``,
``output``, ``params``, ``wildcards``, ``threads``), reads its inputs, calls seatlib.wp and
writes its outputs. Torch and matplotlib are imported inside the functions that need them.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from seatlib.markdown import write_markdown
from seatlib.schema import read_table, write_table
from seatlib.wp import tables
from seatlib.wp.settings import adversary_name

log = logging.getLogger("seatlib.wp")


def _splits(*paths):
    return [read_table(p, "split") for p in paths]


def _optional(path):
    """An optional input (embeddings: an empty list when trained from scratch) -> path or None."""
    return path or None


def wp_adversary(job) -> None:
    """Train one model-consistent adversary (lambda = wildcard lam) against the base model; save
    it, its epochs and its test predictions."""
    from seatlib.checkpoint import load_model, save_model
    from seatlib.device import resolve_device, seed_everything
    from seatlib.embeddings import load_embeddings
    from seatlib.models.classifier import ModelConfig, build_model
    from seatlib.predict import predict_split
    from seatlib.train import TrainConfig
    from seatlib.wp.consistent_adversary import (
        AdversaryConfig,
        base_targets,
        train_consistent_adversary,
    )

    inp, out, params = job.input, job.output, job.params
    dataset, lam, seed = job.wildcards.dataset, float(job.wildcards.lam), params.seed
    embeddings = _optional(inp.embeddings)
    dev_t = resolve_device(params.device)
    seed_everything(seed, job.threads)
    base, base_cfg = load_model(inp.base_weights, inp.base_config, dev_t)
    train_df, dev_df, test_df = _splits(inp.train, inp.dev, inp.test)
    train_targets = base_targets(base, list(train_df["token_ids"]), dev_t)
    dev_targets = base_targets(base, list(dev_df["token_ids"]), dev_t)
    mcfg = ModelConfig(**base_cfg["model"])
    matrix = load_embeddings(embeddings) if embeddings else None
    seed_everything(seed, job.threads)  # the initialisation does not depend on the steps above
    model = build_model(mcfg, matrix)
    tcfg = TrainConfig.from_dict(params.train)
    acfg = params.adversary
    adv = AdversaryConfig(lam=lam, epochs=int(acfg["epochs"]), patience=acfg.get("patience"),
                          selection=acfg["selection"],
                          class_weight_quirk=bool(acfg["class_weight_quirk"]))
    base_name = base_cfg["model_name"]
    meta = {"dataset": dataset, "model": adversary_name(base_name, lam), "seed": seed}
    log.info("model-consistent adversary of %s seed %s on %s: lambda %g, %d train / %d dev, "
             "device %s", base_name, base_cfg["seed"], dataset, lam, len(train_df), len(dev_df),
             dev_t)
    state, epochs, best = train_consistent_adversary(model, train_df, dev_df, train_targets,
                                                     dev_targets, tcfg, adv, seed, dev_t, meta)
    model.load_state_dict(state)
    save_model(model, out.weights, out.config, extra={
        "train": tcfg.to_dict(), "adversary": adv.to_dict(), "embedding": dict(params.embedding),
        "dataset": dataset, "model_name": meta["model"], "seed": seed, "selected_epoch": best,
        "epochs_run": len(epochs),
        "base": {"model_name": base_name, "seed": base_cfg["seed"],
                 "weights": str(inp.base_weights)},
    })
    write_table(epochs, out.epochs, "wp_adversary_epochs")
    pred = predict_split(model, test_df, meta, "test", dev_t)
    write_table(pred, out.predictions, "predictions")


def wp_guided(job) -> None:
    """Train the non-contextual model with the attention of the guide model (wildcard guide:
    "base", "adversary-lambda<tag>"; "uniform" needs no guide files); save it and its test
    scores."""
    from seatlib.checkpoint import load_model, save_model
    from seatlib.data.prepare import read_vocab
    from seatlib.device import resolve_device, seed_everything
    from seatlib.embeddings import load_embeddings
    from seatlib.models.classifier import ModelConfig, build_model
    from seatlib.predict import score_predictions
    from seatlib.train import TrainConfig
    from seatlib.wp.guided import guided_predictions, model_guides, train_guided, uniform_guides

    inp, out, params = job.input, job.output, job.params
    dataset, guide, seed, encoder = job.wildcards.dataset, job.wildcards.guide, params.seed, \
        params.encoder
    embeddings = _optional(inp.embeddings)
    dev_t = resolve_device(params.device)
    seed_everything(seed, job.threads)
    splits = dict(zip(("train", "dev", "test"), _splits(inp.train, inp.dev, inp.test),
                      strict=True))
    if guide == "uniform":
        guides = {k: uniform_guides(list(df["token_ids"])) for k, df in splits.items()}
        guide_name = "uniform"
    else:
        guide_model, gcfg = load_model(inp.guide_weights, inp.guide_config, dev_t)
        guides = {k: model_guides(guide_model, list(df["token_ids"]), dev_t)
                  for k, df in splits.items()}
        guide_name = gcfg["model_name"]
        del guide_model
    vocab_list = read_vocab(inp.vocab)
    matrix = load_embeddings(embeddings) if embeddings else None
    embed_dim = matrix.shape[1] if matrix is not None else int(params.embedding.get("dim", 50))
    n_classes = max(int(splits["train"]["label"].max()) + 1, 2)
    # "uniform" attention: the module has no parameters; the guide replaces it in every forward
    cfg = ModelConfig(vocab_size=len(vocab_list), embed_dim=embed_dim, encoder=encoder,
                      attention="uniform", hidden_size=int(params.model.get("hidden_size", 128)),
                      n_classes=n_classes)
    seed_everything(seed, job.threads)
    model = build_model(cfg, matrix)
    tcfg = TrainConfig.from_dict(params.train)
    meta = {"dataset": dataset, "model": f"{encoder}-guide-{guide}", "seed": seed}
    log.info("%s on %s with the attention of %s (seed %d)", meta["model"], dataset, guide_name,
             seed)
    state, epochs, best = train_guided(model, splits["train"], splits["dev"], guides["train"],
                                       guides["dev"], tcfg, seed, dev_t, meta)
    model.load_state_dict(state)
    save_model(model, out.weights, out.config, extra={
        "train": tcfg.to_dict(), "embedding": dict(params.embedding), "dataset": dataset,
        "model_name": meta["model"], "seed": seed, "selected_epoch": best,
        "guide": {"kind": guide, "model_name": guide_name,
                  "weights": None if guide == "uniform" else str(inp.guide_weights)},
    })
    write_table(epochs, out.epochs, "epoch_metrics")
    pred = guided_predictions(model, splits["test"], guides["test"], meta, "test", dev_t)
    metrics = score_predictions(pred, meta, best)
    write_table(pred, out.predictions, "predictions")
    write_table(metrics, out.metrics, "test_metrics")
    log.info("%s test: %s", meta["model"], metrics.iloc[0][["accuracy", "f1"]].to_dict())


def wp_table_uniform(job) -> None:
    """Test F1 of trained attention vs the uniform baseline, one row per encoder."""
    pairs = [(read_table(t, "test_metrics"), read_table(u, "test_metrics"))
             for t, u in zip(job.input.trained, job.input.uniform, strict=True)]
    df = tables.uniform_frame(pairs)
    write_table(df, job.output.parquet, "wp_uniform")
    write_markdown(df, job.output.markdown, "Trained vs uniform attention (test)")


def wp_seed_variance(job) -> None:
    """Per-instance seed variance (inputs base and seed<N> for N in params.seeds) and its
    summary by predicted class and max-attention bin."""
    from seatlib.wp.seeds import seed_variance, seed_variance_summary

    seeds = job.params.seeds
    base = read_table(job.input.base, "predictions")
    per = seed_variance(base, {int(s): read_table(getattr(job.input, f"seed{s}"),
                                                          "predictions")
                               for s in seeds})
    summary = seed_variance_summary(per)
    write_table(per, job.output.instances, "wp_seed_variance")
    write_table(summary, job.output.parquet, "wp_seed_variance_summary")
    write_markdown(summary, job.output.markdown,
                   f"Seed variance of attention ({len(seeds)} extra seeds vs the base seed)")


def wp_table_adversary(job) -> None:
    """Mean (per instance) JSD and TVD of each adversary from the base model on test."""
    base = read_table(job.input.base, "predictions")
    adversaries = [(str(p), read_table(p, "predictions"), json.loads(Path(c).read_text()))
                   for p, c in zip(job.input.predictions, job.input.configs, strict=True)]
    df = tables.adversary_frame(base, adversaries)
    write_table(df, job.output.parquet, "wp_adversary")
    write_markdown(df, job.output.markdown, "Model-consistent adversaries: divergence from the "
                                            "base model on test, per lambda (means per instance)")


def wp_table_guided(job) -> None:
    """Test F1 of the non-contextual model per guide; params.guides: [guide, guide model] in the
    order of the input list metrics (test_metrics files)."""
    entries = [(guide, guide_model, read_table(path, "test_metrics"))
               for (guide, guide_model), path in zip(job.params.guides, job.input.metrics,
                                                     strict=True)]
    df = tables.guided_frame(entries)
    write_table(df, job.output.parquet, "wp_guided")
    write_markdown(df, job.output.markdown, "Diagnostic: non-contextual model with guide "
                                            "attention (test)")


def wp_tradeoff(job) -> None:
    """One point per model (the extra seeds, the uniform baseline, the adversary at each lambda
    of params.lambdas): mean attention JSD and output TVD from the base model on test."""
    inp = job.input
    points = [("seed", f"seed {s}", getattr(inp, f"seed{s}")) for s in job.params.seeds]
    if getattr(inp, "uniform", None):
        points.append(("uniform", "uniform", inp.uniform))
    points += [("adversary", f"lambda {lam:g}", path)
               for lam, path in zip(job.params.lambdas, inp.adversaries, strict=True)]
    base = read_table(inp.base, "predictions")
    df = tables.tradeoff_frame(base, [(kind, label, str(path), read_table(path, "predictions"))
                                      for kind, label, path in points])
    write_table(df, job.output.parquet, "wp_tradeoff")
    write_markdown(df, job.output.markdown,
                   "Attention JSD vs output TVD from the base model (test)")


def wp_fig_seed_variance(job) -> None:
    """Seed-variance violins (median JSD by max-attention bin and predicted class)."""
    from seatlib.figures.wp_seed_variance import plot_seed_variance

    plot_seed_variance(read_table(job.input.instances, "wp_seed_variance"), job.output.pdf,
                       job.output.png)


def wp_fig_tradeoff(job) -> None:
    """JSD-vs-TVD trade-off (adversaries per lambda, seeds, uniform; JSD bound ln 2; JW's
    per-instance adversary of the base model when input jw_adversary is given)."""
    from seatlib.figures.wp_tradeoff import plot_tradeoff

    jw = getattr(job.input, "jw_adversary", None)
    plot_tradeoff(read_table(job.input.tradeoff, "wp_tradeoff"), job.output.pdf,
                  job.output.png, read_table(jw, "adversary") if jw else None)


def wp_fig_seed_variance_jw(job) -> None:
    """Seed-variance panels beside the same panels for JW's per-instance adversaries."""
    from seatlib.figures.wp_seed_variance import plot_seed_variance_vs_adversary

    plot_seed_variance_vs_adversary(read_table(job.input.instances, "wp_seed_variance"),
                                    read_table(job.input.jw_adversary, "adversary"),
                                    job.output.pdf, job.output.png)
