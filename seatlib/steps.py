"""Dispatch a Snakemake job to the steps function of its track (see docs/architecture.md).

Rule ``<track>_<verb>`` is run by ``seatlib.<track>.steps.<track>_<verb>(job)``; the track is the
rule name up to its first underscore. The job's log file receives every log line and, for an
uncaught exception, the traceback (``seatlib.logs``); the log ends with the job's wall time.
"""

from __future__ import annotations

import importlib
import time

from seatlib import TRACKS
from seatlib.logs import setup_logging


def step_function(rule: str):
    """The steps function of rule ``rule`` (a one-line error for an unknown track or rule)."""
    track = rule.split("_", 1)[0]
    if track not in TRACKS or "_" not in rule:
        raise ValueError(f"rule {rule!r}: expected <track>_<verb> with a track of {list(TRACKS)}")
    module = importlib.import_module(f"seatlib.{track}.steps")
    try:
        return getattr(module, rule)
    except AttributeError:
        raise ValueError(f"rule {rule!r}: seatlib/{track}/steps.py has no function {rule}()")\
            from None


def run_step(job) -> None:
    """Set up the job's log, run its steps function, log the wall time."""
    log = setup_logging(job.log[0] if len(job.log) else None)
    fn = step_function(job.rule)
    start = time.perf_counter()
    fn(job)
    out = job.output
    files = list(out) if hasattr(out, "__iter__") else list(vars(out).values())
    wrote = ", ".join(str(f) for f in files)
    log.info("%s done in %.1f s; wrote %s", job.rule, time.perf_counter() - start, wrote)
