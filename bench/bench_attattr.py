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

Floor: the model's own forward + backward (to the input embeddings, no weight gradients, as
attribution needs) in sentences/s at its best batch size on the same sentences, times the
full-pass equivalents AttAttr needs: 1 clean pass + m (L + 1) / 2 (layer l runs layers l..L-1 on
the m copies: (L - l) / L of a pass). The classifier-only last layer is not discounted, so the
floor is slightly high and the ratio slightly flattering.

    .venv/bin/python bench/bench_attattr.py [--naive 3] [--examples 32] [--threads 1] [--quick]

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
sys.path.insert(0, str(REPO / "bench"))
from common import stage_row  # noqa: E402

from seatlib.io import write_json  # noqa: E402

MIRROR = Path(os.environ.get("SEAT_DATA_MIRROR", REPO.parent / "shared" / "data"))


def dev_split(tokenizer, n: int) -> pd.DataFrame:
    from seatlib.attattr.tokenize import encode_split
    from seatlib.data.readers import read_dataset

    frame = read_dataset("sst2", MIRROR)
    dev = frame[frame["split"] == "dev"].iloc[:n]
    return encode_split(dev, tokenizer, 128, "sst2 dev")[0]


def bert_throughput(model, ids, batch_sizes=(8, 16, 32, 64)) -> dict:
    """Forward + backward to the input embeddings, sentences/s at the best batch size."""
    from seatlib.attattr.model import batch_inputs

    order = np.argsort([len(r) for r in ids], kind="stable")
    rows = [ids[i] for i in order]
    model.requires_grad_(False)
    best = {"per_second": 0.0, "batch_size": None}
    for bs in batch_sizes:
        batches = [batch_inputs(model, rows[i:i + bs]) for i in range(0, len(rows), bs)]

        def run(batches=batches):
            for i, am, types in batches:
                emb = model.embed(i, types).detach().requires_grad_(True)
                out = model(attention_mask=am, inputs_embeds=emb)
                torch.autograd.grad(torch.softmax(out.logits, -1)[:, 0].sum(), emb)

        run()
        t0 = time.perf_counter()
        run()
        rate = len(rows) / (time.perf_counter() - t0)
        if rate > best["per_second"]:
            best = {"per_second": rate, "batch_size": bs}
    model.requires_grad_(True)
    return best


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--naive", type=int, default=3, help="examples run by the naive version")
    ap.add_argument("--examples", type=int, default=32, help="examples for the batched timing")
    ap.add_argument("--prune-examples", type=int, default=250)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="2 naive, 12 batched, 60 pruned")
    args = ap.parse_args(argv)
    if args.quick:
        args.naive, args.examples, args.prune_examples = 2, 12, 60
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
    floor = bert_throughput(model, ids[: args.examples])
    passes = args.examples * (1 + m * (L + 1) / 2)
    result["rows"] = [
        stage_row("AttAttr attribution (dynamic padding)", per_example_s * args.examples,
                  args.examples, "examples", passes, floor["per_second"],
                  naive_s * args.examples, diff, 1e-4,
                  note=f"loop: the original algorithm padded to 128 ({len(few)} examples, "
                       f"scaled); floor: fwd+bwd at batch {floor['batch_size']}"),
        stage_row("pruning curves (rankings x fractions)", prune_batched_s,
                  len(pids) * len(imps) * len(FRACTIONS), "example-masks",
                  len(pids) * len(imps) * len(FRACTIONS), bert_forward(model, pids),
                  prune_loop_s, None, None,
                  note=f"loop: one forward per example and mask ({n_loop} timed, scaled)"),
    ]
    result["floor"] = floor
    write_json(result, REPO / "bench" / "results" / "attattr.json")
    print(json.dumps(result, indent=2))
    if diff >= 1e-4:
        raise SystemExit(f"batched and naive AttAttr disagree: max |diff| {diff:.2e} >= 1e-4")
    return result


def bert_forward(model, ids, bs: int = 128) -> float:
    """Plain forward sentences/s (no grad) on length-sorted batches of ``bs``."""
    from seatlib.attattr.model import batch_inputs

    rows = sorted(ids, key=len)
    batches = [batch_inputs(model, rows[i:i + bs]) for i in range(0, len(rows), bs)]
    with torch.no_grad():
        for b in batches[:1]:
            model(*b)
        t0 = time.perf_counter()
        for b in batches:
            model(*b)
    return len(rows) / (time.perf_counter() - t0)


if __name__ == "__main__":
    main()
