# --- SEAT (workflow/rules/seat.smk, seatlib/seat) ---
from seatlib.seat.objectives import METHODS as SEAT_METHODS

SEAT = config["seat"]
SEAT_TRAINED = "|".join(m for m in SEAT_METHODS if m != "vanilla")
SEAT_EVALUATED = "|".join(SEAT_METHODS)
SEAT_HEATMAP_METHODS = ("vanilla", "word-at", "attention-at", "seat-released", "seat")

def seat_vanilla_file(name):
    """Input function: a file of the vanilla model the SEAT models of a dataset and encoder
    target (train_model's {encoder}-tanh, first seed of seat.seeds)."""
    seed = SEAT["seeds"][0]
    return lambda w: model_file(name, w.dataset, f"{w.encoder}-tanh", seed)


def seat_model_file(name):
    """Input function: a model file of method w.method (vanilla: the foundation's model)."""

    def files(w):
        if w.method == "vanilla":
            return model_file(name, w.dataset, f"{w.encoder}-tanh", w.seed)
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
        "test": prepared_file("test.parquet", w.dataset),
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


# SEAT (Hu et al. AAAI 2023) and its baselines: docs/seat.md. Helpers: common.smk (SEAT).
# Models: results/seat/models/{dataset}/{encoder}/{method}/seed{seed}/ (the vanilla model is
# models_train's results/models/{dataset}/{encoder}-tanh/seed{seed}/, reused, not retrained).


rule seat_all:
    input:
        seat_targets(),
    localrule: True


rule seat_substitutions:
    input:
        split=prepared_file("test.parquet"),
        vocab=prepared_file("vocab.txt"),
    output:
        "results/seat/substitutions/{dataset}/test.parquet",
    params:
        n_words=SEAT["eval"]["substitution_words"],
        seed=SEAT["eval"]["seed"],
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/seat_substitutions/{dataset}.log",
    resources:
        mem_mb=3000,
        runtime=10,
    script:
        "../../scripts/seat_substitutions.py"


rule seat_train:
    input:
        train=prepared_file("train.parquet"),
        dev=prepared_file("dev.parquet"),
        vanilla_weights=seat_vanilla_file("model.safetensors"),
        vanilla_config=seat_vanilla_file("config.json"),
        embeddings=embedding_input,
    output:
        weights="results/seat/models/{dataset}/{encoder}/{method}/seed{seed}/model.safetensors",
        config="results/seat/models/{dataset}/{encoder}/{method}/seed{seed}/config.json",
        epochs="results/seat/models/{dataset}/{encoder}/{method}/seed{seed}/epochs.parquet",
    wildcard_constraints:
        method=SEAT_TRAINED,
    params:
        train=config["train"],
        seat=SEAT["train"],
        device=config["device"],
    threads: config["threads"]
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/seat_train/{dataset}/{encoder}/{method}/seed{seed}.log",
    resources:
        mem_mb=4000,
        runtime=240,
        gpu=1,
    script:
        "../../scripts/train_seat.py"


rule seat_evaluate:
    input:
        weights=seat_model_file("model.safetensors"),
        config=seat_model_file("config.json"),
        vanilla_weights=seat_vanilla_file("model.safetensors"),
        vanilla_config=seat_vanilla_file("config.json"),
        test=prepared_file("test.parquet"),
        substitutions="results/seat/substitutions/{dataset}/test.parquet",
    output:
        summary="results/seat/eval/{dataset}/{encoder}/{method}/seed{seed}/summary.parquet",
        instances="results/seat/eval/{dataset}/{encoder}/{method}/seed{seed}/instances.parquet",
        perturbation="results/seat/eval/{dataset}/{encoder}/{method}/seed{seed}/perturbation.parquet",
    wildcard_constraints:
        method=SEAT_EVALUATED,
    params:
        eval=SEAT["eval"],
        topk=SEAT["train"]["topk"],
        device=config["device"],
    threads: config["threads"]
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/seat_evaluate/{dataset}/{encoder}/{method}/seed{seed}.log",
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=1,
    script:
        "../../scripts/evaluate_stability.py"


rule seat_table_results:
    input:
        seat_grid("results/seat/eval/{dataset}/{encoder}/{method}/seed{seed}/summary.parquet"),
    output:
        parquet="results/seat/tables/results.parquet",
        markdown=report(
            "results/seat/tables/results.md",
            caption="../report/seat_results.rst",
            category="SEAT",
        ),
    params:
        methods=SEAT["methods"],
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/seat_table_results.log",
    localrule: True
    script:
        "../../scripts/seat_results_table.py"


rule seat_table_seed_stability:
    input:
        seat_grid("results/seat/eval/{dataset}/{encoder}/{method}/seed{seed}/instances.parquet"),
    output:
        parquet="results/seat/tables/seed_stability.parquet",
        markdown=report(
            "results/seat/tables/seed_stability.md",
            caption="../report/seat_seed_stability.rst",
            category="SEAT",
        ),
    params:
        k=SEAT["train"]["topk"],
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/seat_table_seed_stability.log",
    localrule: True
    script:
        "../../scripts/seat_seed_stability.py"


rule seat_fig_heatmap:
    input:
        unpack(seat_heatmap_inputs),
    output:
        pdf="results/seat/figures/{dataset}/{encoder}/heatmap.pdf",
        png=report(
            "results/seat/figures/{dataset}/{encoder}/heatmap.png",
            caption="../report/seat_heatmap.rst",
            category="SEAT",
            subcategory="{dataset} {encoder}",
        ),
    params:
        example=SEAT["figures"]["heatmap_example"],
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/seat_fig_heatmap/{dataset}/{encoder}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/seat_fig_heatmap.py"


rule seat_fig_violin:
    input:
        seat_per_model("perturbation.parquet"),
    output:
        pdf="results/seat/figures/{dataset}/{encoder}/violin.pdf",
        png=report(
            "results/seat/figures/{dataset}/{encoder}/violin.png",
            caption="../report/seat_violin.rst",
            category="SEAT",
            subcategory="{dataset} {encoder}",
        ),
    params:
        radius=SEAT["eval"]["radius"],
        methods=SEAT["methods"],
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/seat_fig_violin/{dataset}/{encoder}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/seat_fig_violin.py"


rule seat_fig_topk_epochs:
    input:
        seat_trained_epochs,
    output:
        pdf="results/seat/figures/{dataset}/{encoder}/topk_epochs.pdf",
        png=report(
            "results/seat/figures/{dataset}/{encoder}/topk_epochs.png",
            caption="../report/seat_topk_epochs.rst",
            category="SEAT",
            subcategory="{dataset} {encoder}",
        ),
    params:
        k=SEAT["train"]["topk"],
        methods=SEAT["methods"],
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/seat_fig_topk_epochs/{dataset}/{encoder}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/seat_fig_topk_epochs.py"


rule seat_fig_radius:
    input:
        seat_per_model("perturbation.parquet"),
    output:
        pdf="results/seat/figures/{dataset}/{encoder}/radius.pdf",
        png=report(
            "results/seat/figures/{dataset}/{encoder}/radius.png",
            caption="../report/seat_radius.rst",
            category="SEAT",
            subcategory="{dataset} {encoder}",
        ),
    params:
        methods=SEAT["methods"],
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/seat_fig_radius/{dataset}/{encoder}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/seat_fig_radius.py"
