import os

from snakemake.utils import validate

from seatlib.config import check_config

check_config(config, os.path.join(workflow.basedir, "workflow/schemas/config.schema.yaml"))
validate(config, schema="../schemas/config.schema.yaml")  # fills in the defaults

BUILTIN_DATASETS = [
    "sst",
    "sst2",
    "imdb",
    "rotten_tomatoes",
    "tweet_emotion",
    "tweet_hate",
    "20news_sports",
    "rte",
]
USER_DATASETS = config["data"]["user_datasets"]
EXP = config["experiments"]

for _name in EXP["datasets"]:
    if _name not in BUILTIN_DATASETS and _name not in USER_DATASETS:
        raise ValueError(
            f"config.yaml: experiments.datasets has {_name!r}, expected one of "
            f"{BUILTIN_DATASETS} or a key of data.user_datasets"
        )


wildcard_constraints:
    dataset="[A-Za-z0-9_]+",
    encoder="bilstm|cnn|average|rnn",
    attention="tanh|dot|uniform",
    seed=r"\d+",




def experiment_grid(pattern):
    return expand(
        pattern,
        dataset=EXP["datasets"],
        encoder=EXP["encoders"],
        attention=EXP["attentions"],
        seed=EXP["seeds"],
    )


def all_targets():
    return [
        "results/tables/dataset_stats.md",
        "results/tables/test_metrics.md",
        *experiment_grid("results/figures/{dataset}/{encoder}-{attention}/seed{seed}/test_summary.png"),
    ]


def data_mirror():
    """config data.mirror, else SEAT_DATA_MIRROR, else None (download)."""
    mirror = config["data"]["mirror"] or os.environ.get("SEAT_DATA_MIRROR")
    return os.path.abspath(mirror) if mirror else None


def raw_input(wildcards):
    """A user dataset's own file, or the downloaded folder of a built-in one."""
    if wildcards.dataset in USER_DATASETS:
        return USER_DATASETS[wildcards.dataset]["path"]
    return f"results/raw/{wildcards.dataset}"


def prepare_params(wildcards):
    return {
        "user": USER_DATASETS.get(wildcards.dataset),
        "max_train_examples": config["data"]["max_train_examples"],
        "max_eval_examples": config["data"]["max_eval_examples"],
    }


def embedding_input(wildcards):
    if config["embedding"]["source"] == "scratch":
        return []
    return f"results/prepared/{wildcards.dataset}/embeddings.safetensors"
