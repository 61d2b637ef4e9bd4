"""Helpers for tests that run Snakemake through a real (local, one-node) SLURM cluster.

The cluster comes from ``tools/slurm/local-cluster.sh`` (Debian's Slurm 22.05 + munge, no
accounting, fake GRES GPUs). Typical use in a test module::

    import pytest
    from tests import slurm_harness as sh   # or: import slurm_harness as sh

    pytestmark = pytest.mark.slurm

    @pytest.fixture(scope="session")
    def slurm_cluster():
        ok, reason = sh.slurm_available()
        if not ok:
            pytest.skip(reason)
        sh.ensure_cluster()
        yield
        sh.teardown_cluster()          # only stops what this process started

    def test_x(slurm_cluster, tmp_path):
        proc = sh.run_snakemake(["--workflow-profile", str(sh.CI_PROFILE)], tmp_path, 300)
        gpu_by_rule = sh.submitted_jobs(tmp_path, run_id=sh.run_ids(proc.stderr)[-1])

Why every Snakemake call goes through :func:`run_snakemake`: with a wrong status command
(e.g. the plugin's default ``sacct`` on a cluster without slurmdbd) Snakemake waits forever
and ignores SIGTERM/SIGINT; only SIGKILL of the process group ends it.

How GPU requests are detected (:func:`slurm_jobs`):

1. ``scontrol show job -o`` (slurmctld's own record of each job, kept for ``MinJobAge`` =
   3600 s on the local cluster): ``Comment=rule_<rule>[_wildcards_<wc>]`` names the rule
   (the plugin sets it), ``JobName`` is the Snakemake run's SLURM run ID, ``WorkDir`` the
   workflow directory, and ``TresPerJob=gres:gpu:1`` (``sbatch --gpus``) or
   ``TresPerNode=gres:gpu:1`` (``sbatch --gres``) is the GPU request slurmctld accepted.
2. The plugin's job logs ``.snakemake/slurm_logs/rule_<rule>/[<wc>/]<jobid>.log`` (kept with
   ``slurm-keep-successful-logs: true``): the in-job Snakemake prints the job's resources, and
   ``gpu``/``gpu_model``/``gres`` there are exactly what the plugin turns into ``--gpus`` /
   ``--gres``. Used for jobs that slurmctld no longer knows (older than MinJobAge, or a
   cluster that was restarted without its state).
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CLUSTER_SCRIPT = REPO_ROOT / "tools" / "slurm" / "local-cluster.sh"
CI_PROFILE = REPO_ROOT / "profiles" / "slurm-ci"
USER_PROFILE = REPO_ROOT / "profiles" / "slurm"
# `SEATLIB_SLURM=0` skips the SLURM tests, `SEATLIB_SLURM=1` makes them fail instead of skipping
# (CI); `SEATLIB_SLURM_KEEP=1` leaves the cluster up afterwards.
_ENV_DISABLE = "SEATLIB_SLURM"
_ENV_KEEP = "SEATLIB_SLURM_KEEP"
_LOCK_FILE = Path("/tmp/seatlib-local-slurm.lock")

_state: dict[str, object] = {"up": False, "started_here": False, "bringup_s": None}


# --------------------------------------------------------------------------- availability


def _cluster_responds(timeout_s: float = 5.0) -> bool:
    """True if a SLURM controller answers and the local node takes jobs."""
    if not shutil.which("sinfo"):
        return False
    try:
        out = subprocess.run(
            ["sinfo", "-h", "-o", "%T"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    states = out.stdout.split()
    return out.returncode == 0 and any(
        s.rstrip("*~#!%$@^-").startswith(("idle", "mixed", "allocated", "completing"))
        for s in states
    )


def slurm_required() -> bool:
    """``SEATLIB_SLURM=1``: the SLURM tests must run (fail instead of skipping)."""
    return os.environ.get(_ENV_DISABLE, "").strip().lower() in {"1", "yes", "true", "on"}


def slurm_available() -> tuple[bool, str]:
    """Can this machine run the SLURM tests? Returns ``(ok, reason)``; reason is for skips.

    With ``SEATLIB_SLURM=1`` an unavailable cluster is reported as ``(False, reason)`` too;
    callers should then fail rather than skip (see :func:`slurm_required`).
    """
    if os.environ.get(_ENV_DISABLE, "").strip().lower() in {"0", "no", "false", "off"}:
        return False, f"SLURM tests disabled by {_ENV_DISABLE}={os.environ[_ENV_DISABLE]}"
    if _cluster_responds():
        return True, "a SLURM cluster is already up (sinfo shows a usable node)"
    if sys.platform != "linux":
        return False, f"local SLURM cluster needs Linux, this is {sys.platform}"
    if os.geteuid() != 0:
        return False, "local SLURM cluster needs root (apt-get + daemons) and none is running"
    if not CLUSTER_SCRIPT.exists():
        return False, f"{CLUSTER_SCRIPT} is missing"
    installed = Path("/usr/sbin/slurmctld").exists() and Path("/usr/sbin/slurmd").exists()
    if not installed and not shutil.which("apt-get"):
        return False, "SLURM is not installed and there is no apt-get to install it"
    if not shutil.which("bash"):
        return False, "bash is missing"
    return True, "root with apt-get: tools/slurm/local-cluster.sh can bring SLURM up"


def ensure_cluster(timeout_s: float = 300) -> float:
    """Bring the local cluster up once per process (idempotent). Returns bring-up seconds.

    Serialised with a file lock so parallel pytest workers don't run apt-get twice.
    Raises ``RuntimeError`` with the script's output if bring-up fails.
    """
    if _state["up"] and _cluster_responds():
        return float(_state["bringup_s"] or 0.0)
    with open(_LOCK_FILE, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        already = _cluster_responds()
        t0 = time.monotonic()
        if not already:
            proc = subprocess.run(
                ["bash", str(CLUSTER_SCRIPT), "up"],
                capture_output=True,
                text=True,
                timeout=timeout_s,
                stdin=subprocess.DEVNULL,
                check=False,
            )
            if proc.returncode != 0 or not _cluster_responds():
                raise RuntimeError(
                    f"local SLURM bring-up failed (rc {proc.returncode}):\n"
                    f"{proc.stdout}\n{proc.stderr}"
                )
            _state["started_here"] = True
        _state["bringup_s"] = time.monotonic() - t0
        _state["up"] = True
    return float(_state["bringup_s"])


def teardown_cluster(force: bool = False) -> None:
    """Stop the cluster if this process started it (or ``force``), unless SEATLIB_SLURM_KEEP=1."""
    if os.environ.get(_ENV_KEEP, "") == "1" and not force:
        return
    if not (force or _state["started_here"]):
        return
    subprocess.run(
        ["bash", str(CLUSTER_SCRIPT), "down"],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    _state.update(up=False, started_here=False)


# --------------------------------------------------------------------------- running snakemake


def snakemake_cmd() -> list[str]:
    """The Snakemake of this interpreter (the venv's), as an argv prefix."""
    return [sys.executable, "-m", "snakemake"]


def run_snakemake(
    args: Sequence[str],
    cwd: str | os.PathLike[str],
    timeout_s: float,
    env: dict[str, str] | None = None,
    kill_grace_s: float = 10.0,
) -> subprocess.CompletedProcess[str]:
    """Run ``snakemake <args>`` in ``cwd`` with a hard timeout.

    The process runs in its own session (process group). On timeout the whole group gets
    SIGTERM, then SIGKILL after ``kill_grace_s`` (Snakemake hangs on a broken status command
    and ignores SIGTERM), the run's still-queued SLURM jobs are cancelled by run ID, and
    ``subprocess.TimeoutExpired`` is raised with the captured output attached.
    """
    cmd = [*snakemake_cmd(), *map(str, args)]
    full_env = dict(os.environ if env is None else env)
    full_env.setdefault("PYTHONUNBUFFERED", "1")
    proc = subprocess.Popen(
        cmd,
        cwd=os.fspath(cwd),
        env=full_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc, kill_grace_s)
        out, err = proc.communicate()
        for rid in run_ids(err + out):
            subprocess.run(["scancel", "--name", rid], capture_output=True, check=False)
        raise subprocess.TimeoutExpired(cmd, timeout_s, output=out, stderr=err) from None
    except BaseException:
        _kill_group(proc, 0)
        proc.communicate()
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _kill_group(proc: subprocess.Popen[str], grace_s: float) -> None:
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        return
    if grace_s > 0:
        try:
            os.killpg(pgid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(pgid, signal.SIGKILL)  # also reaps children that outlived the leader
    except ProcessLookupError:
        pass
    proc.wait()


_RUN_ID_RE = re.compile(r"SLURM run ID: (\S+)")


def run_ids(output: str) -> list[str]:
    """SLURM run IDs (the sbatch ``--job-name`` of every job of one run) in Snakemake's output."""
    return _RUN_ID_RE.findall(output)


# --------------------------------------------------------------------------- job records


@dataclass(frozen=True)
class SlurmJob:
    """One SLURM job submitted by the Snakemake SLURM plugin."""

    job_id: str
    rule: str
    wildcards: str
    gpu: bool  # submitted with a GPU request (--gpus / --gres=gpu...)
    gpu_request: str  # e.g. "TresPerJob=gres:gpu:1" or "gpu=1"; "" for CPU jobs
    run_id: str | None  # sbatch --job-name = Snakemake's SLURM run ID (None: from logs only)
    state: str | None  # COMPLETED, FAILED, ... (None: from logs only)
    source: str  # "scontrol" or "log"


_COMMENT_RE = re.compile(r"^(?:rule|group)_(.+?)(?:_wildcards_(.*))?$")
_TRES_KEYS = ("TresPerJob", "TresPerNode", "TresPerSocket", "TresPerTask")


def _parse_scontrol_line(line: str) -> dict[str, str]:
    """``scontrol show job -o`` line -> dict. Values never contain spaces except Comment."""
    fields: dict[str, str] = {}
    key = None
    for tok in line.split(" "):
        m = re.match(r"^([A-Za-z][A-Za-z/:_]*)=(.*)$", tok)
        if m:
            key = m.group(1)
            fields[key] = m.group(2)
        elif key is not None and tok:
            fields[key] += " " + tok
    return fields


def _scontrol_jobs() -> list[dict[str, str]]:
    if not shutil.which("scontrol"):
        return []
    try:
        out = subprocess.run(
            ["scontrol", "show", "job", "-o"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    if out.returncode != 0:
        return []
    return [_parse_scontrol_line(ln) for ln in out.stdout.splitlines() if ln.startswith("JobId=")]


_RES_LINE_RE = re.compile(r"^\s*resources:\s*(.*)$", re.M)


def _log_gpu_request(text: str) -> str:
    """GPU-related resources in the in-job Snakemake's ``resources:`` line ("" if none)."""
    m = _RES_LINE_RE.search(text)
    if not m:
        return ""
    parts = []
    for item in m.group(1).split(", "):
        name, _, value = item.partition("=")
        name = name.strip()
        if name in ("gpu", "gpus", "nvidia_gpu") and value.strip() not in ("0", ""):
            parts.append(f"{name}={value.strip()}")
        elif name == "gpu_model" and value.strip():
            parts.append(f"{name}={value.strip()}")
        elif name == "gres" and "gpu" in value:
            parts.append(f"{name}={value.strip()}")
    return ",".join(parts)


def log_jobs(workdir: str | os.PathLike[str]) -> list[SlurmJob]:
    """Jobs recorded in the plugin's job logs (GPU request read from the job's resources)."""
    workdir = Path(workdir)
    logdir = workdir / ".snakemake" / "slurm_logs"
    jobs = []
    for log in sorted(logdir.glob("*/**/*.log")) if logdir.is_dir() else []:
        rel = log.relative_to(logdir).parts
        m = re.match(r"^(?:rule|group)_(.+)$", rel[0])
        if not m or not re.match(r"^\d+(_\d+)?$", log.stem):
            continue
        try:
            text = log.read_text(errors="replace")
        except OSError:
            continue
        req = _log_gpu_request(text)
        jobs.append(
            SlurmJob(
                job_id=log.stem,
                rule=m.group(1),
                wildcards="/".join(rel[1:-1]),
                gpu=bool(req),
                gpu_request=req,
                run_id=None,
                state=None,
                source="log",
            )
        )
    return sorted(jobs, key=_job_key)


def _job_key(job: SlurmJob) -> tuple[int, int]:
    main, _, task = job.job_id.partition("_")
    return (int(main) if main.isdigit() else 0, int(task) if task.isdigit() else 0)


def slurm_jobs(
    workdir: str | os.PathLike[str], run_id: str | Iterable[str] | None = None
) -> list[SlurmJob]:
    """All SLURM jobs the plugin submitted for the workflow in ``workdir``, oldest first.

    ``run_id`` (one ID or several, see :func:`run_ids`) restricts the result to those
    Snakemake runs; job-log-only records (no run ID) are dropped then.
    """
    wd = Path(workdir).resolve()
    wanted = {run_id} if isinstance(run_id, str) else (set(run_id) if run_id else None)
    found: dict[str, SlurmJob] = {}
    for rec in _scontrol_jobs():
        if Path(rec.get("WorkDir", "")).resolve() != wd:
            continue
        m = _COMMENT_RE.match(rec.get("Comment", "").strip())
        if not m:
            continue  # not submitted by the snakemake plugin
        req = ",".join(
            f"{k}={rec[k]}" for k in _TRES_KEYS if "gpu" in rec.get(k, "") and rec[k] != "(null)"
        )
        job_id = rec["JobId"]
        found[job_id] = SlurmJob(
            job_id=job_id,
            rule=m.group(1),
            wildcards=m.group(2) or "",
            gpu=bool(req),
            gpu_request=req,
            run_id=rec.get("JobName"),
            state=rec.get("JobState"),
            source="scontrol",
        )
    if wanted is None:
        for job in log_jobs(wd):
            found.setdefault(job.job_id, job)
    jobs = [j for j in found.values() if wanted is None or j.run_id in wanted]
    return sorted(jobs, key=_job_key)


def submitted_jobs(
    workdir: str | os.PathLike[str], run_id: str | Iterable[str] | None = None
) -> dict[str, bool]:
    """Per Snakemake rule name: was (any of) its SLURM job(s) submitted with a GPU request?"""
    result: dict[str, bool] = {}
    for job in slurm_jobs(workdir, run_id):
        result[job.rule] = result.get(job.rule, False) or job.gpu
    return result
