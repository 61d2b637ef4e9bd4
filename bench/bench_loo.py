"""Benchmark: batched leave-one-out vs a per-instance, per-position loop.

Both sides do the same work in the same run and their outputs are compared:

- batched: ``compute_importance(..., "loo")``: for each length-sorted batch of instances, every
  deletion of the batch is built by one gather and run through the model in large chunks;
- loop: for each instance, run it alone, then for each real token delete it and run the
  shortened sequence alone (JW run one pass per position per batch; this is the plainest form).

Uses the real SST model when it exists (results/models/sst/bilstm-tanh/seed1 and the prepared
test split), else a random BiLSTM of the same size on random sentences of SST-like lengths.

    .venv/bin/python bench/bench_loo.py [--instances 300] [--threads 1]

Writes bench/results/loo.json.
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

from common import model_throughput, stage_row  # noqa: E402

from seatlib.batching import pad_batch  # noqa: E402
from seatlib.importance import compute_importance  # noqa: E402
from seatlib.io import write_json  # noqa: E402
from seatlib.models.base import probabilities  # noqa: E402
from seatlib.models.classifier import ModelConfig, build_model  # noqa: E402

MODEL_DIR = REPO / "results/models/sst/bilstm-tanh/seed1"
SPLIT = REPO / "results/data/prepared/sst/test.parquet"


def load_inputs(n: int):
    if (MODEL_DIR / "model.safetensors").exists() and SPLIT.exists():
        from seatlib.checkpoint import load_model
        from seatlib.schema import read_table

        model, _ = load_model(MODEL_DIR / "model.safetensors", MODEL_DIR / "config.json")
        df = read_table(SPLIT, "split").head(n).reset_index(drop=True)
        return model, df, "sst test, bilstm-tanh seed1"
    torch.manual_seed(0)
    cfg = ModelConfig(vocab_size=5000, embed_dim=300, encoder="bilstm", attention="tanh")
    model = build_model(cfg).eval()
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 45, n)
    rows = [[2, *rng.integers(4, 5000, k).tolist(), 3] for k in lengths]
    df = pd.DataFrame({"example_id": [f"r{i}" for i in range(n)], "text": "",
                       "tokens": [["w"] * k for k in lengths], "token_ids": rows,
                       "label": rng.integers(0, 2, n)})
    return model, df, "random BiLSTM (vocab 5000, 300-d, hidden 128), random sentences"


@torch.no_grad()
def loo_loop(model, token_ids: list) -> list:
    out = []
    for row in token_ids:
        row = list(row)
        probs = probabilities(model(*pad_batch([row])).logits)[0]
        target = int(probs.argmax())
        scores = np.zeros(len(row))
        for t in range(1, len(row) - 1):
            shorter = row[:t] + row[t + 1:]
            q = probabilities(model(*pad_batch([shorter])).logits)[0, target]
            scores[t] = abs(float(q) - float(probs[target]))
        out.append(scores)
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="100 instances")
    args = parser.parse_args(argv)
    if args.quick:
        args.instances = min(args.instances, 100)
    torch.set_num_threads(args.threads)
    model, df, source = load_inputs(args.instances)
    token_ids = list(df["token_ids"])
    n_deletions = int(sum(len(t) - 2 for t in token_ids))

    compute_importance(model, df.head(8), "loo", device="cpu")  # warm-up
    start = time.perf_counter()
    batched = compute_importance(model, df, "loo", device="cpu", batch_size=args.batch_size)
    t_batched = time.perf_counter() - start

    start = time.perf_counter()
    looped = loo_loop(model, token_ids)
    t_loop = time.perf_counter() - start

    diff = max(float(np.abs(a - b).max()) for a, b in zip(batched, looped, strict=True))
    # floor: one forward per deletion plus one per instance, at the model's best batch size
    floor = model_throughput(model, token_ids, backward=False)
    row = stage_row("LOO (batched deletions)", t_batched, len(df), "instances",
                    n_deletions + len(df), floor["per_second"], t_loop, diff, 1e-5,
                    note=f"{source}; floor: forward at batch {floor['batch_size']}")
    result = {
        "rows": [row],
        "source": source,
        "instances": len(df),
        "deletions": n_deletions,
        "batch_size": args.batch_size,
        "threads": args.threads,
        "seconds_batched": round(t_batched, 4),
        "seconds_loop": round(t_loop, 4),
        "speedup": round(t_loop / t_batched, 2),
        "max_abs_diff": diff,
        "torch": torch.__version__,
        "machine": platform.platform(),
    }
    write_json(result, REPO / "bench/results/loo.json")
    print(f"{source}: {len(df)} instances, {n_deletions} deletions")
    print(f"batched {t_batched:.3f}s  loop {t_loop:.3f}s  speed-up {t_loop / t_batched:.1f}x  "
          f"max |diff| {diff:.2e}")
    if diff > 1e-5:
        raise SystemExit(f"batched and looped LOO disagree: max |diff| {diff:.2e} > 1e-5")
    return result


if __name__ == "__main__":
    main()
