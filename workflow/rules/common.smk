# Shared by every track: the config (validated once), the grid, path functions, constraints.
# A track's own helpers live in its rule file (docs/architecture.md).
import os

from seatlib.config import validated_config
from seatlib.data.sources import DATASETS
from seatlib.models.attention import ATTENTIONS
from seatlib.models.classifier import ENCODERS

config.update(
    validated_config(config, os.path.join(workflow.basedir, "workflow/schemas/config.schema.yaml"))
)
EXP = config["experiments"]
USER_DATASETS = config["data"]["user_datasets"]
KNOWN_DATASETS = [*DATASETS, *USER_DATASETS]


wildcard_constraints:
    dataset=r"(?!tables$|figures$)[A-Za-z0-9_]+",
    encoder="|".join(ENCODERS),
    attention="|".join(ATTENTIONS),
    seed=r"\d+",
    method="[a-z_]+",


def experiment_grid(pattern):
    """pattern over experiments.datasets x encoders x attentions x seeds."""
    return expand(
        pattern,
        dataset=EXP["datasets"],
        encoder=EXP["encoders"],
        attention=EXP["attentions"],
        seed=EXP["seeds"],
    )


# --- paths shared between tracks (wildcard patterns by default) ---
def raw_dir(dataset="{dataset}"):
    return f"results/data/raw/{dataset}"


def prepared_file(name, dataset="{dataset}"):
    """train/dev/test.parquet, vocab.txt, stats.parquet, embeddings.safetensors."""
    return f"results/data/prepared/{dataset}/{name}"


def model_file(name, dataset="{dataset}", model="{encoder}-{attention}", seed="{seed}"):
    """model.safetensors, config.json, epochs.parquet of a foundation model."""
    return f"results/models/{dataset}/{model}/seed{seed}/{name}"


def prediction_file(
    name="test.parquet", dataset="{dataset}", model="{encoder}-{attention}", seed="{seed}"
):
    """test.parquet, test_metrics.parquet of a foundation model."""
    return f"results/predictions/{dataset}/{model}/seed{seed}/{name}"


def log_file(rule, pattern=""):
    return f"results/logs/{rule}/{pattern}.log" if pattern else f"results/logs/{rule}.log"


def benchmark_file(rule, pattern=""):
    return f"results/benchmarks/{rule}/{pattern or rule}.tsv"


STEP = "../../scripts/step.py"
