"""Per-job and per-rule wall times read from a Snakemake log.

Snakemake writes, for every job, a ``[timestamp]`` line followed by ``rule NAME:`` (or
``localrule NAME:``) and an indented block with ``jobid: N`` and ``wildcards: ...``; when it ends,
a ``[timestamp]`` line followed by ``Finished jobid: N``. This module pairs the two, so a run's
time can be broken down without adding benchmark files to every rule::

    python -m seatlib.runlog .snakemake/log/<newest>.snakemake.log

Plain text parsing: no Snakemake import (library code never imports snakemake).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

_STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")
_RULE = re.compile(r"^(?:local)?(?:rule|checkpoint) (\S+):$")
_JOBID = re.compile(r"^\s+jobid: (\d+)$")
_WILDCARDS = re.compile(r"^\s+wildcards: (.*)$")
_FINISHED = re.compile(r"^Finished jobid: (\d+)")


@dataclass(frozen=True)
class JobTime:
    """One finished job: its rule, wildcards and wall seconds (1 s resolution)."""

    jobid: int
    rule: str
    wildcards: str
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def _stamp(text: str) -> datetime:
    return datetime.strptime(" ".join(text.split()), "%a %b %d %H:%M:%S %Y")


def parse_log(text: str) -> list[JobTime]:
    """Every job of ``text`` that both started and finished, in order of finishing."""
    started: dict[int, tuple[str, str, datetime]] = {}
    done: list[JobTime] = []
    stamp: datetime | None = None
    rule: tuple[str, datetime] | None = None  # the rule header being read, with its stamp
    jobid: int | None = None
    for line in text.splitlines():
        if m := _STAMP.match(line):
            stamp, rule, jobid = _stamp(m.group(1)), None, None
        elif (m := _RULE.match(line)) and stamp is not None:
            rule, jobid = (m.group(1), stamp), None
        elif rule is not None and (m := _JOBID.match(line)):
            jobid = int(m.group(1))
            started[jobid] = (rule[0], "", rule[1])
        elif rule is not None and jobid is not None and (m := _WILDCARDS.match(line)):
            name, _, when = started[jobid]
            started[jobid] = (name, m.group(1).strip(), when)
        elif (m := _FINISHED.match(line)) and stamp is not None:
            jid = int(m.group(1))
            if jid in started:
                name, wildcards, when = started.pop(jid)
                done.append(JobTime(jid, name, wildcards, when, stamp))
    return done


def rule_totals(jobs: list[JobTime]) -> list[tuple[str, int, float]]:
    """(rule, jobs, summed seconds), largest total first."""
    totals: dict[str, list[float]] = {}
    for job in jobs:
        totals.setdefault(job.rule, []).append(job.seconds)
    rows = [(rule, len(s), sum(s)) for rule, s in totals.items()]
    return sorted(rows, key=lambda r: (-r[2], r[0]))


def markdown(jobs: list[JobTime], per_job: bool = False) -> str:
    """A Markdown report: the run's span, then seconds per rule (and per job if asked)."""
    if not jobs:
        return "no finished jobs in the log\n"
    span = (max(j.end for j in jobs) - min(j.start for j in jobs)).total_seconds()
    busy = sum(j.seconds for j in jobs)
    out = [f"{len(jobs)} jobs, first start to last finish {span:.0f} s "
           f"({span / 60:.1f} min), summed job time {busy:.0f} s", "",
           "| rule | jobs | seconds | share of summed |", "|---|---|---|---|"]
    out += [f"| {r} | {n} | {s:.0f} | {s / busy if busy else 0:.1%} |"
            for r, n, s in rule_totals(jobs)]
    if per_job:
        out += ["", "| rule | wildcards | seconds |", "|---|---|---|"]
        out += [f"| {j.rule} | {j.wildcards} | {j.seconds:.0f} |"
                for j in sorted(jobs, key=lambda j: -j.seconds)]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", type=Path, help="a .snakemake/log/*.snakemake.log file")
    parser.add_argument("--jobs", action="store_true", help="also list every job")
    args = parser.parse_args(argv)
    try:
        text = args.log.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        print(f"{args.log}: cannot read the Snakemake log ({err.strerror})", file=sys.stderr)
        return 2
    sys.stdout.write(markdown(parse_log(text), per_job=args.jobs))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
