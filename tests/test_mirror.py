"""Where the data came from must not invalidate what was built from it (issue 16).

A run with the mirror (``make run MIRROR=...`` exports SEAT_DATA_MIRROR) followed by a plain
``snakemake -n`` without it must plan nothing: the files' SHA-256 pins their content, so the
mirror is no rule param of ``data_download``. Before the fix the plain call re-planned the
download ("params have changed") and, offline, failed and deleted ``results/data/raw``.
"""

import os
import subprocess
import sys
import types

import pytest
import yaml

from seatlib.data.steps import job_mirror
from tests.conftest import MIRROR, REPO

pytestmark = pytest.mark.workflow


def snakemake(workdir, *args, mirror=None):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("SEAT_DATA_MIRROR", None)
    if mirror is not None:
        env["SEAT_DATA_MIRROR"] = str(mirror)
    proc = subprocess.run([sys.executable, "-m", "snakemake", *args, "--cores", "1",
                           "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
                           "--configfile", str(workdir / "config.yaml")],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"snakemake {' '.join(args)}:\n{proc.stdout[-3000:]}\n" \
        f"{proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


def planned_rules(out: str) -> set[str]:
    return {line.split()[1].rstrip(":") for line in out.splitlines()
            if line.startswith("rule ") and line.rstrip().endswith(":")}


def test_mirror_run_then_plain_dry_run_plans_nothing(tmp_path):
    if not MIRROR.is_dir():
        pytest.skip(f"no data mirror at {MIRROR}")
    cfg = {"experiments": {"datasets": ["sst"], "encoders": ["bilstm"], "attentions": ["tanh"],
                           "seeds": [1]},
           "data": {"max_train_examples": 60, "max_eval_examples": 20}, "threads": 1,
           "device": "cpu"}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    target = "results/data/prepared/sst/stats.parquet"
    snakemake(tmp_path, target, mirror=MIRROR)
    raw = tmp_path / "results" / "data" / "raw" / "sst"
    files = sorted(p.relative_to(raw) for p in raw.rglob("*") if p.is_file())
    assert files, "the mirror run copied nothing"

    # no mirror in the environment (offline: a re-planned download would fail)
    out = snakemake(tmp_path, target, "-n")
    assert planned_rules(out) == set(), out
    assert "Nothing to be done" in out, out
    # a different mirror path plans nothing either
    out = snakemake(tmp_path, target, "-n", mirror=tmp_path)
    assert planned_rules(out) == set(), out
    assert sorted(p.relative_to(raw) for p in raw.rglob("*") if p.is_file()) == files


def test_the_download_job_reads_the_mirror_from_its_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    job = types.SimpleNamespace(config={"data": {"mirror": "m"}})
    assert job_mirror(job) == str(tmp_path / "m")
    assert job_mirror(types.SimpleNamespace(config={"data": {"mirror": None}})) is None
    assert job_mirror(types.SimpleNamespace()) is None  # SEAT_DATA_MIRROR read by fetch_dataset
