"""Progress of long loops, and the status of a run.

``progress(iterable, total, desc)`` wraps a loop: on a terminal it draws a tqdm bar; otherwise
(a Snakemake job, whose stderr and log file are no terminal) it logs ``desc: i/N (p%), rate
/s, ETA m:ss`` to the ``seatlib.progress`` logger every ``every`` seconds (default 10, env
``SEATLIB_PROGRESS_EVERY``) and one last line with the total time. A loop hooks in with one
line: ``for batch in progress(batches, len(batches), "importance loo"):``.

``python -m seatlib.progress [results]`` (``make status``) summarises a run: jobs done (a log
ending with the "done in" line of ``seatlib.steps``), failed (a log with an ERROR line; its
message shown), unfinished (neither), then the per-rule wall times of ``seatlib.runlog``.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

log = logging.getLogger("seatlib.progress")


def _clock_text(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def progress_line(desc: str, i: int, total: int | None, elapsed: float, unit: str = "it") -> str:
    """``desc: i/N (p%), r unit/s, ETA m:ss`` (without N: ``desc: i unit, r unit/s``)."""
    rate = i / elapsed if elapsed > 0 else float("nan")
    if total:
        eta = (total - i) / rate if rate and rate == rate and rate > 0 else float("nan")
        eta_text = _clock_text(eta) if eta == eta else "?"
        return (f"{desc}: {i}/{total} ({100 * i / total:.0f}%), {rate:.3g} {unit}/s, "
                f"ETA {eta_text}")
    return f"{desc}: {i} {unit}, {rate:.3g} {unit}/s"


def progress(iterable: Iterable, total: int | None = None, desc: str = "progress", *,
             every: float | None = None, unit: str = "it", tty: bool | None = None,
             clock: Callable[[], float] = time.monotonic) -> Iterator:
    """Yield from ``iterable``, reporting progress (see the module doc)."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    if tty is None:
        tty = sys.stderr.isatty()
    if tty:
        from tqdm import tqdm

        yield from tqdm(iterable, total=total, desc=desc, unit=unit, leave=False)
        return
    if every is None:
        every = float(os.environ.get("SEATLIB_PROGRESS_EVERY", 10))
    start = last = clock()
    i = 0
    for item in iterable:
        yield item
        i += 1
        now = clock()
        if now - last >= every and (total is None or i < total):
            log.info(progress_line(desc, i, total, now - start, unit))
            last = now
    elapsed = clock() - start
    log.info("%s: finished %d %s in %s", desc, i, unit, _clock_text(elapsed))


# --- the status of a run (make status) ---
DONE_LINE = re.compile(r" seatlib INFO [a-z]+_\w+ done in [\d.]+ s")  # seatlib.steps.run_step


def job_states(logs: Path) -> dict[str, list[tuple[str, str]]]:
    """Every rule log under ``logs`` -> done / failed / unfinished, with (job, note)."""
    states: dict[str, list[tuple[str, str]]] = {"done": [], "failed": [], "unfinished": []}
    for path in sorted(logs.rglob("*.log")):
        job = str(path.relative_to(logs).with_suffix(""))
        lines = path.read_text(errors="replace").splitlines()
        errors = [ln for ln in lines if " ERROR " in ln]
        if errors:
            states["failed"].append((job, errors[0].split(" ERROR ", 1)[1]))
        elif any(DONE_LINE.search(ln) for ln in lines[-3:]):
            states["done"].append((job, ""))
        else:
            states["unfinished"].append((job, lines[-1] if lines else "(empty log)"))
    return states


def status_text(results: Path) -> str:
    from seatlib import runlog

    logs = results / "logs"
    if not logs.is_dir():
        return f"{results}: no logs folder (results/logs after a run)\n"
    states = job_states(logs)
    out = [f"jobs: {len(states['done'])} done, {len(states['failed'])} failed, "
           f"{len(states['unfinished'])} unfinished or running (logs in {logs})"]
    for kind in ("failed", "unfinished"):
        for job, note in states[kind]:
            out.append(f"  {kind}: {job}: {note[:160]}")
    bench = results / "benchmarks"
    if bench.is_dir():
        try:
            out.append("\nwall time per rule (seatlib.runlog):\n")
            out.append(runlog.markdown(runlog.jobs(bench)))
        except runlog.BenchmarkError as err:
            out.append(str(err))
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The status of a run: jobs done/failed, "
                                     "per-rule wall times.")
    parser.add_argument("results", type=Path, nargs="?", default=Path("results"))
    args = parser.parse_args(argv)
    sys.stdout.write(status_text(args.results))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
