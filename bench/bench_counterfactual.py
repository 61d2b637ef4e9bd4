"""Benchmark: batched permutation / adversary experiments vs a per-instance loop.

Both sides do the same work in the same run and their outputs are compared:

- permutations: the batched ``permutation_experiment`` (encoder once per batch, decoder once per
  batch for all draws) vs a loop that encodes each instance alone and decodes each permutation
  alone, using the *same* permutation indices (same generator stream, same batch order);
- adversary: the batched ``adversarial_attention`` (B x k adversaries optimised together) vs a
  loop that runs the same search for one instance at a time, from the same initial noise, with the
  same number of steps.

Uses the real SST model when it exists (results/models/sst/bilstm-tanh/seed1), else a tiny random
model on random sentences. ``--full`` also times both experiments on the whole split with the
paper's settings (100 permutations, 500 steps) and records median TVD / median eps-max JSD.

    .venv/bin/python bench/bench_counterfactual.py [--instances 200] [--full]

Writes bench/results/counterfactual.json.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from seatlib.batching import pad_batch  # noqa: E402
from seatlib.counterfactual import (  # noqa: E402
    adversarial_attention,
    initial_log_weights,
    initial_noise,
    permutation_experiment,
    permutation_indices,
    search_adversaries,
    select_emax,
)
from seatlib.counterfactual.common import length_sorted_batches  # noqa: E402
from seatlib.io import write_json  # noqa: E402
from seatlib.models.base import probabilities  # noqa: E402
from seatlib.models.classifier import ModelConfig, build_model  # noqa: E402
from seatlib.predict import predict_split  # noqa: E402

MODEL_DIR = REPO / "results/models/sst/bilstm-tanh/seed1"
SPLIT = REPO / "results/prepared/sst/test.parquet"
PREDICTIONS = REPO / "results/predictions/sst/bilstm-tanh/seed1/test.parquet"


def load_inputs(n: int | None):
    if (MODEL_DIR / "model.safetensors").exists() and SPLIT.exists() and PREDICTIONS.exists():
        from seatlib.checkpoint import load_model

        model, _ = load_model(MODEL_DIR / "model.safetensors", MODEL_DIR / "config.json")
        split, pred = pd.read_parquet(SPLIT), pd.read_parquet(PREDICTIONS)
        source = "sst bilstm-tanh seed1 (real)"
    else:
        torch.manual_seed(0)
        model = build_model(ModelConfig(vocab_size=500, embed_dim=50, hidden_size=128)).eval()
        rng = np.random.default_rng(0)
        rows = [[2, *rng.integers(4, 500, size=rng.integers(4, 40)).tolist(), 3]
                for _ in range(n or 1821)]
        split = pd.DataFrame({"example_id": [f"e{i}" for i in range(len(rows))],
                              "tokens": [["w"] * (len(r) - 2) for r in rows],
                              "token_ids": rows, "label": rng.integers(0, 2, len(rows))})
        pred = predict_split(model, split, {"dataset": "random", "model": "bilstm-tanh",
                                            "seed": 0}, "test", "cpu")
        source = "random bilstm-tanh (no trained model found)"
    if n is not None:
        split = split.iloc[:n].reset_index(drop=True)
    return model, split, pred, source


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def permutation_loop(model, split, n_perm, seed, batch_size):
    """Per instance: encode alone; per permutation: decode alone. Same indices as batched."""
    token_ids = list(split["token_ids"])
    median, mean = np.zeros(len(token_ids)), np.zeros(len(token_ids))
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for rows, _, real in length_sorted_batches(token_ids, batch_size, "cpu"):
            perm = permutation_indices(real, n_perm, gen)  # the batched run's draws
            for j, i in enumerate(rows):
                ids1, real1 = pad_batch([token_ids[i]])
                out = model(ids1, real1)
                n = ids1.shape[1]
                base = probabilities(out.logits)[0].double()
                change = []
                for d in range(n_perm):
                    attn = out.attention[0, perm[j, d, :n]]
                    p = probabilities(model.decode(out.hidden, attn[None]))[0].double()
                    change.append(0.5 * (p - base).abs().sum().item())
                median[i], mean[i] = np.median(change), np.mean(change)
    return median, mean


def adversary_loop(model, split, k, steps, seed):
    """One instance at a time, the same search and the same initial noise as batched."""
    token_ids = list(split["token_ids"])
    noise = initial_noise(token_ids, k, seed)
    emax, advs = np.zeros(len(token_ids)), []
    for i, toks in enumerate(token_ids):
        ids1, real1 = pad_batch([toks])
        with torch.no_grad():
            out = model(ids1, real1)
            base = probabilities(out.logits)
        log_w = initial_log_weights(noise[i : i + 1, :, : ids1.shape[1]], real1)
        adv, adv_probs = search_adversaries(model, out.hidden, out.attention, real1, base, log_w,
                                            epsilon=0.01, hinge_weight=500.0, lr=0.01,
                                            steps=steps)
        _, c_jsd, *_ = select_emax(adv, adv_probs, out.attention, base, 0.05)
        emax[i] = c_jsd.item()
        advs.append(adv[0].numpy())
    return emax, advs


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=200)
    ap.add_argument("--permutations", type=int, default=100)
    ap.add_argument("--steps", type=int, default=100,
                    help="adversary steps for BOTH sides of the comparison")
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--full", action="store_true",
                    help="also time the whole split with 100 permutations and 500 steps")
    ap.add_argument("--out", default=str(REPO / "bench/results/counterfactual.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    model, split, pred, source = load_inputs(args.instances)
    print(f"model: {source}; {len(split)} instances; threads {args.threads}")
    # warm-up (first Adam step and first LSTM call carry one-off costs)
    adversarial_attention(model, split.iloc[:2], pred, steps=2, k=args.k)

    bat, t_bat = timed(lambda: permutation_experiment(
        model, split, pred, n_permutations=args.permutations, seed=0,
        batch_size=args.batch_size))
    (med, mean), t_loop = timed(lambda: permutation_loop(model, split, args.permutations, 0,
                                                         args.batch_size))
    perm_diff = float(max(np.abs(bat["median_tvd"] - med).max(),
                          np.abs(bat["mean_tvd"] - mean).max()))
    perm = {"instances": len(split), "permutations": args.permutations,
            "batched_s": t_bat, "loop_s": t_loop, "speedup": t_loop / t_bat,
            "max_abs_diff_tvd": perm_diff, "agree": perm_diff < 1e-5}
    print(f"permutation: batched {t_bat:.2f}s, loop {t_loop:.2f}s, "
          f"speed-up {perm['speedup']:.1f}x, max |diff| {perm_diff:.2e}")

    (frame, advs), a_bat = timed(lambda: adversarial_attention(
        model, split, pred, k=args.k, steps=args.steps, seed=0, batch_size=args.batch_size))
    (emax, advs_loop), a_loop = timed(lambda: adversary_loop(model, split, args.k, args.steps,
                                                             0))
    jsd_diff = float(np.abs(frame["emax_jsd"].to_numpy() - emax).max())
    attn_diff = float(max(np.abs(a - b).max() for a, b in zip(advs, advs_loop, strict=True)))
    adv = {"instances": len(split), "k": args.k, "steps": args.steps, "batched_s": a_bat,
           "loop_s": a_loop, "speedup": a_loop / a_bat, "max_abs_diff_emax_jsd": jsd_diff,
           "max_abs_diff_adversary": attn_diff, "agree": jsd_diff < 1e-4 and attn_diff < 1e-3}
    print(f"adversary ({args.steps} steps): batched {a_bat:.2f}s, loop {a_loop:.2f}s, "
          f"speed-up {adv['speedup']:.1f}x, max |diff| emax_jsd {jsd_diff:.2e}, "
          f"attention {attn_diff:.2e}")

    result = {"model": source, "threads": args.threads, "batch_size": args.batch_size,
              "torch": torch.__version__, "machine": platform.machine(),
              "permutation": perm, "adversary": adv}
    if args.full:
        model, split, pred, _ = load_inputs(None)
        pframe, tp = timed(lambda: permutation_experiment(model, split, pred,
                                                          n_permutations=100, seed=0))
        (aframe, _), ta = timed(lambda: adversarial_attention(model, split, pred, steps=500,
                                                              seed=0))
        result["full_split"] = {
            "instances": len(split), "permutation_s": tp, "adversary_s": ta,
            "permutations": 100, "adversary_steps": 500, "k": 4,
            "median_of_median_tvd": float(pframe["median_tvd"].median()),
            "mean_of_median_tvd": float(pframe["median_tvd"].mean()),
            "median_emax_jsd": float(aframe["emax_jsd"].median()),
            "mean_emax_jsd": float(aframe["emax_jsd"].mean()),
            "fraction_emax_jsd_gt_0.5": float((aframe["emax_jsd"] > 0.5).mean()),
            "max_emax_tvd": float(aframe["emax_tvd"].max()),
        }
        print("full split:", result["full_split"])
    write_json(result, args.out)
    print(f"wrote {args.out}")
    return result


if __name__ == "__main__":
    main()
