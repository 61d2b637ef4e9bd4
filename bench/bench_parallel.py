"""Benchmark: do two jobs side by side use two cores? Throughput of 2 concurrent jobs vs 1.

The work is what a default-run job does: a fresh Python process (``--threads 1``, as the rules
set it) that imports torch, builds the BiLSTM and runs a fixed number of forward + backward
passes on length-sorted batches (``bench/common.load_word_model``). It is run once alone, then
twice at the same time; the parallel speed-up is 2 x (alone seconds) / (side-by-side seconds).
2.0 is perfect; the issue's goal is at least 1.7 on the 2-core CPU. Start-up (interpreter and
imports) is timed separately, as the share of a small job that is not work.

    .venv/bin/python bench/bench_parallel.py [--quick]

Writes bench/results/parallel.json.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from common import REPO, machine, stage_row

from seatlib.io import write_json

WORKER = r"""
import sys, time
sys.path.insert(0, {bench!r})
import torch
torch.set_num_threads(1)
from common import load_word_model
from seatlib.batching import pad_batch
model, df, _ = load_word_model(n=256)
rows = sorted(df["token_ids"], key=len)
batches = [pad_batch(rows[i:i + 32]) for i in range(0, len(rows), 32)]
for _ in range({rounds}):
    for ids, mask in batches:
        model(ids, mask).logits.sum().backward()
"""


def run_workers(n: int, rounds: int) -> float:
    code = WORKER.format(bench=str(REPO / "bench"), rounds=rounds)
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=REPO) for _ in range(n)]
    codes = [p.wait() for p in procs]
    if any(codes):
        raise SystemExit(f"a worker failed: exit codes {codes}")
    return time.perf_counter() - start


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    rounds = 3 if args.quick else 12
    startup = run_workers(1, 0)
    alone = run_workers(1, rounds)
    side = run_workers(2, rounds)
    speedup = 2 * alone / side
    rows = [stage_row("2 jobs side by side (throughput vs 1 at a time)", side, 2, "jobs", None,
                      None, 2 * alone, None, None,
                      note=f"parallel speed-up {speedup:.2f}x (goal >= 1.7); start-up alone "
                           f"{startup:.1f} s of a {alone:.1f} s job")]
    result = {"rows": rows, "startup_seconds": round(startup, 2), "alone_seconds": round(alone, 2),
              "side_by_side_seconds": round(side, 2), "parallel_speedup": round(speedup, 2),
              **machine()}
    write_json(result, REPO / "bench/results/parallel.json")
    print(f"start-up {startup:.2f}s; one job {alone:.2f}s; two side by side {side:.2f}s; "
          f"parallel speed-up {speedup:.2f}x")
    return result


if __name__ == "__main__":
    main()
