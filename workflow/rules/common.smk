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
    method="[a-z_]+",




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


JW = config["jw"]
JW_METHODS = JW["importance"]["methods"]
# options stored with every importance result; the method list itself is not one of them, so
# adding a method does not re-run the others
JW_IMPORTANCE_OPTIONS = {k: v for k, v in JW["importance"].items() if k != "methods"}


def jw_models():
    """(dataset, encoder, attention, seed) of every grid model with trained attention,
    first seed only."""
    seed = EXP["seeds"][0]
    return [
        (d, e, a, seed)
        for d in EXP["datasets"]
        for e in EXP["encoders"]
        for a in EXP["attentions"]
        if a != "uniform"
    ]


def jw_expand(pattern, **extra):
    return [
        pattern.format(dataset=d, encoder=e, attention=a, seed=s, **extra)
        for d, e, a, s in jw_models()
    ]


def jw_targets():
    if not jw_models():
        return []
    targets = ["results/tables/jw_table2.md", "results/figures/jw/tau_bars.png"]
    for fig in ("tau_hist", "tau_density", "permutation", "adversary", "adversary_example"):
        targets += jw_expand(
            f"results/figures/jw/{{dataset}}/{{encoder}}-{{attention}}/seed{{seed}}/{fig}.png"
        )
    return targets


# --- Wiegreffe & Pinter's controls (workflow/rules/wp.smk, seatlib/wp) ---
from seatlib.wp.settings import lambda_tag, wp_settings

WP = wp_settings(config, known_datasets=BUILTIN_DATASETS + list(USER_DATASETS))


def wp_model_file(dataset, model, seed, name):
    return f"results/models/{dataset}/{model}/seed{seed}/{name}"


def wp_pred_file(dataset, model, seed, name="test.parquet"):
    return f"results/predictions/{dataset}/{model}/seed{seed}/{name}"


def wp_base_file(name):
    """Input function: a file of the base model (wp.base) of the rule's dataset."""
    return lambda w: wp_model_file(w.dataset, WP["base_model"], WP["base"]["seed"], name)


def wp_base_predictions(wildcards):
    return wp_pred_file(wildcards.dataset, WP["base_model"], WP["base"]["seed"])


def wp_seed_inputs(wildcards):
    """Base-seed and extra-seed test predictions, named base and seed<N>."""
    model = WP["base_model"]
    return {
        "base": wp_base_predictions(wildcards),
        **{f"seed{s}": wp_pred_file(wildcards.dataset, model, s) for s in WP["seeds"]},
    }


def wp_uniform_inputs(wildcards):
    seed, att = WP["base"]["seed"], WP["base"]["attention"]
    encs = WP["uniform_encoders"]
    return {
        "trained": [wp_pred_file(wildcards.dataset, f"{e}-{att}", seed, "test_metrics.parquet")
                    for e in encs],
        "uniform": [wp_pred_file(wildcards.dataset, f"{e}-uniform", seed, "test_metrics.parquet")
                    for e in encs],
    }


def wp_adversary_files(dataset, name):
    return [f"results/wp/{dataset}/adversary/lambda{t}/{name}" for t in WP["lambda_tags"]]


def wp_tradeoff_inputs(wildcards):
    return {
        **wp_seed_inputs(wildcards),
        "uniform": wp_pred_file(wildcards.dataset, f"{WP['base']['encoder']}-uniform",
                                WP["base"]["seed"]),
        "adversaries": wp_adversary_files(wildcards.dataset, "test.parquet"),
    }


def wp_guide_inputs(wildcards):
    """The guide model (the base model or an adversary) that wp_guided imposes."""
    if wildcards.guide == "base":
        return {"guide_weights": wp_base_file("model.safetensors")(wildcards),
                "guide_config": wp_base_file("config.json")(wildcards)}
    folder = f"results/wp/{wildcards.dataset}/adversary/{wildcards.guide.split('-', 1)[1]}"
    return {"guide_weights": f"{folder}/model.safetensors", "guide_config": f"{folder}/config.json"}


def wp_guides():
    """[(guide, guide model label, test_metrics path pattern with {dataset})] of wp.guided."""
    seed, base = WP["base"]["seed"], WP["base_model"]
    tag = f"lambda{lambda_tag(WP['guided']['adversary_lambda'])}"
    paths = {
        "uniform": ("uniform", wp_pred_file("{dataset}", "average-uniform", seed,
                                            "test_metrics.parquet")),
        "own": (f"average-{WP['base']['attention']} (own)",
                wp_pred_file("{dataset}", f"average-{WP['base']['attention']}", seed,
                             "test_metrics.parquet")),
        "base": (f"{base} seed {seed}", "results/wp/{dataset}/guided/base/test_metrics.parquet"),
        "adversary": (f"{base}-adv-{tag}",
                      f"results/wp/{{dataset}}/guided/adversary-{tag}/test_metrics.parquet"),
    }
    return [(g, *paths[g]) for g in WP["guided"]["guides"]]


def wp_targets():
    if not WP["enabled"]:
        return []
    targets = []
    for d in WP["datasets"]:
        targets += [f"results/wp/{d}/{t}.md"
                    for t in ("uniform", "seed_variance", "adversary", "guided", "tradeoff")]
        targets += [f"results/figures/{d}/wp/{f}.png" for f in ("seed_variance", "tradeoff")]
    return targets


# --- SEAT (workflow/rules/seat.smk, seatlib/seat) ---
SEAT = config["seat"]
SEAT_TRAINED = "seat|seat-released|word-at|word-iat|attention-at|attention-iat|attention-rp"
SEAT_EVALUATED = f"vanilla|{SEAT_TRAINED}"
SEAT_HEATMAP_METHODS = ("vanilla", "word-at", "attention-at", "seat-released", "seat")

for _name in SEAT["datasets"]:
    if _name not in BUILTIN_DATASETS and _name not in USER_DATASETS:
        raise ValueError(
            f"config.yaml: seat.datasets has {_name!r}, expected one of "
            f"{BUILTIN_DATASETS} or a key of data.user_datasets"
        )


def seat_vanilla_file(name):
    """Input function: a file of the vanilla model the SEAT models of a dataset and encoder
    target (train_model's {encoder}-tanh, first seed of seat.seeds)."""
    seed = SEAT["seeds"][0]
    return lambda w: f"results/models/{w.dataset}/{w.encoder}-tanh/seed{seed}/{name}"


def seat_model_file(name):
    """Input function: a model file of method w.method (vanilla: the foundation's model)."""

    def files(w):
        if w.method == "vanilla":
            return f"results/models/{w.dataset}/{w.encoder}-tanh/seed{w.seed}/{name}"
        return f"results/seat/models/{w.dataset}/{w.encoder}/{w.method}/seed{w.seed}/{name}"

    return files


def seat_grid(pattern, methods=None):
    """pattern over seat.datasets x encoders x methods x seeds."""
    return expand(
        pattern,
        dataset=SEAT["datasets"],
        encoder=SEAT["encoders"],
        method=methods or SEAT["methods"],
        seed=SEAT["seeds"],
    )


def seat_per_model(name, methods=None):
    """Input function: one file per method x seed of the rule's dataset and encoder."""

    def files(w):
        return expand(
            f"results/seat/eval/{w.dataset}/{w.encoder}/{{method}}/seed{{seed}}/{name}",
            method=methods or SEAT["methods"],
            seed=SEAT["seeds"],
        )

    return files


def seat_trained_epochs(w):
    return expand(
        f"results/seat/models/{w.dataset}/{w.encoder}/{{method}}/seed{{seed}}/epochs.parquet",
        method=[m for m in SEAT["methods"] if m != "vanilla"],
        seed=SEAT["seeds"],
    )


def seat_heatmap_methods():
    return [m for m in SEAT_HEATMAP_METHODS if m in SEAT["methods"]]


def seat_heatmap_inputs(w):
    seed = SEAT["seeds"][0]
    return {
        "test": f"results/prepared/{w.dataset}/test.parquet",
        "substitutions": f"results/seat/substitutions/{w.dataset}/test.parquet",
        "instances": [
            f"results/seat/eval/{w.dataset}/{w.encoder}/{m}/seed{seed}/instances.parquet"
            for m in seat_heatmap_methods()
        ],
    }


def seat_targets():
    """The SEAT study's tables and figures (none when seat.datasets is empty)."""
    if not SEAT["datasets"]:
        return []
    targets = ["results/seat/tables/results.md"]
    if len(SEAT["seeds"]) > 1:
        targets.append("results/seat/tables/seed_stability.md")
    figures = ["violin", "radius"]
    if any(m != "vanilla" for m in SEAT["methods"]):
        figures.append("topk_epochs")
    if "vanilla" in SEAT["methods"] and len(seat_heatmap_methods()) > 1:
        figures.append("heatmap")
    targets += expand(
        "results/seat/figures/{dataset}/{encoder}/{figure}.png",
        dataset=SEAT["datasets"],
        encoder=SEAT["encoders"],
        figure=figures,
    )
    return targets
