"""The workflow's cluster path, end to end, on a local one-node SLURM cluster.

``tests/data/slurm_smoke`` (cpu_step -> gpu_step, plus flaky_step) runs locally with
``--cores 2`` and through SLURM with ``profiles/slurm-ci``:

* run 1 (no flag file): flaky_step fails -> non-zero exit naming the rule; the other jobs
  finish, gpu_step was submitted with a GPU request, cpu_step/flaky_step without;
* run 2 (flag file created): only flaky_step is submitted; the finished outputs are untouched;
* the outputs equal the local run's (gpu_env.json aside, it records the platform).

The SLURM tests are marked ``slurm`` and skip with the reason when no cluster can be brought
up (not root, no apt-get, ...); with ``SEATLIB_SLURM=1`` (CI) they fail instead. The profile
dry-run tests need no cluster.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import slurm_harness as sh

WORKFLOW = Path(__file__).parent / "data" / "slurm_smoke"
COMPARED = ("results/cpu.txt", "results/gpu.txt", "results/flaky.txt")
RUN_TIMEOUT_S = 150

GPU_RULES = (
    "models_train",
    "seat_train",
    "jw_importance",
    "jw_adversary",
    "jw_permute",
    "attattr_finetune",
    "attattr_heads",
    "attattr_score_heads",
    "attattr_prune",
)
CPU_RULES = (
    "data_download",
    "data_prepare",
    "models_predict",
    "models_fig_test_summary",
    "jw_agreement",
    "seat_evaluate",
    "figures",
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SNAKEMAKE_PROFILE", None)  # a user's global profile must not leak in
    return env


def _copy_workflow(dest: Path) -> Path:
    shutil.copytree(WORKFLOW, dest)
    return dest


def _output(proc) -> str:
    return (proc.stdout or "") + (proc.stderr or "")


# ------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    wd = _copy_workflow(tmp_path_factory.mktemp("local") / "wf")
    (wd / "flag").mkdir()
    (wd / "flag" / "ok").touch()
    proc = sh.run_snakemake(["--cores", "2", "--keep-going"], wd, RUN_TIMEOUT_S, env=_env())
    assert proc.returncode == 0, _output(proc)
    return wd


@pytest.fixture(scope="module")
def slurm_runs(slurm_cluster, tmp_path_factory):
    """Run 1 without the flag file (fails), run 2 with it (completes)."""
    wd = _copy_workflow(tmp_path_factory.mktemp("slurm") / "wf")
    args = ["--workflow-profile", str(sh.CI_PROFILE), "--keep-going"]

    t0 = time.monotonic()
    first = sh.run_snakemake(args, wd, RUN_TIMEOUT_S, env=_env())
    t_first = time.monotonic() - t0
    mtimes = {p: (wd / p).stat().st_mtime_ns for p in COMPARED if (wd / p).exists()}
    existed = {p for p in COMPARED if (wd / p).exists()}

    (wd / "flag").mkdir()
    (wd / "flag" / "ok").touch()
    t0 = time.monotonic()
    second = sh.run_snakemake(args, wd, RUN_TIMEOUT_S, env=_env())
    t_second = time.monotonic() - t0
    print(f"\nslurm run 1 (failing): {t_first:.1f}s, run 2 (rerun): {t_second:.1f}s")
    return {
        "wd": wd,
        "first": first,
        "second": second,
        "mtimes_after_first": mtimes,
        "outputs_after_first": existed,
    }


# ------------------------------------------------------------------------------- SLURM tests


@pytest.mark.slurm
def test_failing_rule_is_reported(slurm_runs):
    first, wd = slurm_runs["first"], slurm_runs["wd"]
    out = _output(first)
    assert first.returncode != 0, out
    assert re.search(r"Error in rule flaky_step", out), out
    assert "flag file flag/ok is missing" in out  # --show-failed-logs printed the job log
    # --keep-going: the independent jobs finished, the failed one left no output
    assert slurm_runs["outputs_after_first"] == {"results/cpu.txt", "results/gpu.txt"}
    (run_id,) = sh.run_ids(first.stderr)
    states = {j.rule: j.state for j in sh.slurm_jobs(wd, run_id)}
    assert states == {"cpu_step": "COMPLETED", "gpu_step": "COMPLETED", "flaky_step": "FAILED"}


@pytest.mark.slurm
def test_gpu_request_only_for_gpu_rule(slurm_runs):
    first, wd = slurm_runs["first"], slurm_runs["wd"]
    (run_id,) = sh.run_ids(first.stderr)
    assert sh.submitted_jobs(wd, run_id) == {
        "cpu_step": False,
        "gpu_step": True,
        "flaky_step": False,
    }
    jobs = {j.rule: j for j in sh.slurm_jobs(wd, run_id)}
    # sbatch --gpus=1 -> slurmctld records TresPerJob=gres:gpu:1 (Slurm 22.05)
    assert re.fullmatch(r"TresPerJob=gres[:/]gpu:1", jobs["gpu_step"].gpu_request)
    assert all(j.source == "scontrol" for j in jobs.values())
    # The plugin's job logs tell the same story (the fallback once slurmctld forgets jobs).
    from_logs = {j.job_id: j.gpu for j in sh.log_jobs(wd)}
    assert {j.job_id: j.gpu for j in jobs.values()}.items() <= from_logs.items()
    # Inside the job SLURM handed out a (fake) GPU; torch on this box still picks its device.
    env = json.loads((wd / "results/gpu_env.json").read_text())
    assert env["SLURM_JOB_ID"] == jobs["gpu_step"].job_id
    assert env["CUDA_VISIBLE_DEVICES"] not in (None, "")
    assert env["device"] == ("cuda" if env["torch_cuda_available"] else "cpu")


@pytest.mark.slurm
def test_rerun_only_runs_unfinished_jobs(slurm_runs):
    second, wd = slurm_runs["second"], slurm_runs["wd"]
    assert second.returncode == 0, _output(second)
    (run_id,) = sh.run_ids(second.stderr)
    assert [j.rule for j in sh.slurm_jobs(wd, run_id)] == ["flaky_step"]
    before = slurm_runs["mtimes_after_first"]
    assert set(before) == {"results/cpu.txt", "results/gpu.txt"}
    assert {p: (wd / p).stat().st_mtime_ns for p in before} == before


@pytest.mark.slurm
def test_outputs_equal_local_run(slurm_runs, local_run):
    wd = slurm_runs["wd"]
    for rel in COMPARED:
        assert (wd / rel).read_bytes() == (local_run / rel).read_bytes(), rel
    local_env = json.loads((local_run / "results/gpu_env.json").read_text())
    assert local_env["SLURM_JOB_ID"] is None


@pytest.mark.slurm
def test_hang_is_killed(slurm_cluster, tmp_path):
    """The pitfall run_snakemake guards against: without slurmdbd the plugin's default status
    command (sacct) fails, Snakemake drops its jobs, waits forever and ignores SIGTERM."""
    wd = _copy_workflow(tmp_path / "wf")
    args = ["--workflow-profile", str(sh.CI_PROFILE), "--slurm-status-command", "sacct"]
    t0 = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired) as info:
        sh.run_snakemake([*args, "results/cpu.txt"], wd, 15, env=_env(), kill_grace_s=3)
    assert time.monotonic() - t0 < 15 + 3 + 10
    assert sh.run_ids(info.value.stderr or "")  # jobs were submitted, then lost track of
    left = [p for p in Path("/proc").glob("[0-9]*") if _cwd(p) == wd.resolve()]
    assert not left, f"processes survived the kill: {left}"


def _cwd(proc_dir: Path) -> Path | None:
    try:
        return Path(os.readlink(proc_dir / "cwd"))
    except OSError:
        return None


# ------------------------------------------------------------------ profiles (no cluster needed)


def _dry_run_resources(profile: Path, tmp_path: Path) -> dict[str, dict[str, str]]:
    """Dry-run a stand-in workflow with the pipeline's rule names; resources per rule."""
    rules = []
    for name in GPU_RULES + CPU_RULES:
        res = "gpu=1, mem_mb=2000, runtime=30" if name in GPU_RULES else "mem_mb=1000"
        rules.append(
            f"rule {name}:\n    output: 'out/{name}.txt'\n    resources: {res}\n"
            f"    shell: 'touch {{output}}'\n"
        )
    targets = ", ".join(f"'out/{n}.txt'" for n in GPU_RULES + CPU_RULES)
    (tmp_path / "Snakefile").write_text(
        f"localrules: all\nrule all:\n    input: {targets}\n" + "\n".join(rules)
    )
    proc = sh.run_snakemake(["--workflow-profile", str(profile), "-n"], tmp_path, 120, env=_env())
    out = _output(proc)
    assert proc.returncode == 0, out
    found: dict[str, dict[str, str]] = {}
    for m in re.finditer(r"^(?:local)?rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", out, re.M):
        found[m.group(1)] = dict(kv.split("=", 1) for kv in m.group(2).split(", ") if "=" in kv)
    assert set(found) >= set(GPU_RULES + CPU_RULES), out
    return found


@pytest.mark.parametrize(
    ("profile", "gpu_model", "gpu_partition", "cpu_partition"),
    [(sh.USER_PROFILE, "a100", "gpu", "cpu"), (sh.CI_PROFILE, "fake", "debug", "debug")],
    ids=["slurm", "slurm-ci"],
)
def test_profile_maps_gpu_rules(profile, gpu_model, gpu_partition, cpu_partition, tmp_path):
    res = _dry_run_resources(profile, tmp_path)
    for rule in GPU_RULES:
        assert res[rule].get("gpu") == "1", (rule, res[rule])
        assert res[rule].get("gpu_model") == gpu_model, (rule, res[rule])
        assert res[rule].get("slurm_partition") == gpu_partition, (rule, res[rule])
        assert "gres" not in res[rule]  # gres + gpu would request GPUs twice
    for rule in CPU_RULES:
        assert not {"gpu", "gpu_model", "gres"} & set(res[rule]), (rule, res[rule])
        assert res[rule].get("slurm_partition") == cpu_partition, (rule, res[rule])
