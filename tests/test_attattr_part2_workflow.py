"""Part two of the attattr track end to end on the tiny random BERT of test_attattr_workflow
(trees, triggers, attention vs attribution), its plan from a clean state, and the DeepLIFT
refusal through the rule."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from seatlib.schema import read_table  # noqa: E402
from tests.conftest import REPO  # noqa: E402
from tests.test_attattr_workflow import attattr_config, write_sst2  # noqa: E402
from tests.test_workflow import snakemake  # noqa: E402

pytestmark = pytest.mark.workflow

TARGETS = ["results/attattr/tables/triggers.md", "results/attattr/tables/bias.md",
           "results/attattr/figures/sst2/seed1/tree.png",
           "results/attattr/figures/sst2/seed1/bias_tau_heads.png"]
NEW_RULES = ("attattr_tree", "attattr_fig_tree", "attattr_triggers", "attattr_table_triggers",
             "attattr_bias", "attattr_table_bias", "attattr_fig_bias")


def setup(tmp_path, **extra):
    cfg = attattr_config(tmp_path)
    cfg["attattr"].update({"triggers": {"train_examples": 6, "steps": 3, "per_label": 2,
                                        "random_controls": 2},
                           "bias": {"n_examples": 6, "steps": 4, "batch_size": 4,
                                    "figure_examples": 2}})
    for k, v in extra.items():
        cfg["attattr"][k].update(v)
    cfgfile = tmp_path / "config.yaml"
    cfgfile.write_text(yaml.safe_dump(cfg))
    write_sst2(tmp_path / "results" / "data" / "raw" / "sst2")
    return ["--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path),
            "--configfile", str(cfgfile)]


def test_the_default_target_plans_the_new_rules(tmp_path):
    out = snakemake("attattr_all", "-n", "--cores", "1", *setup(tmp_path)).stdout
    for rule in NEW_RULES:
        assert f"rule {rule}:" in out, rule


def test_part_two_end_to_end(tmp_path):
    snakemake(*TARGETS, "--cores", "2", *setup(tmp_path))
    run = tmp_path / "results" / "attattr" / "sst2" / "seed1"
    mats = read_table(run / "attribution_matrices.parquet", "attattr_matrices")
    edges = read_table(run / "tree_edges.parquet", "attattr_tree_edges")
    assert set(edges["example_id"]) == set(mats["example_id"])  # one tree per saved example
    root = edges.groupby("example_id").head(1)
    assert (root["layer"] == 1).all() and (root["query"] == 0).all()  # 2 layers: root at 1
    assert (root["query_height"] == 1.0).all()
    stab = read_table(run / "tree_stability.parquet", "attattr_tree_stability")
    ref = stab[stab["threshold"] == 0.4]
    assert (ref["jaccard"] == 1.0).all()
    assert (ref.set_index("example_id")["n_edges"]
            == edges.groupby("example_id").size()).all()

    trig = read_table(run / "triggers.parquet", "attattr_triggers")
    att = trig[trig["kind"] == "attattr"]
    assert len(att) >= 1 and (att["pattern_label"] != att["gold_label"]).all()
    assert (trig.groupby("pattern")["kind"].apply(lambda k: (k == "random").sum()) == 2).all()
    lengths = trig.groupby(["pattern", "kind"])["token_ids"].apply(lambda s: len(s.iloc[0]))
    assert (lengths.xs("random", level="kind") == lengths.xs("attattr", level="kind")).all()
    dev = read_table(tmp_path / "results/attattr/sst2/data/dev.parquet", "split")
    assert (att["n_examples"] == att["gold_label"].map(dev["label"].value_counts())).all()
    summary = read_table(tmp_path / "results/attattr/tables/triggers.parquet",
                         "attattr_triggers_summary")
    for r in summary.itertuples():
        sel = att[att["gold_label"] == r.gold_label]
        assert r.accuracy_attattr == pytest.approx(sel["accuracy_after"].mean())
        assert r.drop_attattr == pytest.approx(r.accuracy_before - r.accuracy_attattr)

    tau = read_table(run / "bias_tau.parquet", "attattr_bias_tau")
    assert set(tau["summary"]) <= {"cls_head", "mean_heads", "last", "rollout", "received"}
    assert set(tau["method"]) == {"lig", "saliency", "gradshap", "conductance"}
    assert tau["example_id"].nunique() <= 6 and tau["tau"].between(-1, 1).all()
    bias = read_table(tmp_path / "results/attattr/tables/bias.parquet", "attattr_bias_summary")
    row = bias[(bias["summary"] == "rollout") & (bias["method"] == "lig")].iloc[0]
    sel = tau[(tau["summary"] == "rollout") & (tau["method"] == "lig")]
    assert row["mean_tau"] == pytest.approx(sel["tau"].mean()) and row["n"] == len(sel)
    hv = read_table(run / "heads_vs_attention.parquet", "attattr_heads_vs_attention")
    heads = read_table(run / "head_attribution.parquet", "attattr_head_attribution")
    assert len(hv) == heads["example_id"].nunique() and (hv["n_heads"] == 8).all()
    tokens = read_table(run / "bias_tokens.parquet", "attattr_bias_tokens")
    assert tokens["example_id"].nunique() == 2
    assert (tokens["values"].map(len) == tokens["tokens"].map(len)).all()
    rollout = tokens[tokens["signal"] == "rollout"]
    assert np.all([np.all(v > 0) for v in rollout["values"]])
    for fig in ("tree", "bias_tau_heads", "bias_tau_layers", "bias_tokens"):
        assert (tmp_path / f"results/attattr/figures/sst2/seed1/{fig}.pdf").is_file()


def test_deeplift_in_the_config_stops_the_rule_with_its_reason(tmp_path):
    args = setup(tmp_path, bias={"methods": ["lig", "deeplift"]})
    out = snakemake("results/attattr/sst2/seed1/bias_tau.parquet", "--cores", "1", *args,
                    check=False)
    assert out.returncode != 0
    log = (tmp_path / "results/logs/attattr_bias/sst2/seed1.log").read_text()
    assert "attattr.bias.methods: deeplift is refused on this transformer" in log
    assert not (tmp_path / "results/attattr/sst2/seed1/bias_tau.parquet").exists()
