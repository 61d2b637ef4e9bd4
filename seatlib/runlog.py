"""Per-rule and per-job time and memory, from Snakemake's ``benchmark:`` files.

Every rule has ``benchmark: benchmark_file(rule, pattern)``, so each job writes
``results/benchmarks/<rule>/<wildcards>.tsv``: Snakemake's benchmark TSV (columns ``s``,
``h:m:s``, ``max_rss``, ``max_vms``, ``max_uss``, ``max_pss``, ``io_in``, ``io_out``,
``mean_load``, ``cpu_time``; memory in MB, ``NA`` when the job ended before the first
sample). This module sums them up::

    python -m seatlib.runlog results/benchmarks [--jobs]

A job is one file; the rule is its first folder under the root, its wildcards the rest of its
path. A file with several rows (``repeat(...)``) counts its mean seconds and its largest RSS.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from seatlib.markdown import to_markdown


class BenchmarkError(Exception):
    """A benchmark folder or file that cannot be read (one-line message)."""


def read_benchmark(path: Path | str) -> pd.DataFrame:
    """The rows of one benchmark TSV, numeric (NA and '-' become NaN)."""
    try:
        df = pd.read_csv(path, sep="\t", na_values=["NA", "-"])
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise BenchmarkError(f"{path}: not a Snakemake benchmark file "
                             f"({' '.join(str(err).split())})") from None
    missing = [c for c in ("s", "max_rss") if c not in df.columns]
    if missing or df.empty:
        what = f"no column {', '.join(missing)}" if missing else "no rows"
        raise BenchmarkError(f"{path}: not a Snakemake benchmark file ({what})")
    return df


def jobs(root: Path | str) -> pd.DataFrame:
    """One row per benchmark file under root: rule, wildcards, seconds, max_rss (MB), sorted
    by rule and wildcards."""
    root = Path(root)
    if not root.is_dir():
        raise BenchmarkError(f"{root}: no such benchmark folder (results/benchmarks after a "
                             "run)")
    rows = []
    for path in sorted(root.rglob("*.tsv")):
        rel = path.relative_to(root).with_suffix("")
        if len(rel.parts) < 2:
            raise BenchmarkError(f"{path}: expected <root>/<rule>/<wildcards>.tsv")
        df = read_benchmark(path)
        rows.append({"rule": rel.parts[0], "wildcards": "/".join(rel.parts[1:]),
                     "seconds": float(df["s"].mean()), "max_rss": float(df["max_rss"].max())})
    return pd.DataFrame(rows, columns=["rule", "wildcards", "seconds", "max_rss"])


def rule_summary(per_job: pd.DataFrame) -> pd.DataFrame:
    """Per rule: jobs, total/mean/max seconds, max RSS (MB); largest total first."""
    grouped = per_job.groupby("rule", sort=True)
    out = pd.DataFrame({
        "jobs": grouped.size(),
        "total_s": grouped["seconds"].sum(),
        "mean_s": grouped["seconds"].mean(),
        "max_s": grouped["seconds"].max(),
        "max_rss_mb": grouped["max_rss"].max(),
    }).reset_index()
    return out.sort_values(["total_s", "rule"], ascending=[False, True], kind="stable",
                           ignore_index=True)


def _num(v: float, digits: int = 1) -> str:
    return "NA" if pd.isna(v) else f"{v:.{digits}f}"


def markdown(per_job: pd.DataFrame, with_jobs: bool = False) -> str:
    """A Markdown report: totals, then one row per rule (and per job if asked)."""
    if per_job.empty:
        return "no benchmark files\n"
    summary = rule_summary(per_job)
    busy = float(per_job["seconds"].sum())
    table = pd.DataFrame({
        "rule": summary["rule"],
        "jobs": summary["jobs"],
        "total s": summary["total_s"].map(_num),
        "mean s": summary["mean_s"].map(_num),
        "max s": summary["max_s"].map(_num),
        "max RSS MB": summary["max_rss_mb"].map(_num),
    })
    out = f"{len(per_job)} jobs, summed job time {busy:.1f} s ({busy / 60:.1f} min)\n\n"
    out += to_markdown(table)
    if with_jobs:
        ordered = per_job.sort_values(["seconds", "rule", "wildcards"],
                                      ascending=[False, True, True], kind="stable")
        out += "\n" + to_markdown(pd.DataFrame({
            "rule": ordered["rule"], "wildcards": ordered["wildcards"],
            "s": ordered["seconds"].map(_num), "max RSS MB": ordered["max_rss"].map(_num)}))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, nargs="?", default=Path("results/benchmarks"),
                        help="the benchmark folder (default results/benchmarks)")
    parser.add_argument("--jobs", action="store_true", help="also list every job")
    args = parser.parse_args(argv)
    try:
        sys.stdout.write(markdown(jobs(args.root), with_jobs=args.jobs))
    except BenchmarkError as err:
        print(err, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
