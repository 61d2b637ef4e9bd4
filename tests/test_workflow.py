"""The Snakemake workflow: lint, dry run, and a tiny real run end to end."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from seatlib.schema import read_table
from tests.conftest import MIRROR, REPO

SNAKEMAKE = [sys.executable, "-m", "snakemake"]

pytestmark = pytest.mark.workflow


def snakemake(*args, cwd=REPO, timeout=900, check=True):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("SEAT_DATA_MIRROR", None)
    proc = subprocess.run([*SNAKEMAKE, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n"
                             f"{proc.stderr[-4000:]}")
    return proc


def test_lint_is_clean():
    proc = snakemake("--lint", "--cores", "1")
    assert "Congratulations" in proc.stdout + proc.stderr


def test_dry_run_of_default_config_plans_the_whole_chain():
    out = snakemake("-n", "--cores", "1", "--quiet", "rules").stdout
    for rule in ("data_download", "data_prepare", "data_embed", "models_train", "models_predict",
                 "models_fig_test_summary", "models_table_metrics", "data_table_stats"):
        assert rule in out, rule


def test_bad_config_value_is_a_one_line_error(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("train: {epochs: 0}\n")
    proc = snakemake("-n", "--cores", "1", "--configfile", str(cfg), check=False)
    assert proc.returncode != 0
    msg = "config.yaml: key train.epochs: 0 is less than the minimum of 1"
    assert msg in proc.stdout + proc.stderr


def small_config(workdir: Path) -> dict:
    """A few hundred SST sentences from the mirror, or a user CSV written here."""
    cfg = {
        "experiments": {"datasets": ["sst"], "encoders": ["bilstm"], "attentions": ["tanh"],
                        "seeds": [1]},
        "data": {"max_train_examples": 300, "max_eval_examples": 80},
        "train": {"epochs": 2},
        "threads": 1,
        "device": "cpu",
    }
    if MIRROR.is_dir():
        cfg["data"]["mirror"] = str(MIRROR)
    else:
        rows = ["text,sentiment"]
        words = {"1": "good great fine", "0": "bad awful poor"}
        for i in range(400):
            lab = str(i % 2)
            rows.append(f"this film is {words[lab].split()[i % 3]} number {i},{lab}")
        (workdir / "sample.csv").write_text("\n".join(rows) + "\n")
        cfg["experiments"]["datasets"] = ["sample"]
        cfg["data"]["user_datasets"] = {"sample": {"path": str(workdir / "sample.csv"),
                                                   "text_column": "text",
                                                   "label_column": "sentiment"}}
    return cfg


def foundation_targets(name: str) -> list[str]:
    """The foundation's outputs (the JW, WP and SEAT studies have their own tests)."""
    return ["results/data/tables/dataset_stats.md", "results/models/tables/test_metrics.md",
            f"results/models/figures/{name}/bilstm-tanh/seed1/test_summary.png"]


def jobs_planned(workdir, cfgfile, targets):
    out = snakemake(*targets, "-n", "--cores", "1", "--snakefile", str(REPO / "Snakefile"),
                    "--directory", str(workdir), "--configfile", str(cfgfile)).stdout
    planned = set()
    for line in out.splitlines():
        if line.startswith("rule ") and line.rstrip().endswith(":"):
            planned.add(line.split()[1].rstrip(":"))
    return planned, out


def test_tiny_end_to_end_run(tmp_path):
    cfg = small_config(tmp_path)
    name = cfg["experiments"]["datasets"][0]
    cfgfile = tmp_path / "config.yaml"
    cfgfile.write_text(yaml.safe_dump(cfg))
    targets = foundation_targets(name)
    # data_all + models_all plan the same jobs as the foundation's targets
    planned, out = jobs_planned(tmp_path, cfgfile, targets)
    assert {"data_prepare", "models_train", "models_table_metrics"} <= planned, out
    assert jobs_planned(tmp_path, cfgfile, ["data_all", "models_all"])[0] == \
        planned | {"data_all", "models_all"}
    run = [*targets, "--cores", "2", "--snakefile", str(REPO / "Snakefile"), "--directory",
           str(tmp_path), "--configfile", str(cfgfile)]
    snakemake(*run)

    res = tmp_path / "results"
    for split in ("train", "dev", "test"):
        df = read_table(res / "data" / "prepared" / name / f"{split}.parquet", "split")
        assert len(df) > 0
    stats = read_table(res / "data" / "prepared" / name / "stats.parquet", "dataset_stats")
    assert set(stats["split"]) == {"train", "dev", "test", "all"}
    model_dir = res / "models" / name / "bilstm-tanh" / "seed1"
    epochs = read_table(model_dir / "epochs.parquet", "epoch_metrics")
    assert list(epochs["epoch"]) == [0, 1] and epochs["selected"].sum() == 1
    pred_dir = res / "predictions" / name / "bilstm-tanh" / "seed1"
    pred = read_table(pred_dir / "test.parquet", "predictions")
    n_test = len(read_table(res / "data" / "prepared" / name / "test.parquet", "split"))
    assert len(pred) == n_test
    for tokens, att in zip(pred["tokens"], pred["attention"], strict=True):
        assert len(tokens) == len(att) and att[0] == 0 and att[-1] == 0
        assert abs(float(sum(att)) - 1) < 1e-4
    metrics = read_table(pred_dir / "test_metrics.parquet", "test_metrics")
    assert 0 <= metrics["accuracy"].item() <= 1
    fig = res / "models" / "figures" / name / "bilstm-tanh" / "seed1"
    assert (fig / "test_summary.png").stat().st_size > 10_000
    assert (fig / "test_summary.pdf").read_bytes().startswith(b"%PDF")
    assert "| dataset |" in (res / "models" / "tables" / "test_metrics.md").read_text()
    assert (res / "logs" / "models_train" / name / "bilstm-tanh" / "seed1.log").read_text() \
        .count("epoch ") >= 2
    bench = (res / "benchmarks" / "models_train" / name / "bilstm-tanh" / "seed1.tsv")
    assert bench.read_text().startswith("s\th:m:s\tmax_rss")

    # nothing left to do; a training knob re-runs only what depends on it
    planned, out = jobs_planned(tmp_path, cfgfile, targets)
    assert planned == set(), out
    cfg["train"]["lr"] = 0.002
    cfgfile.write_text(yaml.safe_dump(cfg))
    planned, out = jobs_planned(tmp_path, cfgfile, targets)
    assert planned == {"models_train", "models_predict", "models_fig_test_summary",
                       "models_table_metrics"}, out

    # same config + seed = same bytes (weights and predictions), on CPU
    weights = (model_dir / "model.safetensors").read_bytes()
    preds = (pred_dir / "test.parquet").read_bytes()
    cfg["train"]["lr"] = 0.001
    cfgfile.write_text(yaml.safe_dump(cfg))
    snakemake(*run, "--forcerun", "models_train")
    assert (model_dir / "model.safetensors").read_bytes() == weights
    assert (pred_dir / "test.parquet").read_bytes() == preds


def test_tiny_jain_wallace_study(tmp_path_factory):
    """JW's study through the workflow on a tiny config: Table 2, permutation, adversary and
    every per-model figure from Parquet (the run is shared with tests/test_jw_workflow.py)."""
    from tests.test_jw_workflow import jw_targets, tiny_jw_study

    workdir, cfg = tiny_jw_study(tmp_path_factory)
    name = cfg["experiments"]["datasets"][0]
    res = workdir / "results"
    summary = read_table(res / "jw" / "tables" / "table2.parquet", "agreement_summary")
    pairs = set(zip(summary["method_a"], summary["method_b"], strict=True))
    assert ("attention", "gradient") in pairs and ("gradient", "loo") in pairs
    assert set(summary["model"]) == {"bilstm-tanh", "average-tanh"}
    # the values of Table 2 are checked on models built to have tau 1 and -1:
    # tests/test_agreement.py::test_table2_of_a_model_built_to_agree_or_disagree
    n_test = len(read_table(res / "data" / "prepared" / name / "test.parquet", "split"))
    jw = res / "jw" / name / "bilstm-tanh" / "seed1"
    imp = read_table(jw / "importance" / "loo.parquet", "importance")
    assert imp["example_id"].nunique() == n_test
    ig = read_table(jw / "importance" / "integrated_gradients.parquet", "importance")
    assert set(ig["n_steps"]) == {8} and set(ig["baseline"]) == {"pad"}
    assert set(imp["n_steps"]) == {0} and set(imp["baseline"]) == {"none"}
    perm = read_table(jw / "permutation.parquet", "permutation")
    adv = read_table(jw / "adversary.parquet", "adversary")
    assert len(perm) == len(adv) == n_test
    assert (perm["median_tvd"] >= 0).all()
    assert adv["emax_jsd"].between(0, np.log(2) + 1e-6).all()
    assert (adv["emax_tvd"] <= 0.05 + 1e-6).all()
    for target in jw_targets(name):
        if target.endswith(".png"):  # a drawn figure, not an empty canvas
            assert (workdir / target).stat().st_size > 1000, target
    for rule in ("jw_importance", "jw_permute", "jw_fig_tau_bars"):
        assert list((res / "benchmarks" / rule).rglob("*.tsv")), rule
    log = res / "logs" / "jw_importance" / name / "bilstm-tanh" / "seed1" / "loo.log"
    assert "jw_importance done" in log.read_text()
