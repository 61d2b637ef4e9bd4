"""Benchmark: batched Kendall tau-b (pair counting and Knight's O(L log L) sort) vs scipy's loop.

For sentence lengths (SST, about 20 tokens) and document lengths (IMDB, about 180 and 400), on
the same random rows with ties: ``kendall_tau_b(method="pairs")``, ``method="sorted"`` and the
default ``"auto"``, against one ``scipy.stats.kendalltau`` call per row (the straightforward
loop). Every path must equal scipy to 1e-10 (relative). The scaling rows give the log-log slope
of time against length at a fixed number of values (linear in L log L: slope about 0 per value;
the pair counting is about 1).

    .venv/bin/python bench/bench_kendall.py [--quick]

Writes bench/results/kendall.json.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from common import REPO, machine, stage_row, timed
from scipy.stats import kendalltau

from seatlib.agreement import kendall_tau_b
from seatlib.io import write_json

TOL = 1e-10


def rows_of(rng, n_rows, length):
    x = np.round(rng.normal(size=(n_rows, length)) * 3)  # ties, as rounded scores have
    y = x * rng.uniform(-1, 1, (n_rows, 1)) + rng.normal(size=(n_rows, length))
    return x, y


def scipy_loop(x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.array([kendalltau(a, b).statistic for a, b in zip(x, y, strict=True)])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    n_rows = 200 if args.quick else 500
    rows, failures = [], []
    for length in (20, 180, 400):
        x, y = rows_of(rng, n_rows, length)
        ref, t_loop = timed(scipy_loop, x, y)
        for method in ("pairs", "sorted", "auto"):
            (tau, _), seconds = timed(kendall_tau_b, x, y, method=method, repeats=2)
            diff = float(np.nanmax(np.abs(tau - ref)))
            row = stage_row(f"kendall tau-b ({method}), L={length}", seconds, n_rows,
                            "instances", None, None, t_loop, diff, TOL,
                            note="no model passes: the loop is scipy per instance")
            rows.append(row)
            if not row["agrees"]:
                failures.append(row["stage"])
    # scaling at a fixed number of values: time per value against L
    total = 20_000 if args.quick else 80_000
    scale = {}
    for method in ("pairs", "sorted"):
        times = []
        lengths = (50, 100, 200, 400, 800)
        for length in lengths:
            x, y = rows_of(rng, total // length, length)
            _, seconds = timed(kendall_tau_b, x, y, method=method, repeats=2)
            times.append(seconds)
        slope = float(np.polyfit(np.log(lengths), np.log(times), 1)[0])
        scale[method] = {"lengths": list(lengths), "seconds": [round(t, 4) for t in times],
                         "loglog_slope_per_value": round(slope, 2)}
    result = {"rows": rows, "scaling_fixed_values": scale, **machine()}
    write_json(result, REPO / "bench/results/kendall.json")
    for row in rows:
        print(f"{row['stage']}: {row['seconds']:.3f}s, {row['loop_speedup']}x scipy loop, "
              f"max |diff| {row['agreement']:.1e}")
    print("scaling (time per value vs L, log-log slope):",
          {k: v["loglog_slope_per_value"] for k, v in scale.items()})
    if failures:
        raise SystemExit(f"kendall paths disagree with scipy beyond {TOL}: {failures}")
    return result


if __name__ == "__main__":
    main()
