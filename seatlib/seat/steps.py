"""Steps of the SEAT rules (workflow/rules/seat.smk): one function per rule, named like it,
taking the job (``input``, ``output``, ``params``, ``wildcards``, ``threads``; a test passes a
``types.SimpleNamespace``). The table and figure steps do not run a model: torch-heavy modules
are imported inside the steps that need them."""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pandas as pd

from seatlib.markdown import write_markdown
from seatlib.schema import read_table, write_table

log = logging.getLogger("seatlib.seat")

METRICS = ("accuracy", "f1", "macro_f1", "jsd", "tvd", "sens", "comp", "suff", "topk_overlap",
           "subst_jsd", "subst_tvd")


def model_meta(w) -> dict:
    """The key columns of one SEAT model from the job's wildcards."""
    return {"dataset": w.dataset, "encoder": w.encoder, "method": w.method, "seed": int(w.seed)}


def load_vanilla(weights, config, encoder: str, device):
    """A model of ``encoder`` with tanh attention (a vanilla or SEAT model) and its config."""
    from seatlib.checkpoint import load_model

    model, cfg = load_model(weights, config, device)
    if cfg["model"]["encoder"] != encoder or cfg["model"]["attention"] != "tanh":
        raise ValueError(f"{config}: the vanilla model is {cfg['model']['encoder']}-"
                         f"{cfg['model']['attention']}, expected {encoder}-tanh")
    return model, cfg


# ------------------------------------------------------------------ models


def seat_substitutions(job) -> None:
    """N random words of each test sentence -> their nearest GloVe neighbour."""
    from seatlib.data.prepare import read_vocab
    from seatlib.embeddings import load_glove_6b_50d
    from seatlib.seat.substitution import glove_neighbours, substitution_frame

    split_df = read_table(job.input.split, "split")
    vocab = read_vocab(job.input.vocab)
    words, vectors = load_glove_6b_50d()
    neighbours = glove_neighbours(vocab, words, vectors)
    n_words = job.params.n_words
    frame = substitution_frame(split_df, vocab, neighbours, n_words, job.params.seed)
    log.info("%s: %d of %d sentences got %d word(s) substituted; %d of %d vocabulary words "
             "have a GloVe neighbour", job.input.split, int((frame["n_changed"] > 0).sum()),
             len(frame), n_words, int((neighbours >= 0).sum()), len(vocab))
    write_table(frame, job.output[0], "seat_substitutions")


def seat_train(job) -> None:
    """Train SEAT (or a baseline) against the vanilla model, select on dev."""
    import torch

    from seatlib.checkpoint import save_model
    from seatlib.device import resolve_device, seed_everything
    from seatlib.embeddings import load_embeddings
    from seatlib.models.classifier import ModelConfig, build_model
    from seatlib.predict import run_split
    from seatlib.seat.settings import SeatTrainConfig
    from seatlib.seat.train import train_seat
    from seatlib.train import TrainConfig

    meta = model_meta(job.wildcards)
    seed, inp = meta["seed"], job.input
    device = resolve_device(job.params.device)
    seed_everything(seed, job.threads)
    tcfg = TrainConfig.from_dict(job.params.train)
    scfg = SeatTrainConfig.from_dict(job.params.seat)
    train_df, dev_df = read_table(inp.train, "split"), read_table(inp.dev, "split")
    vanilla, vcfg = load_vanilla(inp.vanilla_weights, inp.vanilla_config, meta["encoder"],
                                 device)
    targets = [run_split(vanilla, list(df["token_ids"]), tcfg.eval_batch_size, device)
               for df in (train_df, dev_df)]
    torch.manual_seed(seed)  # the vanilla model's initial weights, as with the authors' one seed
    embeddings = getattr(inp, "embeddings", None)
    model = build_model(ModelConfig(**vcfg["model"]),
                        load_embeddings(embeddings) if embeddings else None)
    if scfg.init == "vanilla":
        model.load_state_dict(vanilla.state_dict())
    log.info("training %s (%s-tanh, init %s) on %s, seed %d: %d train / %d dev, device %s",
             meta["method"], meta["encoder"], scfg.init, meta["dataset"], seed, len(train_df),
             len(dev_df), device)
    state, epochs, best_epoch = train_seat(model, meta["method"], train_df, dev_df, *targets,
                                           tcfg, scfg, seed, device, meta)
    model.load_state_dict(state)
    save_model(model, job.output.weights, job.output.config,
               extra={"train": tcfg.to_dict(), "seat": scfg.to_dict(),
                      "dataset": meta["dataset"], "model_name": f"{meta['encoder']}-tanh",
                      "method": meta["method"], "seed": seed,
                      "vanilla": str(inp.vanilla_weights), "selected_epoch": best_epoch})
    write_table(epochs, job.output.epochs, "seat_epochs")


def seat_evaluate(job) -> pd.DataFrame:
    """F1, stability under embedding PGD, Sens, Comp/Suff, top-k overlap and word
    substitution of one model on the test split."""
    from seatlib.device import resolve_device, seed_everything
    from seatlib.predict import run_split
    from seatlib.seat.evaluate import evaluate_model
    from seatlib.seat.settings import SeatEvalConfig

    meta = model_meta(job.wildcards)
    inp = job.input
    device = resolve_device(job.params.device)
    seed_everything(meta["seed"], job.threads)
    ecfg = SeatEvalConfig.from_dict(job.params.eval)
    test_df = read_table(inp.test, "split")
    model, cfg = load_vanilla(inp.weights, inp.config, meta["encoder"], device)
    vanilla, _ = load_vanilla(inp.vanilla_weights, inp.vanilla_config, meta["encoder"], device)
    _, van_att = run_split(vanilla, list(test_df["token_ids"]), 256, device)
    summary, instances, perturbation = evaluate_model(
        model, test_df, van_att, read_table(inp.substitutions, "seat_substitutions"), ecfg,
        job.params.topk, device, meta, cfg.get("selected_epoch", -1))
    write_table(summary, job.output.summary, "seat_summary")
    write_table(instances, job.output.instances, "seat_instances")
    write_table(perturbation, job.output.perturbation, "seat_perturbation")
    log.info("%s %s %s seed %d: %s", *meta.values(),
             {k: round(float(summary[k].iat[0]), 5) for k in METRICS})
    return summary


# ------------------------------------------------------------------ tables


def results_frame(summaries: pd.DataFrame) -> pd.DataFrame:
    """Long table: mean and population std over seeds per dataset x encoder x method x
    metric."""
    long = summaries.melt(id_vars=["dataset", "encoder", "method", "seed"],
                          value_vars=list(METRICS), var_name="metric")
    g = long.groupby(["dataset", "encoder", "method", "metric"], sort=False)["value"]
    return g.agg(mean="mean", std=lambda v: float(np.std(v)), n_seeds="count").reset_index()


def results_markdown(results: pd.DataFrame, method_order: list[str]) -> pd.DataFrame:
    wide = results.pivot_table(index=["dataset", "encoder", "method"], columns="metric",
                               values="mean", sort=False).reset_index()
    wide["method"] = pd.Categorical(wide["method"], [m for m in method_order
                                                     if m in set(wide["method"])])
    wide = wide.sort_values(["dataset", "encoder", "method"]).reset_index(drop=True)
    wide["method"] = wide["method"].astype(str)
    return wide[["dataset", "encoder", "method", *[m for m in METRICS if m in wide]]]


def seat_table_results(job) -> None:
    """dataset x encoder x method x metric (Parquet long, Markdown wide)."""
    df = pd.concat([read_table(p, "seat_summary") for p in job.input], ignore_index=True)
    results = results_frame(df)
    write_table(results, job.output.parquet, "seat_results")
    n_seeds = int(results["n_seeds"].max())
    write_markdown(results_markdown(results, list(job.params.methods)), job.output.markdown,
                   f"SEAT: test-split results (mean over {n_seeds} seed(s); JSD/TVD under "
                   f"embedding PGD at radius {df['radius'].iat[0]:g})")


def seed_stability_frame(instances: pd.DataFrame, k: int) -> pd.DataFrame:
    """Every pair of seeds of each dataset x encoder x method: mean per-instance JSD of the
    test attention (the authors' JSD), TVD of the predictions and true top-k overlap."""
    import torch

    from seatlib.batching import pad_rows, real_mask
    from seatlib.divergence import jsd_authors, tvd
    from seatlib.seat.topk import true_topk_overlap

    rows = []
    for (dataset, encoder, method), g in instances.groupby(["dataset", "encoder", "method"],
                                                           sort=False):
        by_seed = {s: d.set_index("example_id") for s, d in g.groupby("seed")}
        for a, b in itertools.combinations(sorted(by_seed), 2):
            ids = by_seed[a].index.intersection(by_seed[b].index)
            da, db = by_seed[a].loc[ids], by_seed[b].loc[ids]
            att_a = pad_rows(list(da["attention"]), dtype=torch.float32)
            att_b = pad_rows(list(db["attention"]), dtype=torch.float32)
            p_a = torch.from_numpy(np.stack(da["prob"].to_numpy()))
            p_b = torch.from_numpy(np.stack(db["prob"].to_numpy()))
            real = real_mask([len(x) for x in da["attention"]], att_a.shape[1])  # SOS/EOS in
            rows.append({"dataset": dataset, "encoder": encoder, "method": method,
                         "seed_a": int(a), "seed_b": int(b), "n": len(ids),
                         "attention_jsd": float(jsd_authors(att_a, att_b).mean()),
                         "prediction_tvd": float(tvd(p_a, p_b).mean()),
                         "topk_overlap": float(true_topk_overlap(att_a, att_b, real, k).mean())})
    return pd.DataFrame(rows)


def seat_table_seed_stability(job) -> None:
    """Attention JSD, prediction TVD and top-k overlap across training seeds."""
    df = pd.concat([read_table(p, "seat_instances") for p in job.input], ignore_index=True)
    frame = seed_stability_frame(df, job.params.k)
    write_table(frame, job.output.parquet, "seat_seed_stability")
    write_markdown(frame, job.output.markdown, "SEAT: stability across training seeds (test "
                   "split)")


# ------------------------------------------------------------------ figures


def _concat(paths, table: str) -> pd.DataFrame:
    return pd.concat([read_table(p, table) for p in paths], ignore_index=True)


def seat_fig_heatmap(job) -> None:
    """Figure-1 style attention heatmaps, clean vs word-substituted sentence, per method."""
    from seatlib.figures.seat_heatmap import plot_heatmap

    plot_heatmap(read_table(job.input.test, "split"),
                 read_table(job.input.substitutions, "seat_substitutions"),
                 [read_table(p, "seat_instances") for p in job.input.instances],
                 job.output.pdf, job.output.png, example_id=job.params.example)


def seat_fig_violin(job) -> None:
    """Attention JSD under embedding PGD by max-attention bin, per method."""
    from seatlib.figures.seat_violin import plot_violin

    plot_violin(_concat(job.input, "seat_perturbation"), job.params.radius,
                list(job.params.methods), job.output.pdf, job.output.png)


def seat_fig_topk_epochs(job) -> None:
    """Top-k surrogate loss and true top-k overlap with the vanilla attention vs epoch."""
    from seatlib.figures.seat_topk import plot_topk_epochs

    plot_topk_epochs(_concat(job.input, "seat_epochs"), job.params.k, list(job.params.methods),
                     job.output.pdf, job.output.png)


def seat_fig_radius(job) -> None:
    """Attention JSD and prediction TVD vs embedding-PGD radius, one line per method."""
    from seatlib.figures.seat_radius import plot_radius

    plot_radius(_concat(job.input, "seat_perturbation"), list(job.params.methods),
                job.output.pdf, job.output.png)
