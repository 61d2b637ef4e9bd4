"""``make bench``: run every benchmark in one process, write bench/results.md and results.json.

Each ``bench/bench_<name>.py`` returns ``{"rows": [...]}`` (``bench/common.stage_row``): one
row per heavy stage with its seconds, its compute floor and the ratio, its speed-up over a
straightforward loop, and its agreement with a reference within a stated tolerance. A bench that
fails its agreement check (``SystemExit``) or raises is reported as failed; the command exits
non-zero if any did. All numbers are ratios measured within one run: they are meaningful on a
quiet machine, and never asserted by the tests.

    .venv/bin/python bench/run_all.py [--quick] [--only loo,kendall]
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import REPO, machine  # noqa: E402

from seatlib.io import atomic_path, write_json  # noqa: E402

# run order: cheap first; every module has main(argv) -> {"rows": [...]}
BENCHES = ["parallel", "kendall", "loo", "train", "importance", "counterfactual", "wp",
           "seat_epoch", "seat_eval", "attattr"]


def _cell(value, fmt="{:.2f}"):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "**NO**"
    if isinstance(value, float):
        return fmt.format(value)
    return str(value)


def markdown(results: dict) -> str:
    info = results["machine"]
    lines = ["# Benchmarks", "",
             f"Written by `make bench` ({results['mode']} mode) on {info['machine']}, "
             f"torch {info['torch']}, {info['threads']} thread(s); "
             f"{results['seconds']:.0f} s in all. Floor: the same model's own forward (+ backward) "
             "throughput at its best batch size, measured in the same run, times the passes the "
             "stage needs; floor ratio = stage / floor (goal <= 1.5). Loop: a straightforward "
             "implementation doing the same work. Agreement: max |fast - reference|.", "",
             "| bench | stage | items | s | items/s | floor s | floor ratio | loop s | "
             "vs loop | max diff | tol | agrees | note |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for name, res in results["benches"].items():
        if res.get("error"):
            lines.append(f"| {name} | **failed** | | | | | | | | | | | {res['error']} |")
            continue
        for r in res["rows"]:
            lines.append("| " + " | ".join([
                name, r["stage"], str(r["items"]) + " " + r["unit"], _cell(r["seconds"]),
                _cell(r["per_second"], "{:.1f}"), _cell(r["floor_seconds"]),
                _cell(r["floor_ratio"]), _cell(r["loop_seconds"]), _cell(r["loop_speedup"]),
                _cell(r["agreement"], "{:.1e}"), _cell(r["tolerance"], "{:.0e}"),
                _cell(r["agrees"]), r.get("note", "").replace("|", "/")]) + " |")
    extras = {n: {k: v for k, v in r.items() if k not in ("rows", "error")}
              for n, r in results["benches"].items() if not r.get("error")}
    lines += ["", "Other measurements (scaling, parallel runs, sources) are in "
              "`bench/results.json`.", ""]
    for name, extra in extras.items():
        keep = {k: v for k, v in extra.items() if k not in ("torch", "machine", "threads")}
        if keep:
            lines.append(f"- `{name}`: `{json.dumps(keep, default=str)[:600]}`")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a few minutes)")
    parser.add_argument("--only", default="", help="comma-separated bench names")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or BENCHES
    unknown = sorted(set(names) - set(BENCHES))
    if unknown:
        raise SystemExit(f"--only: unknown bench(es) {unknown}; expected some of {BENCHES}")
    start = time.perf_counter()
    benches, failed = {}, []
    for name in names:
        print(f"== bench {name}", flush=True)
        try:
            module = importlib.import_module(f"bench_{name}")
            res = module.main(["--quick"] if args.quick else [])
            benches[name] = {"rows": res.get("rows", []),
                             **{k: v for k, v in res.items() if k != "rows"}}
        except SystemExit as exc:  # an agreement check failed: record it, go on
            benches[name] = {"rows": [], "error": str(exc)}
            failed.append(name)
        except Exception as exc:  # noqa: BLE001 - a broken bench is reported, not fatal
            traceback.print_exc()
            benches[name] = {"rows": [], "error": f"{type(exc).__name__}: {exc}"}
            failed.append(name)
    results = {"mode": "quick" if args.quick else "full", "machine": machine(),
               "seconds": time.perf_counter() - start, "benches": benches}
    write_json(results, REPO / "bench/results.json")
    with atomic_path(REPO / "bench/results.md") as tmp:
        Path(tmp).write_text(markdown(results), encoding="utf-8")
    print(f"wrote bench/results.md and bench/results.json ({results['seconds']:.0f} s)")
    if failed:
        print(f"failed: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
