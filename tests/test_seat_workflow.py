"""The SEAT rules end to end on a few hundred SST sentences (or test_workflow's CSV)."""

import numpy as np
import pytest
import yaml

from seatlib.schema import read_table
from tests.conftest import REPO
from tests.test_workflow import small_config, snakemake

pytestmark = pytest.mark.workflow

METHODS = ["vanilla", "seat"]  # the baselines run through the same rules (unit-tested)


def seat_config(workdir):
    cfg = small_config(workdir)
    cfg["seat"] = {
        "datasets": cfg["experiments"]["datasets"],
        "encoders": ["bilstm"],
        "methods": METHODS,
        "seeds": [1, 2],
        "train": {"epochs": 1, "baseline_epochs": 1, "embedding_pgd": {"steps": 1}},
        "eval": {"radius": 0.01, "radii": [0.05, 0.0125], "steps": 3, "max_examples": 30},
    }
    # the default target also holds the other studies; this test asks for seat_all only
    return cfg


def planned_jobs(workdir, cfgfile):
    """Rules a dry run of seat_all would run (the target goes before --configfile, which
    takes several values)."""
    out = snakemake("seat_all", "-n", "--cores", "1", "--snakefile", str(REPO / "Snakefile"),
                    "--directory", str(workdir), "--configfile", str(cfgfile)).stdout
    return {line.split()[1].rstrip(":") for line in out.splitlines()
            if line.startswith("rule ") and line.rstrip().endswith(":")}, out


def test_seat_rules_end_to_end(tmp_path):
    cfg = seat_config(tmp_path)
    name = cfg["seat"]["datasets"][0]
    cfgfile = tmp_path / "config.yaml"
    cfgfile.write_text(yaml.safe_dump(cfg))
    run = ["--cores", "2", "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path),
           "--configfile", str(cfgfile)]
    snakemake("seat_all", *run)

    res = tmp_path / "results"
    n_test = len(read_table(res / "data" / "prepared" / name / "test.parquet", "split"))
    for method in METHODS:
        for seed in (1, 2):
            ev = res / "seat" / "eval" / name / "bilstm" / method / f"seed{seed}"
            s = read_table(ev / "summary.parquet", "seat_summary").iloc[0]
            assert s["n_test"] == n_test and s["n_attacked"] == 30
            assert 0 <= s["macro_f1"] <= 1 and 0 <= s["topk_overlap"] <= 1
            assert s["jsd"] >= 0 and s["tvd"] >= 0 and s["sens"] >= 0
            pert = read_table(ev / "perturbation.parquet", "seat_perturbation")
            assert sorted(pert["radius"].unique()) == [0.01, 0.0125, 0.05]
            if method == "vanilla" and seed == 1:  # the reference every model is compared to
                assert s["topk_overlap"] == pytest.approx(1.0)
    # the vanilla model is the foundation's, not retrained
    assert not (res / "seat" / "models" / name / "bilstm" / "vanilla").exists()
    assert (res / "models" / name / "bilstm-tanh" / "seed1" / "model.safetensors").exists()
    epochs = read_table(res / "seat" / "models" / name / "bilstm" / "seat" / "seed2" /
                        "epochs.parquet", "seat_epochs")
    assert list(epochs["epoch"]) == [0]

    results = read_table(res / "seat" / "tables" / "results.parquet", "seat_results")
    assert set(results["method"]) == set(METHODS)
    assert (results["n_seeds"] == 2).all()
    md = (res / "seat" / "tables" / "results.md").read_text()
    assert "| dataset | encoder | method |" in md and "sens" in md
    seeds = read_table(res / "seat" / "tables" / "seed_stability.parquet",
                       "seat_seed_stability")
    assert set(seeds["method"]) == set(METHODS)
    assert (seeds[["seed_a", "seed_b"]].to_numpy() == [1, 2]).all()
    assert np.all(seeds["attention_jsd"] >= 0)
    subst = read_table(res / "seat" / "substitutions" / name / "test.parquet",
                       "seat_substitutions")
    assert (subst["n_changed"] <= 2).all() and (subst["n_changed"] == 2).mean() > 0.5
    for fig in ("heatmap", "violin", "topk_epochs", "radius"):
        folder = res / "seat" / "figures" / name / "bilstm"
        assert (folder / f"{fig}.png").stat().st_size > 10_000, fig
        assert (folder / f"{fig}.pdf").read_bytes().startswith(b"%PDF")
    log = res / "logs" / "seat_train" / name / "bilstm" / "seat" / "seed1.log"
    assert "epoch 1/1" in log.read_text()
    bench = res / "benchmarks" / "seat_train" / name / "bilstm" / "seat" / "seed1.tsv"
    assert bench.read_text().startswith("s\t")  # Snakemake's benchmark: seconds, memory, ...
    assert (res / "benchmarks" / "seat_table_results" / "seat_table_results.tsv").exists()

    # nothing left to do; an evaluation knob re-runs the evaluation, not the training
    planned, out = planned_jobs(tmp_path, cfgfile)
    assert planned == set(), out
    cfg["seat"]["eval"]["radius"] = 0.0125
    cfgfile.write_text(yaml.safe_dump(cfg))
    planned, out = planned_jobs(tmp_path, cfgfile)
    assert "seat_train" not in planned and "models_train" not in planned, out
    assert {"seat_evaluate", "seat_table_results", "seat_fig_violin"} <= planned, out
