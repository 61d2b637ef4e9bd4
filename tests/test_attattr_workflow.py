"""The attattr rules end to end on a tiny random BERT saved in code (attattr.model pointed at a
local folder; no download) and a synthetic sst2 in the mirror layout; plus the SLURM profiles'
GPU requests for the GPU rules (a dry run, no cluster)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from attattr_tiny import save_tiny_encoder  # noqa: E402

from seatlib.schema import read_table  # noqa: E402
from tests.conftest import REPO  # noqa: E402
from tests.test_workflow import snakemake  # noqa: E402

pytestmark = pytest.mark.workflow

GPU_RULES = ("attattr_finetune", "attattr_heads", "attattr_score_heads", "attattr_prune")
CPU_RULES = ("attattr_tokenize", "attattr_fig_pruning", "attattr_fig_heads")


def write_sst2(raw: Path) -> None:
    """results/data/raw/sst2 as data_download leaves it (the mirror layout)."""
    words = {0: ["bad", "awful", "dull", "poor"], 1: ["good", "great", "fine", "fun"]}
    folder = raw / "sst2"
    folder.mkdir(parents=True)
    for name, n, column in (("train.tsv", 48, "sentence"), ("dev.tsv", 20, "content"),
                            ("test_with_labels.tsv", 6, "content")):
        lines = [f"label\t{column}"]
        for i in range(n):
            lab = i % 2
            extra = " really" * (i % 5)
            lines.append(f"{lab}\tthe film is{extra} {words[lab][i % 4]}")
        (folder / name).write_text("\n".join(lines) + "\n")


def attattr_config(workdir: Path) -> dict:
    model = save_tiny_encoder(workdir / "tiny_bert")
    return {
        "threads": 1, "device": "cpu",
        "attattr": {
            "datasets": ["sst2"], "model": str(model), "seeds": [1], "max_length": 8,
            "data": {"train_examples": 40, "dev_examples": 16},
            "finetune": {"epochs": 2, "batch_size": 8, "lr": 1e-3},
            "attribution": {"n_examples": 5, "steps": 3, "batch_size": 2, "chunk": 2,
                            "save_examples": 2},
            "heads": {"random_seeds": [1, 2]},
            "prune": {"fractions": [0.0, 0.25, 0.5, 1.0], "batch_size": 8},
        },
    }


def test_attattr_rules_end_to_end(tmp_path):
    cfgfile = tmp_path / "config.yaml"
    cfgfile.write_text(yaml.safe_dump(attattr_config(tmp_path)))
    write_sst2(tmp_path / "results" / "data" / "raw" / "sst2")
    snakemake("attattr_all", "--cores", "2", "--snakefile", str(REPO / "Snakefile"),
              "--directory", str(tmp_path), "--configfile", str(cfgfile))
    res = tmp_path / "results" / "attattr"
    dev = read_table(res / "sst2" / "data" / "dev.parquet", "split")
    assert len(dev) == 16 and len(read_table(res / "sst2" / "data" / "train.parquet",
                                             "split")) == 40
    assert (dev["token_ids"].map(len) <= 8).all()
    log = (tmp_path / "results" / "logs" / "attattr_tokenize" / "sst2.log").read_text()
    assert re.search(r"sst2 dev: \d+ of 16 texts truncated to 8 WordPieces", log)
    run = res / "sst2" / "seed1"
    assert (run / "model" / "model.safetensors").is_file()
    epochs = read_table(run / "epochs.parquet", "attattr_epochs")
    assert list(epochs["epoch"]) == [0, 1] and epochs["selected"].sum() == 1
    heads = read_table(run / "head_attribution.parquet", "attattr_head_attribution")
    assert len(heads) == 5 * 2 * 4 and heads["example_id"].nunique() == 5
    assert (heads["target"] == heads["label"]).all()  # target: gold (default)
    mats = read_table(run / "attribution_matrices.parquet", "attattr_matrices")
    assert len(mats) == 2 * 2 * 4
    assert (mats["attribution"].map(len) == mats["n_tokens"] ** 2).all()
    imp = read_table(run / "head_importance.parquet", "attattr_head_importance")
    assert sorted(set(zip(imp["ranking"], imp["ranking_seed"], strict=True))) == [
        ("attattr", 0), ("attention", 0), ("random", 1), ("random", 2), ("taylor", 0)]
    prune = read_table(run / "pruning.parquet", "attattr_pruning")
    assert len(prune) == 6 * 4  # 5 rankings + the per-example variant, 4 fractions
    full = prune[prune["ranking"] != "attattr_per_example"]
    assert full.groupby("fraction")["accuracy"].nunique().loc[[0.0, 1.0]].tolist() == [1, 1]
    summary = read_table(res / "tables" / "pruning.parquet", "attattr_pruning_summary")
    assert set(summary["ranking"]) == {"attattr", "attention", "taylor", "random",
                                       "attattr_per_example"}
    assert (summary.loc[summary["ranking"] == "random", "n_rankings"] == 2).all()
    finetune = read_table(res / "tables" / "finetune.parquet", "attattr_finetune")
    assert finetune["dev_accuracy"].iloc[0] == epochs.loc[epochs["selected"],
                                                          "dev_accuracy"].iloc[0]
    for fig in ("pruning", "head_importance"):
        assert (res / "figures" / "sst2" / "seed1" / f"{fig}.png").stat().st_size > 1000
    for rule in ("attattr_finetune", "attattr_prune"):
        assert (tmp_path / "results" / "benchmarks" / rule / "sst2" / "seed1.tsv").is_file()


@pytest.mark.parametrize("profile", ["slurm", "slurm-ci"])
def test_slurm_profiles_give_the_gpu_rules_a_gpu(tmp_path, profile):
    cfgfile = tmp_path / "config.yaml"
    cfgfile.write_text(yaml.safe_dump(attattr_config(tmp_path)))
    out = snakemake("attattr_all", "-n", "--workflow-profile", str(REPO / "profiles" / profile),
                    "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path),
                    "--configfile", str(cfgfile), "--executor", "local", "--cores", "1").stdout
    found = {}
    for m in re.finditer(r"^(?:local)?rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", out, re.M):
        found[m.group(1)] = dict(kv.split("=", 1) for kv in m.group(2).split(", "))
    for rule in GPU_RULES:
        assert found[rule].get("gpu") == "1", (rule, found[rule])
        assert "gpu_model" in found[rule], (rule, found[rule])
    for rule in CPU_RULES:
        assert "gpu" not in found[rule] and "gpu_model" not in found[rule], (rule, found[rule])
