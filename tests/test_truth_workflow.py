"""The truth track's steps end to end on a tiny dataset made in code (no Snakemake), and the
pooling over seeds (seatlib.truth.aggregate)."""

from types import SimpleNamespace as NS

import numpy as np
import pandas as pd
import pytest

from seatlib.importance import importance_options
from seatlib.schema import read_table, write_table
from seatlib.truth import steps
from seatlib.truth.aggregate import pooled_scores
from tests.test_truth import VOCAB, source_split

JW_IMPORTANCE = {"target": "predicted", "baseline": "pad", "shap_baseline": "random",
                 "max_examples": None, "n_steps": 8, "n_samples": 4,
                 "internal_batch_size": None, "batch_size": 64}
TRUTH = {"variant": "several", "n_markers": 2, "n_planted": 2, "n_distractors": 1,
         "min_count": 20, "max_count": 10_000, "balance": 0.1, "data_seed": 0}
EXPLAINERS = ["attention", "gradient", "loo", "integrated_gradients", "oracle", "random"]


def job(inputs, outputs, params=None, wildcards=None):
    return NS(input=NS(**inputs), output=NS(**outputs), params=NS(**(params or {})),
              wildcards=NS(**(wildcards or {})), threads=1, log=[])


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("truth")
    src = {}
    for i, split in enumerate(("train", "dev", "test")):
        src[split] = root / f"src_{split}.parquet"
        write_table(source_split({"train": 1200, "dev": 300, "test": 300}[split], seed=i,
                                 prefix=split), src[split], "split")
    (root / "vocab.txt").write_text("\n".join(VOCAB) + "\n")
    planted = {s: str(root / f"{s}.parquet") for s in ("train", "dev", "test")}
    steps.truth_make(job({**{k: str(v) for k, v in src.items()}, "vocab": str(root / "vocab.txt")},
                         {**planted, "markers": str(root / "markers.parquet")},
                         {"truth": TRUTH}, {"dataset": "toy"}))
    runs = []
    for seed in (1, 2):
        out = {k: str(root / f"s{seed}.{k}") for k in ("weights", "config", "epochs")}
        steps.truth_train(job({"train": planted["train"], "dev": planted["dev"],
                               "vocab": str(root / "vocab.txt"), "embeddings": []}, out,
                              {"train": {"epochs": 3, "batch_size": 32, "lr": 0.01},
                               "model": {"hidden_size": 16},
                               "embedding": {"source": "scratch", "dim": 16}, "device": "cpu"},
                              {"dataset": "toy", "encoder": "average", "attention": "tanh",
                               "seed": str(seed)}))
        scored = {"checks": str(root / f"s{seed}.checks.parquet"),
                  "examples": str(root / f"s{seed}.examples.parquet")}
        steps.truth_score(job({"weights": out["weights"], "config": out["config"],
                               "test": planted["test"]}, scored,
                              {"explainers": EXPLAINERS, "max_examples": 120,
                               "importance": {m: importance_options(m, JW_IMPORTANCE)
                                              for m in EXPLAINERS[1:4]},
                               "fractions": [0.2, 0.5], "min_accuracy": 0.9,
                               "max_removed_gap": 0.15, "variant": "several",
                               "device": "cpu"},
                              {"dataset": "toy", "seed": str(seed)}))
        runs.append(scored)
    tables = {k: str(root / f"table.{k}") for k in ("parquet", "markdown", "checks",
                                                     "checks_markdown")}
    steps.truth_table_scores(job({"checks": [r["checks"] for r in runs],
                                  "examples": [r["examples"] for r in runs]}, tables,
                                 {"n_bootstrap": 200, "bootstrap_seed": 0}))
    fig = {"pdf": str(root / "fig.pdf"), "png": str(root / "fig.png")}
    steps.truth_fig_scores(job({"scores": tables["parquet"]}, fig))
    return root, planted, tables, fig


def test_models_learn_the_markers_and_the_check_passes(study):
    _, _, tables, _ = study
    checks = read_table(tables["checks"], "truth_checks")
    assert len(checks) == 2 and checks["passed"].all()
    assert (checks["accuracy"] > 0.9).all()
    assert (checks["accuracy_removed"] < checks["chance"] + 0.15).all()


def test_scores_table_oracle_first_random_at_chance(study):
    root, planted, tables, fig = study
    scores = read_table(tables["parquet"], "truth_scores").set_index("explainer")
    assert scores.loc["oracle", "precision_at_k"] == 1.0
    assert scores.loc["oracle", "rank_truth"] == 1
    ex = pd.concat([read_table(root / f"s{s}.examples.parquet", "truth_example_scores")
                    for s in (1, 2)])
    rnd = ex[ex["explainer"] == "random"]
    chance = (rnd["n_planted"] / rnd["n_tokens"]).mean()  # E[precision@k] = k / n
    assert scores.loc["random", "precision_at_k_lo"] <= chance + 0.02
    assert scores.loc["random", "precision_at_k_hi"] >= chance - 0.02
    assert (scores["precision_at_k_lo"] <= scores["precision_at_k"]).all()
    assert (scores["precision_at_k"] <= scores["precision_at_k_hi"]).all()
    assert (scores["n_seeds"] == 2).all() and (scores["n_examples"] == 120).all()
    assert "oracle" in open(tables["markdown"]).read()
    assert (root / "fig.png").stat().st_size > 10_000


def frames(values, passed=(True, True)):
    """Per-example rows of one explainer 'e' with precision_at_k = values[seed][example]."""
    rows, checks = [], []
    for s, vals in enumerate(values):
        for i, v in enumerate(vals):
            rows.append({"dataset": "d", "model": "m", "seed": s, "variant": "one",
                         "example_id": f"x{i}", "explainer": "e", "n_tokens": 5,
                         "n_planted": 1, "precision_at_k": v, "recall_at_k": v, "auprc": v,
                         "first_rank": 1.0, "comprehensiveness": [0.0],
                         "sufficiency": [0.0], "comprehensiveness_aopc": 0.0,
                         "sufficiency_aopc": 0.0})
        checks.append({"dataset": "d", "model": "m", "seed": s, "variant": "one",
                       "n_examples": len(vals), "accuracy": 1.0, "accuracy_removed": 0.5,
                       "chance": 0.5, "passed": passed[s]})
    return pd.DataFrame(rows), pd.DataFrame(checks)


def test_bootstrap_resamples_seeds_and_examples():
    # seed 0 all 0, seed 1 all 1: point 0.5; both seeds drawn as seed 0 has P 1/4 -> lo 0, hi 1
    ex, ch = frames([[0.0] * 4, [1.0] * 4])
    got = pooled_scores(ex, ch, 2000, 0).iloc[0]
    assert got["precision_at_k"] == 0.5
    assert got["precision_at_k_lo"] == 0.0 and got["precision_at_k_hi"] == 1.0
    # constant values: a zero-width interval
    ex, ch = frames([[0.3] * 4, [0.3] * 4])
    got = pooled_scores(ex, ch, 500, 0).iloc[0]
    assert got["precision_at_k_lo"] == pytest.approx(0.3)
    assert got["precision_at_k_hi"] == pytest.approx(0.3)
    # example level: seeds identical, examples 0/1 -> the mean of 40 Bernoulli(1/2) resamples
    ex, ch = frames([[0.0, 1.0] * 20, [0.0, 1.0] * 20])
    a, b = pooled_scores(ex, ch, 3000, 7).iloc[0], pooled_scores(ex, ch, 3000, 7).iloc[0]
    assert a.equals(b)  # seeded
    se = np.sqrt(0.25 / 40)
    assert a["precision_at_k_lo"] == pytest.approx(0.5 - 1.96 * se, abs=0.03)
    assert a["precision_at_k_hi"] == pytest.approx(0.5 + 1.96 * se, abs=0.03)


def test_a_failed_check_is_not_scored():
    ex, ch = frames([[0.0] * 4, [1.0] * 4], passed=(False, True))
    got = pooled_scores(ex, ch, 100, 0).iloc[0]
    assert got["n_seeds"] == 1 and got["precision_at_k"] == 1.0
    ex, ch = frames([[0.0] * 4], passed=(False,))
    assert pooled_scores(ex, ch, 100, 0).empty
