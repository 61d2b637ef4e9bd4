"""The real pipeline through SLURM: a small configuration, run with ``--executor slurm``.

A few hundred SST sentences (from the data mirror; a generated user CSV where the mirror is
absent), one BiLSTM-tanh model trained for one epoch on the CPU, its test predictions, one
importance method (gradient) and the test-summary figure. Explicit targets keep the rest of
the default target (JW tables and figures, WP, SEAT) out of the DAG.

The same configuration runs twice on the local one-node cluster (``profiles/slurm-ci``,
fake GRES GPUs, every call under the harness's timeout + SIGKILL):

* run 1 with ``device: cuda``: SLURM grants the GPU rules a (fake) GPU, but torch sees no
  CUDA, so ``models_train`` fails with the one-line device error. Snakemake must exit non-zero
  and name the rule; the jobs before it finish.
* run 2 with ``device: cpu`` (the fix): only ``models_train`` and what depends on it are
  submitted; the outputs of run 1 keep their mtimes.

Meanwhile the same (fixed) configuration runs locally with ``--cores 2`` in another directory,
and the two result trees must match: the same files, and the same Parquet contents, exactly.
The GPU rules (models_train, jw_importance) must have been submitted with a GPU request
and the CPU rules without one, as slurmctld recorded them (``scontrol show job``).

Timing on the shared 2-core machine is dominated by the plugin's status polling (it backs
off by 10 s per poll that finds nothing finished) and by the two Snakemake start-ups inside
every SLURM job, not by the work. That is why the test stops at one importance method and
``models_fig_test_summary``: jw_agreement + jw_fig_tau_hist would add two DAG levels.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import slurm_harness as sh
import torch
import yaml

REPO = sh.REPO_ROOT
MIRROR_SST = REPO.parent / "shared" / "data" / "sst" / "sst_dataset_jain_wallace.csv"
RUN_TIMEOUT_S = 300  # per snakemake call; a run takes about 2 min here
MODEL = "bilstm-tanh/seed1"
BAD_DEVICE_MESSAGE = "device 'cuda' was asked for but torch sees no CUDA device"

GPU_RULES = {"models_train", "jw_importance"}
# Columns that legitimately differ between two runs (wall-clock time), per table file name.
VOLATILE_COLUMNS = {"epochs.parquet": {"seconds"}}


DATASET = "small"  # a user dataset: no data_download job, one DAG level less on SLURM
EXPECTED_RULES = {"data_prepare", "models_train", "models_predict", "jw_importance",
                  "models_fig_test_summary"}
TARGETS = [
    f"results/models/figures/{DATASET}/{MODEL}/test_summary.png",
    f"results/jw/{DATASET}/{MODEL}/importance/gradient.parquet",
]


def _write_dataset(path: Path) -> None:
    """A few hundred SST sentences from the mirror (Jain & Wallace's split: 300 train, 80 dev,
    80 test), or, without a mirror, 400 generated sentences split by the pipeline."""
    if MIRROR_SST.is_file():
        df = pd.read_csv(MIRROR_SST)
        n = {"train": 300, "dev": 80, "test": 80}
        df = pd.concat([df[df["exp_split"] == s].head(k) for s, k in n.items()])
    else:
        words = {0: ("bad", "awful", "poor"), 1: ("good", "great", "fine")}
        df = pd.DataFrame({
            "text": [f"this film is {words[i % 2][i % 3]} number {i}" for i in range(400)],
            "label": [i % 2 for i in range(400)],
        })
    df.to_csv(path, index=False)


def _write_config(workdir: Path, device: str) -> Path:
    """The small configuration, as ``workdir/config.yaml`` (the Snakefile's ``configfile:``
    is resolved in the working directory, so the repository's config.yaml is not read)."""
    csv = workdir / "small.csv"
    if not csv.exists():
        _write_dataset(csv)
    user = {"path": str(csv), "text_column": "text", "label_column": "label"}
    if MIRROR_SST.is_file():
        user["split_column"] = "exp_split"
    cfg = {
        "experiments": {"datasets": [DATASET], "encoders": ["bilstm"], "attentions": ["tanh"],
                        "seeds": [1]},
        "data": {"user_datasets": {DATASET: user}},
        "embedding": {"source": "scratch"},  # no embed_vocabulary job: one DAG level less
        "train": {"epochs": 1},
        "jw": {"importance": {"methods": ["gradient"]}},
        "threads": 1,
        "device": device,
    }
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def _args(workdir: Path, *extra: str) -> list[str]:
    # Targets first: --configfile takes several values and would swallow them.
    return [*TARGETS, "--snakefile", str(REPO / "Snakefile"),
            "--directory", str(workdir), "--configfile", str(workdir / "config.yaml"), *extra]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SNAKEMAKE_PROFILE", None)  # a user's global profile must not leak in
    env.pop("SEAT_DATA_MIRROR", None)  # the config decides
    return env


def _output(proc) -> str:
    return (proc.stdout or "") + (proc.stderr or "")


def _files(workdir: Path) -> dict[str, Path]:
    root = workdir / "results"
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}


def _mtimes(workdir: Path) -> dict[str, int]:
    return {rel: p.stat().st_mtime_ns for rel, p in _files(workdir).items()}


# ------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def pipeline_runs(slurm_cluster, tmp_path_factory):
    """Cluster run 1 (device: cuda, fails), cluster run 2 (device: cpu) and, alongside them,
    the local reference run (device: cpu, --cores 2) in another directory."""
    if torch.cuda.is_available():
        pytest.skip("the injected failure (device: cuda without CUDA) needs a CPU-only torch")
    local_wd = tmp_path_factory.mktemp("pipeline_local")
    slurm_wd = tmp_path_factory.mktemp("pipeline_slurm")
    _write_config(local_wd, "cpu")

    def local_run():
        t0 = time.monotonic()
        proc = sh.run_snakemake(_args(local_wd, "--cores", "2"), local_wd, RUN_TIMEOUT_S,
                                env=_env())
        return proc, time.monotonic() - t0

    # The cluster runs spend most of their time waiting for the plugin's status polls, so the
    # local run goes alongside them.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        local_future = pool.submit(local_run)
        profile = ["--workflow-profile", str(sh.CI_PROFILE)]

        _write_config(slurm_wd, "cuda")
        t0 = time.monotonic()
        first = sh.run_snakemake(_args(slurm_wd, *profile), slurm_wd, RUN_TIMEOUT_S, env=_env())
        t_first = time.monotonic() - t0
        mtimes_after_first = _mtimes(slurm_wd)

        _write_config(slurm_wd, "cpu")
        t0 = time.monotonic()
        second = sh.run_snakemake(_args(slurm_wd, *profile), slurm_wd, RUN_TIMEOUT_S, env=_env())
        t_second = time.monotonic() - t0
        local, t_local = local_future.result()

    print(f"\ncluster run 1 (fails): {t_first:.1f}s, run 2 (fixed): {t_second:.1f}s, "
          f"cluster total {t_first + t_second:.1f}s; local --cores 2 (alongside): {t_local:.1f}s")
    assert local.returncode == 0, _output(local)[-6000:]
    return {
        "local_wd": local_wd,
        "slurm_wd": slurm_wd,
        "first": first,
        "second": second,
        "mtimes_after_first": mtimes_after_first,
    }


def _run_id(proc) -> str:
    ids = sh.run_ids(proc.stderr)
    assert len(ids) == 1, _output(proc)[-4000:]
    return ids[0]


# ------------------------------------------------------------------------------- SLURM tests


@pytest.mark.slurm
def test_failing_rule_is_reported(pipeline_runs):
    first, wd = pipeline_runs["first"], pipeline_runs["slurm_wd"]
    out = _output(first)
    assert first.returncode != 0, out[-4000:]
    assert "Error in rule models_train" in out, out[-4000:]
    assert "SLURM-job" in out and "FAILED" in out, out[-4000:]
    jobs = sh.slurm_jobs(wd, _run_id(first))
    assert {j.rule: j.state for j in jobs} == {"data_prepare": "COMPLETED",
                                               "models_train": "FAILED"}
    # The cause is in the failed job's SLURM log (the rule's own log file stays empty: the
    # script's traceback goes to stderr, which the plugin writes to that log).
    (failed,) = [j for j in jobs if j.state == "FAILED"]
    (log,) = (wd / ".snakemake" / "slurm_logs" / "rule_models_train").rglob(f"{failed.job_id}.log")
    assert BAD_DEVICE_MESSAGE in log.read_text(errors="replace")
    assert not any(rel.startswith("models/") for rel in pipeline_runs["mtimes_after_first"])


@pytest.mark.slurm
def test_rerun_submits_only_unfinished_jobs(pipeline_runs):
    second, wd = pipeline_runs["second"], pipeline_runs["slurm_wd"]
    assert second.returncode == 0, _output(second)[-6000:]
    jobs = sh.slurm_jobs(wd, _run_id(second))
    assert sorted(j.rule for j in jobs) == sorted(
        {"models_train", "models_predict", "jw_importance", "models_fig_test_summary"}
    ), [(j.rule, j.state) for j in jobs]
    assert {j.state for j in jobs} == {"COMPLETED"}
    # what run 1 finished is untouched (the failed rule's log is rewritten by its rerun)
    before = {rel: t for rel, t in pipeline_runs["mtimes_after_first"].items()
              if not rel.startswith(("logs/models_train/", "benchmarks/models_train/"))}
    assert any(rel.startswith("data/prepared/") for rel in before), before
    after = _mtimes(wd)
    assert {rel: after.get(rel) for rel in before} == before


@pytest.mark.slurm
def test_gpu_requested_only_by_gpu_rules(pipeline_runs):
    wd = pipeline_runs["slurm_wd"]
    run_ids = [_run_id(pipeline_runs["first"]), _run_id(pipeline_runs["second"])]
    rules = EXPECTED_RULES
    assert sh.submitted_jobs(wd, run_ids) == {rule: rule in GPU_RULES for rule in rules}
    jobs = sh.slurm_jobs(wd, run_ids)
    for job in jobs:
        if job.rule in GPU_RULES:
            # profiles/slurm-ci: gpu=1 + gpu_model=fake -> sbatch --gpus=fake:1, which
            # slurmctld records as TresPerJob=gres:gpu:fake:1 (Slurm 22.05)
            assert re.fullmatch(r"TresPerJob=gres[:/]gpu:fake:1", job.gpu_request), job
        else:
            assert job.gpu_request == "", job
    # the plugin's job logs (the fallback once slurmctld forgets the jobs) agree
    from_logs = {j.job_id: j.gpu for j in sh.log_jobs(wd)}
    assert {j.job_id: j.gpu for j in jobs}.items() <= from_logs.items()


@pytest.mark.slurm
def test_cluster_outputs_equal_local_run(pipeline_runs):
    """Training and prediction are deterministic on the CPU with the same seed and threads
    (1), so the cluster's Parquet tables equal the local run's exactly (no tolerance); only the
    epoch's wall-clock seconds differ. Every other output (weights, vocabulary, figures) is
    byte-identical; the rule logs carry timestamps and are only compared by name."""
    local, cluster = _files(pipeline_runs["local_wd"]), _files(pipeline_runs["slurm_wd"])
    assert sorted(cluster) == sorted(local)
    tables = [rel for rel in local if rel.endswith(".parquet")]
    assert f"jw/{DATASET}/{MODEL}/importance/gradient.parquet" in tables
    assert f"predictions/{DATASET}/{MODEL}/test.parquet" in tables
    for rel in tables:
        skip = list(VOLATILE_COLUMNS.get(Path(rel).name, ()))
        a = pq.read_table(local[rel]).to_pandas().drop(columns=skip)
        b = pq.read_table(cluster[rel]).to_pandas().drop(columns=skip)
        pd.testing.assert_frame_equal(b, a, check_exact=True, obj=rel)
    pred = f"predictions/{DATASET}/{MODEL}/test.parquet"
    prob_local = np.stack(pd.read_parquet(local[pred])["prob"].to_numpy())
    prob_cluster = np.stack(pd.read_parquet(cluster[pred])["prob"].to_numpy())
    assert prob_local.shape[1] == 2 and len(prob_local) >= 40
    assert np.array_equal(prob_cluster, prob_local)
    assert len(np.unique(prob_local[:, 1])) > 1  # a real model, not a constant output
    # logs carry timestamps and benchmarks wall-clock times: compared by name only
    others = [rel for rel in local if not rel.endswith(".parquet")
              and not rel.startswith(("logs/", "benchmarks/"))]
    assert f"models/{DATASET}/{MODEL}/model.safetensors" in others
    assert f"models/figures/{DATASET}/{MODEL}/test_summary.png" in others
    for rel in others:
        assert cluster[rel].read_bytes() == local[rel].read_bytes(), rel


# ------------------------------------------------------------------ dry run (no cluster needed)


def test_dry_run_plans_only_the_small_pipeline(tmp_path):
    """The explicit targets pull in exactly the expected jobs, and the CI profile gives only
    the GPU rules a GPU."""
    _write_config(tmp_path, "cpu")
    proc = sh.run_snakemake(_args(tmp_path, "--workflow-profile", str(sh.CI_PROFILE), "-n"),
                            tmp_path, 120, env=_env())
    out = _output(proc)
    assert proc.returncode == 0, out[-4000:]
    planned: dict[str, list[dict[str, str]]] = {}
    for m in re.finditer(r"^(?:local)?rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", out, re.M):
        res = dict(kv.split("=", 1) for kv in m.group(2).split(", ") if "=" in kv)
        planned.setdefault(m.group(1), []).append(res)
    assert set(planned) == EXPECTED_RULES, out[-4000:]
    assert all(len(v) == 1 for v in planned.values()), planned
    for rule, (res,) in planned.items():
        if rule in GPU_RULES:
            assert (res.get("gpu"), res.get("gpu_model")) == ("1", "fake"), (rule, res)
        else:
            assert not {"gpu", "gpu_model", "gres"} & set(res), (rule, res)
        assert res.get("slurm_partition") == "debug", (rule, res)
