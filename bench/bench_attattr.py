"""Benchmark: batched, cached AttAttr vs the straightforward algorithm, and the batched
pruning-curve evaluation, on the packaged MiniLM (6 x 12 heads) and SST-2 dev sentences.

Both sides run in the same process on the same model and inputs (so a shared, loaded machine
inflates both alike; the ratio is what to read):

- naive (spec 1.3, the original code's algorithm): one example at a time padded to 128
  WordPieces; for each layer one forward *from the input* with that layer's attention replaced
  by the m = 20 scaled copies (batch 20, as prune_head_with_attr.py's 20 x 1), then the
  gradient of the target probability;
- batched (seatlib.attattr.attribution.attribute): one plain forward per batch of similar-length
  examples (dynamic padding) caches each layer's input; only layers l..L-1 run on the m copies.

The attributions of the two must agree to 1e-4 (max abs difference over every cell). Then the
time per example of the batched version over more examples, and the pruning curves (every
ranking x 11 fractions) evaluated batched, against one forward per example and mask.

    .venv/bin/python bench/bench_attattr.py [--naive 3] [--examples 32] [--threads 1]

Writes bench/results/attattr.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MIRROR = Path(os.environ.get("SEAT_DATA_MIRROR", REPO.parent / "shared" / "data"))


def dev_split(tokenizer, n: int) -> pd.DataFrame:
    from seatlib.attattr.tokenize import encode_split
    from seatlib.data.readers import read_dataset

    frame = read_dataset("sst2", MIRROR)
    dev = frame[frame["split"] == "dev"].iloc[:n]
    return encode_split(dev, tokenizer, 128, "sst2 dev")[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--naive", type=int, default=3, help="examples run by the naive version")
    ap.add_argument("--examples", type=int, default=32, help="examples for the batched timing")
    ap.add_argument("--prune-examples", type=int, default=250)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    from seatlib.attattr.attribution import AttributionConfig, attribute, attribute_naive
    from seatlib.attattr.heads import random_importance
    from seatlib.attattr.model import Classifier, batch_inputs
    from seatlib.attattr.prune import FRACTIONS, head_mask, pruning_accuracy
    from seatlib.attattr.tokenize import load_tokenizer

    model = Classifier.from_pretrained("minilm", n_labels=2, seed=1)
    dev = dev_split(load_tokenizer("minilm"), max(args.examples, args.prune_examples))
    ids, labels = list(dev["token_ids"]), dev["label"].to_numpy()
    cfg = AttributionConfig(steps=args.steps)
    m = args.steps

    # --- the same examples both ways: equality and time
    few = ids[: args.naive]
    t0 = time.perf_counter()
    naive = [attribute_naive(model, r, int(labels[i]), m, pad_to=128) for i, r in enumerate(few)]
    naive_s = (time.perf_counter() - t0) / len(few)
    t0 = time.perf_counter()
    natural = [attribute_naive(model, r, int(labels[i]), m) for i, r in enumerate(few)]
    natural_s = (time.perf_counter() - t0) / len(few)
    t0 = time.perf_counter()
    batched = attribute(model, few, labels[: len(few)], cfg, "cpu", keep_matrices=range(len(few)))
    batched_few_s = (time.perf_counter() - t0) / len(few)
    diff = max(float(np.abs(batched.matrices[i] - naive[i]).max()) for i in range(len(few)))
    diff_pad = max(float(np.abs(natural[i] - naive[i]).max()) for i in range(len(few)))

    # --- the batched version over more examples (dynamic padding)
    t0 = time.perf_counter()
    attribute(model, ids[: args.examples], labels[: args.examples], cfg, "cpu")
    per_example_s = (time.perf_counter() - t0) / args.examples

    # --- pruning curves: 6 rankings x 11 fractions, batched vs one forward per example/mask
    L, H = model.config.n_layers, model.config.n_heads
    imps = {f"r{s}": random_importance(L, H, s) for s in range(6)}
    pids, plabels = ids[: args.prune_examples], labels[: args.prune_examples]
    t0 = time.perf_counter()
    pruning_accuracy(model, pids, plabels, imps, "cpu", FRACTIONS, batch_size=128)
    prune_batched_s = time.perf_counter() - t0
    n_loop = 20  # examples x one mask, timed, then scaled to every example and mask
    hm = torch.as_tensor(head_mask(imps["r0"], 0.5), dtype=torch.float32)
    t0 = time.perf_counter()
    with torch.no_grad():
        for r in pids[:n_loop]:
            model(*batch_inputs(model, [r]), head_mask=hm)
    loop_per = (time.perf_counter() - t0) / n_loop
    prune_loop_s = loop_per * len(pids) * len(imps) * len(FRACTIONS)

    lengths = [len(r) for r in ids[: args.examples]]
    result = {
        "model": "all-MiniLM-L6-v2 (6 layers x 12 heads), fresh 2-class head (seed 1)",
        "data": "SST-2 dev, first examples",
        "threads": args.threads, "steps_m": m, "rule": "left", "target": "gold",
        "platform": platform.platform(), "torch": torch.__version__, "cpu_count": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "attribution": {
            "naive_examples": len(few),
            "naive_lengths": [len(r) for r in few],
            "naive_padded128_s_per_example": naive_s,
            "naive_natural_length_s_per_example": natural_s,
            "batched_same_examples_s_per_example": batched_few_s,
            "speedup_vs_naive_padded128": naive_s / per_example_s,
            "speedup_same_examples": naive_s / batched_few_s,
            "max_abs_diff_batched_vs_naive": diff,
            "max_abs_diff_padding_128_vs_natural": diff_pad,
            "equal_to_1e-4": diff < 1e-4,
            "batched_examples": args.examples,
            "batched_mean_length": float(np.mean(lengths)),
            "batched_s_per_example_dynamic_padding": per_example_s,
        },
        "pruning": {
            "rankings": len(imps), "fractions": len(FRACTIONS), "examples": len(pids),
            "batched_s": prune_batched_s,
            "per_example_loop_s_estimated": prune_loop_s,
            "speedup": prune_loop_s / prune_batched_s,
        },
    }
    out = REPO / "bench" / "results" / "attattr.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
