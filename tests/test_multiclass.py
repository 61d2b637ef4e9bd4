"""More than two classes: the selection metric (macro one-vs-rest ROC-AUC) against a second
implementation, and a tiny three-class user CSV through training, importance, Kendall tau by
predicted class, permutation and adversary TVD, and SEAT."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import yaml

from seatlib.metrics import classification_scores, roc_auc_ovr
from seatlib.schema import read_table
from tests.conftest import REPO


def pairwise_auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(score of a positive > score of a negative) + half the ties, by counting pairs."""
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


def ovr_by_pairs(labels: np.ndarray, probs: np.ndarray) -> float:
    aucs = [pairwise_auc(probs[labels == c, c], probs[labels != c, c])
            for c in range(probs.shape[1]) if 0 < (labels == c).sum() < len(labels)]
    return float(np.mean(aucs))


def test_macro_ovr_roc_auc_matches_counting_pairs():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, size=40)
    probs = rng.dirichlet(np.ones(4), size=40).round(2)  # rounding makes ties
    assert roc_auc_ovr(labels, probs) == pytest.approx(ovr_by_pairs(labels, probs), abs=1e-12)
    scores = classification_scores(labels, probs)
    assert scores["roc_auc"] == pytest.approx(ovr_by_pairs(labels, probs), abs=1e-12)
    # a class absent from y_true is left out of the mean (its AUC is undefined)
    three = labels % 3
    assert roc_auc_ovr(three, probs) == pytest.approx(ovr_by_pairs(three, probs), abs=1e-12)


def test_hand_made_three_class_auc():
    labels = np.array([0, 1, 2, 0])
    probs = np.array([[.7, .2, .1], [.3, .3, .4], [.1, .1, .8], [.2, .5, .3]])
    # class 0: positives .7 .2 vs negatives .3 .1 -> (1 + 1 + 0 + 1) / 4 = .75
    # class 1: positive .3 vs .2 .1 .5 -> 2/3; class 2: positive .8 vs .1 .4 .3 -> 1
    assert roc_auc_ovr(labels, probs) == pytest.approx((0.75 + 2 / 3 + 1) / 3)
    # two classes: unchanged, the binary AUC of class 1
    assert roc_auc_ovr(np.array([0, 1, 1]), np.array([[.6, .4], [.3, .7], [.8, .2]])) == 0.5


DATASET = "tri3"
MODEL = f"{DATASET}/bilstm-tanh/seed1"


def three_class_csv(path: Path) -> None:
    rng = np.random.default_rng(0)
    cue = {"neg": ["bad", "awful", "poor"], "neu": ["okay", "plain", "average"],
           "pos": ["good", "great", "superb"]}
    filler = "the film was really quite a movie and story".split()
    rows = ["text,label"]
    for i in range(180):
        label = ("neg", "neu", "pos")[i % 3]
        words = [*rng.choice(filler, 4), cue[label][i % 3], *rng.choice(filler, 3), f"n{i}"]
        rows.append(f"{' '.join(words)},{label}")
    path.write_text("\n".join(rows) + "\n")


@pytest.mark.workflow
def test_three_class_study_end_to_end(tmp_path):
    from tests.test_workflow import snakemake

    three_class_csv(tmp_path / "tri3.csv")
    cfg = {
        "experiments": {"datasets": [DATASET], "encoders": ["bilstm"], "attentions": ["tanh"],
                        "seeds": [1]},
        "data": {"user_datasets": {DATASET: {"path": str(tmp_path / "tri3.csv"),
                                             "text_column": "text", "label_column": "label"}}},
        "embedding": {"source": "scratch", "dim": 16}, "model": {"hidden_size": 16},
        "train": {"epochs": 8}, "threads": 1, "device": "cpu",
        "jw": {"importance": {"methods": ["gradient", "loo"]},
               "permutation": {"n_permutations": 10}, "adversary": {"steps": 30}},
        "seat": {"datasets": [DATASET], "encoders": ["bilstm"], "methods": ["vanilla", "seat"],
                 "seeds": [1], "train": {"epochs": 2, "embedding_pgd": {"steps": 1},
                                         "selection_metric": "roc_auc"},
                 "eval": {"radii": [0.05], "steps": 2, "max_examples": 10}},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    seat = f"results/seat/eval/{DATASET}/bilstm"
    targets = ["results/jw/tables/table2.parquet", f"results/jw/{MODEL}/permutation.parquet",
               f"results/jw/{MODEL}/adversary.parquet", f"{seat}/vanilla/seed1/summary.parquet",
               f"{seat}/seat/seed1/summary.parquet"]
    snakemake(*targets, "--cores", "2", "--snakefile", str(REPO / "Snakefile"), "--directory",
              str(tmp_path), "--configfile", str(tmp_path / "config.yaml"))
    res = tmp_path / "results"

    stats = read_table(res / "data" / "prepared" / DATASET / "stats.parquet", "dataset_stats")
    assert set(stats["n_classes"]) == {3}
    epochs = read_table(res / "models" / MODEL / "epochs.parquet", "epoch_metrics")
    assert np.isfinite(epochs["dev_roc_auc"]).all()
    assert epochs.loc[epochs["selected"], "dev_roc_auc"].item() == epochs["dev_roc_auc"].max()
    pred = read_table(res / "predictions" / MODEL / "test.parquet", "predictions")
    probs, labels = np.stack(pred["prob"].to_numpy()).astype(float), pred["label"].to_numpy()
    assert probs.shape == (18, 3) and (pred["pred"].to_numpy() == probs.argmax(1)).all()
    metrics = read_table(res / "predictions" / MODEL / "test_metrics.parquet", "test_metrics")
    assert metrics["roc_auc"].item() == pytest.approx(ovr_by_pairs(labels, probs), abs=1e-6)
    assert set(pred["pred"]) == {0, 1, 2}  # a trained model predicts every class

    # Kendall tau by predicted class: one group per class predicted, counted as predicted
    agreement = read_table(res / "jw" / MODEL / "agreement.parquet", "agreement")
    table2 = read_table(res / "jw" / "tables" / "table2.parquet", "agreement_summary")
    pair = table2[(table2["method_a"] == "attention") & (table2["method_b"] == "gradient")]
    by_pred = pred.set_index("example_id")["pred"]
    counts = by_pred[agreement["example_id"].unique()].value_counts()
    assert dict(zip(pair["group"], pair["n"], strict=True)) == {
        **{str(c): int(n) for c, n in counts.items()}, "overall": 18}

    # permutation and adversary: the output TVD over the three class probabilities
    perm = read_table(res / "jw" / MODEL / "permutation.parquet", "permutation")
    adv = read_table(res / "jw" / MODEL / "adversary.parquet", "adversary")
    assert len(perm) == len(adv) == 18
    assert (perm.set_index("example_id")["pred"] == by_pred[perm["example_id"]]).all()
    assert perm["median_tvd"].between(0, 1).all() and (perm["median_tvd"] > 0).any()
    assert (adv["emax_tvd"] <= 0.05 + 1e-6).all()
    assert adv["emax_jsd"].between(0, np.log(2) + 1e-6).all()
    for att in adv["adversarial_attention"]:
        assert abs(float(np.sum(att)) - 1) < 1e-4

    for method in ("vanilla", "seat"):
        s = read_table(res / "seat" / "eval" / DATASET / "bilstm" / method / "seed1" /
                       "summary.parquet", "seat_summary").iloc[0]
        assert s["n_test"] == 18 and s["n_attacked"] == 10
        assert np.isfinite([s["jsd"], s["tvd"], s["macro_f1"]]).all()
