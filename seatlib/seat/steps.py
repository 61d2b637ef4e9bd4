"""File-to-file steps of the SEAT rules (testable without snakemake)."""

from __future__ import annotations

import itertools
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from seatlib.checkpoint import load_model, save_model
from seatlib.data.prepare import read_vocab
from seatlib.device import resolve_device, seed_everything
from seatlib.embeddings import load_embeddings, load_glove_6b_50d
from seatlib.markdown import write_markdown
from seatlib.models.classifier import ModelConfig, build_model
from seatlib.schema import read_table, write_table
from seatlib.seat.config import SeatEvalConfig, SeatTrainConfig
from seatlib.seat.divergence import jsd, tvd
from seatlib.seat.evaluate import evaluate_model
from seatlib.seat.substitution import glove_neighbours, substitution_frame
from seatlib.seat.topk import true_topk_overlap
from seatlib.seat.train import forward_split, train_seat
from seatlib.train import TrainConfig

log = logging.getLogger("seatlib.seat")

METRICS = ("accuracy", "f1", "macro_f1", "jsd", "tvd", "sens", "comp", "suff", "topk_overlap",
           "subst_jsd", "subst_tvd")


def load_vanilla(weights, config, encoder: str, device):
    model, cfg = load_model(weights, config, device)
    if cfg["model"]["encoder"] != encoder or cfg["model"]["attention"] != "tanh":
        raise ValueError(f"{config}: the vanilla model is {cfg['model']['encoder']}-"
                         f"{cfg['model']['attention']}, expected {encoder}-tanh")
    return model, cfg


def train_seat_from_files(*, train, dev, vanilla_weights, vanilla_config, embeddings,
                          out_weights, out_config, out_epochs, dataset, encoder, method, seed,
                          train_cfg: dict, seat_cfg: dict, device="auto", threads=None) -> None:
    dev_t = resolve_device(device)
    seed_everything(seed, threads)
    tcfg = TrainConfig.from_dict(train_cfg)
    scfg = SeatTrainConfig.from_dict(seat_cfg)
    train_df, dev_df = read_table(train, "split"), read_table(dev, "split")
    vanilla, vcfg = load_vanilla(vanilla_weights, vanilla_config, encoder, dev_t)
    targets_train = forward_split(vanilla, list(train_df["token_ids"]), tcfg.eval_batch_size,
                                  dev_t)
    targets_dev = forward_split(vanilla, list(dev_df["token_ids"]), tcfg.eval_batch_size, dev_t)
    torch.manual_seed(seed)  # the vanilla model's initial weights, as with the authors' one seed
    matrix = load_embeddings(embeddings) if embeddings else None
    model = build_model(ModelConfig(**vcfg["model"]), matrix)
    if scfg.init == "vanilla":
        model.load_state_dict(vanilla.state_dict())
    meta = {"dataset": dataset, "encoder": encoder, "method": method, "seed": seed}
    log.info("training %s (%s-tanh, init %s) on %s, seed %d: %d train / %d dev, device %s",
             method, encoder, scfg.init, dataset, seed, len(train_df), len(dev_df), dev_t)
    state, epochs, best_epoch = train_seat(model, method, train_df, dev_df, targets_train,
                                           targets_dev, tcfg, scfg, seed, dev_t, meta)
    model.load_state_dict(state)
    save_model(model, out_weights, out_config,
               extra={"train": tcfg.to_dict(), "seat": scfg.to_dict(), "dataset": dataset,
                      "model_name": f"{encoder}-tanh", "method": method, "seed": seed,
                      "vanilla": str(vanilla_weights), "selected_epoch": best_epoch})
    write_table(epochs, out_epochs, "seat_epochs")


def evaluate_from_files(*, weights, config, vanilla_weights, vanilla_config, test,
                        substitutions, out_summary, out_instances, out_perturbation, dataset,
                        encoder, method, seed, eval_cfg: dict, topk: int, device="auto",
                        threads=None) -> pd.DataFrame:
    dev_t = resolve_device(device)
    seed_everything(seed, threads)
    ecfg = SeatEvalConfig.from_dict(eval_cfg)
    test_df = read_table(test, "split")
    model, cfg = load_vanilla(weights, config, encoder, dev_t)
    vanilla, _ = load_vanilla(vanilla_weights, vanilla_config, encoder, dev_t)
    _, van_att = forward_split(vanilla, list(test_df["token_ids"]), 256, dev_t)
    meta = {"dataset": dataset, "encoder": encoder, "method": method, "seed": seed}
    summary, instances, perturbation = evaluate_model(
        model, test_df, van_att, read_table(substitutions, "seat_substitutions"), ecfg, topk,
        dev_t, meta, cfg.get("selected_epoch", -1))
    write_table(summary, out_summary, "seat_summary")
    write_table(instances, out_instances, "seat_instances")
    write_table(perturbation, out_perturbation, "seat_perturbation")
    log.info("%s %s %s seed %d: %s", dataset, encoder, method, seed,
             {k: round(float(summary[k].iat[0]), 5) for k in METRICS})
    return summary


def substitutions_from_files(*, split, vocab, out, n_words: int, seed: int) -> None:
    split_df = read_table(split, "split")
    vocab_list = read_vocab(vocab)
    words, vectors = load_glove_6b_50d()
    neighbours = glove_neighbours(vocab_list, words, vectors)
    frame = substitution_frame(split_df, vocab_list, neighbours, n_words, seed)
    log.info("%s: %d of %d sentences got %d word(s) substituted; %d of %d vocabulary words "
             "have a GloVe neighbour", split, int((frame["n_changed"] > 0).sum()), len(frame),
             n_words, int((neighbours >= 0).sum()), len(vocab_list))
    write_table(frame, out, "seat_substitutions")


def results_frame(summaries: pd.DataFrame) -> pd.DataFrame:
    """Long table: mean and population std over seeds per dataset x encoder x method x
    metric."""
    long = summaries.melt(id_vars=["dataset", "encoder", "method", "seed"],
                          value_vars=list(METRICS), var_name="metric")
    g = long.groupby(["dataset", "encoder", "method", "metric"], sort=False)["value"]
    out = g.agg(mean="mean", std=lambda v: float(np.std(v)), n_seeds="count").reset_index()
    return out


def results_markdown(results: pd.DataFrame, method_order: list[str]) -> pd.DataFrame:
    wide = results.pivot_table(index=["dataset", "encoder", "method"], columns="metric",
                               values="mean", sort=False).reset_index()
    wide["method"] = pd.Categorical(wide["method"], [m for m in method_order
                                                     if m in set(wide["method"])])
    wide = wide.sort_values(["dataset", "encoder", "method"]).reset_index(drop=True)
    wide["method"] = wide["method"].astype(str)
    return wide[["dataset", "encoder", "method", *[m for m in METRICS if m in wide]]]


def results_table_from_files(summaries: list, out_parquet, out_markdown,
                             method_order: list[str]) -> None:
    df = pd.concat([read_table(p, "seat_summary") for p in summaries], ignore_index=True)
    results = results_frame(df)
    write_table(results, out_parquet, "seat_results")
    n_seeds = int(results["n_seeds"].max())
    write_markdown(results_markdown(results, method_order), out_markdown,
                   f"SEAT: test-split results (mean over {n_seeds} seed(s); JSD/TVD under "
                   f"embedding PGD at radius {df['radius'].iat[0]:g})")


def padded(lists, length: int | None = None) -> torch.Tensor:
    """Ragged float lists -> (N, L) zero-padded tensor, without a loop over rows."""
    lengths = np.array([len(x) for x in lists])
    out = np.zeros((len(lists), length or int(lengths.max())), dtype=np.float32)
    keep = np.arange(out.shape[1])[None, :] < lengths[:, None]
    out[keep] = np.concatenate(lists) if len(lists) else []
    return torch.from_numpy(out)


def seed_stability_frame(instances: pd.DataFrame, k: int) -> pd.DataFrame:
    """Every pair of seeds of each dataset x encoder x method: mean per-instance JSD of the
    test attention, TVD of the predictions and true top-k overlap."""
    rows = []
    for (dataset, encoder, method), g in instances.groupby(["dataset", "encoder", "method"],
                                                           sort=False):
        by_seed = {s: d.set_index("example_id") for s, d in g.groupby("seed")}
        for a, b in itertools.combinations(sorted(by_seed), 2):
            ids = by_seed[a].index.intersection(by_seed[b].index)
            da, db = by_seed[a].loc[ids], by_seed[b].loc[ids]
            att_a, att_b = padded(list(da["attention"])), padded(list(db["attention"]))
            p_a = torch.from_numpy(np.stack(da["prob"].to_numpy()))
            p_b = torch.from_numpy(np.stack(db["prob"].to_numpy()))
            lengths = torch.tensor([len(x) for x in da["attention"]])  # incl. SOS/EOS
            pos = torch.arange(att_a.shape[1])[None, :]
            real = (pos >= 1) & (pos < lengths[:, None] - 1)
            rows.append({"dataset": dataset, "encoder": encoder, "method": method,
                         "seed_a": int(a), "seed_b": int(b), "n": len(ids),
                         "attention_jsd": float(jsd(att_a, att_b).mean()),
                         "prediction_tvd": float(tvd(p_a, p_b).mean()),
                         "topk_overlap": float(true_topk_overlap(att_a, att_b, real, k).mean())})
    return pd.DataFrame(rows)


def seed_stability_from_files(instances: list, out_parquet, out_markdown, k: int) -> None:
    df = pd.concat([read_table(p, "seat_instances") for p in instances], ignore_index=True)
    frame = seed_stability_frame(df, k)
    write_table(frame, out_parquet, "seat_seed_stability")
    write_markdown(frame, out_markdown, "SEAT: stability across training seeds (test split)")


def read_config(path) -> dict:
    return json.loads(Path(path).read_text())
