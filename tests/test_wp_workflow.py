"""The Wiegreffe & Pinter rules end to end on a few hundred SST sentences from the mirror."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest
import yaml

from seatlib.schema import read_table
from tests.conftest import REPO

pytestmark = pytest.mark.workflow

TARGETS = ["wp_all"]


def run_snakemake(workdir, cfgfile, *args, check=True):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("SEAT_DATA_MIRROR", None)
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
           "--directory", str(workdir), "--configfile", str(cfgfile), *args]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{proc.stdout[-4000:]}\n"
                             f"{proc.stderr[-4000:]}")
    return proc


def planned_rules(workdir, cfgfile):
    out = run_snakemake(workdir, cfgfile, "-n", "--cores", "1", *TARGETS).stdout
    rules = {line.split()[1].rstrip(":") for line in out.splitlines()
             if line.startswith("rule ") and line.rstrip().endswith(":")}
    return rules - {"wp_all"}  # a rule without outputs is always planned


def tiny_config(mirror) -> dict:
    return {
        "experiments": {"datasets": ["sst"], "encoders": ["bilstm"], "attentions": ["tanh"],
                        "seeds": [1]},
        "data": {"mirror": str(mirror), "max_train_examples": 200, "max_eval_examples": 60},
        "model": {"hidden_size": 16},
        "train": {"epochs": 1},
        "threads": 1,
        "device": "cpu",
        "wp": {"enabled": True, "paper": False, "datasets": ["sst"],
               "base": {"encoder": "bilstm", "attention": "tanh", "seed": 1},
               "uniform_encoders": ["bilstm", "average"], "seeds": [2],
               "adversary": {"lambdas": [0.001, 10.0], "epochs": 2, "patience": None,
                             "selection": "dev_objective", "seed": None,
                             "class_weight_quirk": False},
               "guided": {"guides": ["uniform", "own", "base", "adversary"],
                          "adversary_lambda": 0.001}},
    }


def test_wp_rules_end_to_end(tmp_path, mirror):
    cfg = tiny_config(mirror)
    cfgfile = tmp_path / "config.yaml"
    cfgfile.write_text(yaml.safe_dump(cfg))
    run_snakemake(tmp_path, cfgfile, "--cores", "2", *TARGETS)
    wp = tmp_path / "results" / "wp" / "sst"
    tables = tmp_path / "results" / "wp" / "tables" / "sst"
    assert sorted(p.name for p in tables.iterdir()) == sorted(
        f"{t}.{ext}" for t in ("uniform", "seed_variance", "adversary", "guided", "tradeoff")
        for ext in ("md", "parquet"))
    n_test = len(read_table(tmp_path / "results/data/prepared/sst/test.parquet", "split"))

    uniform = read_table(tables / "uniform.parquet", "wp_uniform")
    assert uniform["encoder"].tolist() == ["bilstm", "average"]
    assert ((uniform["uniform_f1"] >= 0) & (uniform["uniform_f1"] <= 1)).all()

    per = read_table(wp / "seed_variance_instances.parquet", "wp_seed_variance")
    assert len(per) == n_test and (per["n_seeds"] == 1).all()
    assert per["median_jsd"].between(0, math.log(2)).all() and per["median_jsd"].max() > 0
    summary = read_table(tables / "seed_variance.parquet", "wp_seed_variance_summary")
    pooled = summary[(summary["pred_class"] == "all") & (summary["max_attention_bin"] == "all")]
    assert pooled["n"].item() == n_test
    assert pooled["mean_jsd"].item() == pytest.approx(per["median_jsd"].mean())

    adv = read_table(tables / "adversary.parquet", "wp_adversary")
    assert adv["lam"].tolist() == [0.001, 10.0] and (adv["n"] == n_test).all()
    assert adv["mean_jsd"].between(0, math.log(2)).all()
    assert adv["mean_jsd"].iloc[1] > adv["mean_jsd"].iloc[0]  # more lambda, more divergence
    epochs = read_table(wp / "adversary" / "lambda10" / "epochs.parquet", "wp_adversary_epochs")
    assert len(epochs) == 2 and epochs["selected"].sum() == 1

    guided = read_table(tables / "guided.parquet", "wp_guided")
    assert guided["guide"].tolist() == ["uniform", "own", "base", "adversary"]
    assert guided["model"].tolist() == ["average-uniform", "average-tanh", "average-guide-base",
                                        "average-guide-adversary-lambda0.001"]
    # the guided model's test attention is the base model's test attention
    base_pred = read_table(tmp_path / "results/predictions/sst/bilstm-tanh/seed1/test.parquet",
                           "predictions")
    g_pred = read_table(wp / "guided" / "base" / "test.parquet", "predictions")
    for a, b in zip(g_pred["attention"], base_pred["attention"], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)

    trade = read_table(tables / "tradeoff.parquet", "wp_tradeoff")
    assert trade["kind"].tolist() == ["seed", "uniform", "adversary", "adversary"]
    assert trade["label"].tolist() == ["seed 2", "uniform", "lambda 0.001", "lambda 10"]

    figs = tmp_path / "results" / "wp" / "figures" / "sst"
    for name in ("seed_variance", "seed_variance_jw", "tradeoff"):
        assert (figs / f"{name}.png").stat().st_size > 10_000
        assert (figs / f"{name}.pdf").read_bytes().startswith(b"%PDF")

    for rule, job in (("wp_adversary", "sst/lambda10"), ("wp_tradeoff", "sst")):
        assert (tmp_path / "results" / "logs" / rule / f"{job}.log").read_text().strip()
        assert (tmp_path / "results" / "benchmarks" / rule / f"{job}.tsv").stat().st_size > 0

    # up to date; a new lambda trains only that adversary and redoes what reads the sweep
    assert planned_rules(tmp_path, cfgfile) == set()
    cfg["wp"]["adversary"]["lambdas"] = [0.001, 10.0, 0.1]
    cfgfile.write_text(yaml.safe_dump(cfg))
    planned = planned_rules(tmp_path, cfgfile)
    assert planned == {"wp_adversary", "wp_table_adversary", "wp_tradeoff", "wp_fig_tradeoff"}
    out = run_snakemake(tmp_path, cfgfile, "-n", "--cores", "1", *TARGETS).stdout
    assert "lambda0.1/" in out and "lambda10/model" not in out


def test_wp_config_errors_are_one_line(tmp_path):
    cfgfile = tmp_path / "bad.yaml"
    cfgfile.write_text(yaml.safe_dump({"wp": {"seeds": [1, 2]}}))
    proc = run_snakemake(tmp_path, cfgfile, "-n", "--cores", "1", check=False)
    assert proc.returncode != 0
    assert ("config.yaml: key wp.seeds contains the base seed 1 (wp.base.seed); expected only "
            "the extra seeds") in proc.stdout + proc.stderr
    cfgfile.write_text(yaml.safe_dump({"wp": {"adversary": {"selection": "test"}}}))
    proc = run_snakemake(tmp_path, cfgfile, "-n", "--cores", "1", check=False)
    assert "config.yaml: key wp.adversary.selection: 'test' is not one of" in (proc.stdout
                                                                            + proc.stderr)
