# SEAT (Hu et al. AAAI 2023) and its baselines: docs/seat.md; steps: seatlib/seat/steps.py.
# Models: results/seat/models/{dataset}/{encoder}/{method}/seed{seed}/ (the vanilla model is
# models_train's results/models/{dataset}/{encoder}-tanh/seed{seed}/, reused, not retrained);
# per-model results: results/seat/eval/...; tables and figures: results/seat/{tables,figures}/.
from seatlib.seat.objectives import METHODS as SEAT_METHODS

SEAT = config["seat"]
SEAT_TRAINED = "|".join(m for m in SEAT_METHODS if m != "vanilla")
SEAT_EVALUATED = "|".join(SEAT_METHODS)
SEAT_HEATMAP_METHODS = ("vanilla", "word-at", "attention-at", "seat-released", "seat")
# the wildcards of one SEAT model
SEAT_MODEL = "{dataset}/{encoder}/{method}/seed{seed}"


def seat_file(kind, name, model=SEAT_MODEL):
    """results/seat/{kind}/<model>/{name}: kind "models" (weights, config, epochs) or "eval"
    (summary, instances, perturbation)."""
    return f"results/seat/{kind}/{model}/{name}"


def seat_substitutions_file(dataset="{dataset}"):
    return f"results/seat/substitutions/{dataset}/test.parquet"


def seat_figure(ext, name=None):
    """results/seat/figures/{dataset}/{encoder}/<name>.<ext> (name: the rule's figure)."""
    return f"results/seat/figures/{{dataset}}/{{encoder}}/{name or '{figure}'}.{ext}"


def seat_vanilla_file(name):
    """Input function: a file of the vanilla model every SEAT model of a dataset and encoder
    targets (models_train's {encoder}-tanh, first seed of seat.seeds)."""
    return lambda w: model_file(name, w.dataset, f"{w.encoder}-tanh", SEAT["seeds"][0])


def seat_model_file(name):
    """Input function: a model file of method w.method (vanilla: the foundation's model)."""

    def files(w):
        if w.method == "vanilla":
            return model_file(name, w.dataset, f"{w.encoder}-tanh", w.seed)
        return seat_file(
            "models", name, f"{w.dataset}/{w.encoder}/{w.method}/seed{w.seed}"
        )

    return files


def seat_grid(kind, name):
    """Every model's file: seat.datasets x encoders x methods x seeds."""
    return expand(
        seat_file(kind, name),
        dataset=SEAT["datasets"],
        encoder=SEAT["encoders"],
        method=SEAT["methods"],
        seed=SEAT["seeds"],
    )


def seat_per_model(kind, name, methods=None):
    """Input function: one file per method x seed of the rule's dataset and encoder."""

    def files(w):
        model = f"{w.dataset}/{w.encoder}/{{method}}/seed{{seed}}"
        return expand(
            seat_file(kind, name, model),
            method=SEAT["methods"] if methods is None else methods,
            seed=SEAT["seeds"],
        )

    return files


def seat_trained():
    return [m for m in SEAT["methods"] if m != "vanilla"]


def seat_heatmap_methods():
    return [m for m in SEAT_HEATMAP_METHODS if m in SEAT["methods"]]


def seat_heatmap_inputs(w):
    model = f"{w.dataset}/{w.encoder}/{{method}}/seed{SEAT['seeds'][0]}"
    return {
        "test": prepared_file("test.parquet", w.dataset),
        "substitutions": seat_substitutions_file(w.dataset),
        "instances": expand(
            seat_file("eval", "instances.parquet", model), method=seat_heatmap_methods()
        ),
    }


def seat_targets():
    """The SEAT study's tables and figures (none when seat.datasets is empty)."""
    if not SEAT["datasets"]:
        return []
    targets = ["results/seat/tables/results.md"]
    if len(SEAT["seeds"]) > 1:
        targets.append("results/seat/tables/seed_stability.md")
    figures = ["violin", "radius"]
    if seat_trained():
        figures.append("topk_epochs")
    if "vanilla" in SEAT["methods"] and len(seat_heatmap_methods()) > 1:
        figures.append("heatmap")
    targets += expand(
        seat_figure("png"),
        dataset=SEAT["datasets"],
        encoder=SEAT["encoders"],
        figure=figures,
    )
    return targets


rule seat_all:
    input:
        seat_targets(),
    localrule: True


rule seat_substitutions:
    input:
        split=prepared_file("test.parquet"),
        vocab=prepared_file("vocab.txt"),
    output:
        seat_substitutions_file(),
    log:
        log_file("seat_substitutions", "{dataset}"),
    benchmark:
        benchmark_file("seat_substitutions", "{dataset}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=3000,
        runtime=10,
    params:
        n_words=SEAT["eval"]["substitution_words"],
        seed=SEAT["eval"]["seed"],
    script:
        STEP


rule seat_train:
    input:
        train=prepared_file("train.parquet"),
        dev=prepared_file("dev.parquet"),
        vanilla_weights=seat_vanilla_file("model.safetensors"),
        vanilla_config=seat_vanilla_file("config.json"),
        embeddings=embedding_input,
    output:
        weights=seat_file("models", "model.safetensors"),
        config=seat_file("models", "config.json"),
        epochs=seat_file("models", "epochs.parquet"),
    log:
        log_file("seat_train", SEAT_MODEL),
    benchmark:
        benchmark_file("seat_train", SEAT_MODEL)
    wildcard_constraints:
        method=SEAT_TRAINED,
    conda:
        "../envs/seatlib.yaml"
    threads: config["threads"]
    resources:
        mem_mb=4000,
        runtime=240,
        gpu=1,
    params:
        train=config["train"],  # the JW recipe's keys, recorded whole in config.json
        seat=SEAT["train"],
        device=config["device"],
    script:
        STEP


rule seat_evaluate:
    input:
        weights=seat_model_file("model.safetensors"),
        config=seat_model_file("config.json"),
        vanilla_weights=seat_vanilla_file("model.safetensors"),
        vanilla_config=seat_vanilla_file("config.json"),
        test=prepared_file("test.parquet"),
        substitutions=seat_substitutions_file(),
    output:
        summary=seat_file("eval", "summary.parquet"),
        instances=seat_file("eval", "instances.parquet"),
        perturbation=seat_file("eval", "perturbation.parquet"),
    log:
        log_file("seat_evaluate", SEAT_MODEL),
    benchmark:
        benchmark_file("seat_evaluate", SEAT_MODEL)
    wildcard_constraints:
        method=SEAT_EVALUATED,
    conda:
        "../envs/seatlib.yaml"
    threads: config["threads"]
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=1,
    params:
        eval={k: v for k, v in SEAT["eval"].items() if k != "substitution_words"},
        topk=SEAT["train"]["topk"],
        device=config["device"],
    script:
        STEP


rule seat_table_results:
    input:
        seat_grid("eval", "summary.parquet"),
    output:
        parquet="results/seat/tables/results.parquet",
        markdown=report(
            "results/seat/tables/results.md",
            caption="../report/seat_results.rst",
            category="SEAT",
        ),
    log:
        log_file("seat_table_results"),
    benchmark:
        benchmark_file("seat_table_results")
    localrule: True
    conda:
        "../envs/seatlib.yaml"
    params:
        methods=SEAT["methods"],
    script:
        STEP


rule seat_table_seed_stability:
    input:
        seat_grid("eval", "instances.parquet"),
    output:
        parquet="results/seat/tables/seed_stability.parquet",
        markdown=report(
            "results/seat/tables/seed_stability.md",
            caption="../report/seat_seed_stability.rst",
            category="SEAT",
        ),
    log:
        log_file("seat_table_seed_stability"),
    benchmark:
        benchmark_file("seat_table_seed_stability")
    localrule: True
    conda:
        "../envs/seatlib.yaml"
    params:
        k=SEAT["train"]["topk"],
    script:
        STEP


rule seat_fig_heatmap:
    input:
        unpack(seat_heatmap_inputs),
    output:
        pdf=seat_figure("pdf", "heatmap"),
        png=report(
            seat_figure("png", "heatmap"),
            caption="../report/seat_heatmap.rst",
            category="SEAT",
            subcategory="{dataset} {encoder}",
        ),
    log:
        log_file("seat_fig_heatmap", "{dataset}/{encoder}"),
    benchmark:
        benchmark_file("seat_fig_heatmap", "{dataset}/{encoder}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        example=SEAT["figures"]["heatmap_example"],
    script:
        STEP


rule seat_fig_violin:
    input:
        seat_per_model("eval", "perturbation.parquet"),
    output:
        pdf=seat_figure("pdf", "violin"),
        png=report(
            seat_figure("png", "violin"),
            caption="../report/seat_violin.rst",
            category="SEAT",
            subcategory="{dataset} {encoder}",
        ),
    log:
        log_file("seat_fig_violin", "{dataset}/{encoder}"),
    benchmark:
        benchmark_file("seat_fig_violin", "{dataset}/{encoder}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        radius=SEAT["eval"]["radius"],
        methods=SEAT["methods"],
    script:
        STEP


rule seat_fig_topk_epochs:
    input:
        seat_per_model("models", "epochs.parquet", seat_trained()),
    output:
        pdf=seat_figure("pdf", "topk_epochs"),
        png=report(
            seat_figure("png", "topk_epochs"),
            caption="../report/seat_topk_epochs.rst",
            category="SEAT",
            subcategory="{dataset} {encoder}",
        ),
    log:
        log_file("seat_fig_topk_epochs", "{dataset}/{encoder}"),
    benchmark:
        benchmark_file("seat_fig_topk_epochs", "{dataset}/{encoder}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        k=SEAT["train"]["topk"],
        methods=SEAT["methods"],
    script:
        STEP


rule seat_fig_radius:
    input:
        seat_per_model("eval", "perturbation.parquet"),
    output:
        pdf=seat_figure("pdf", "radius"),
        png=report(
            seat_figure("png", "radius"),
            caption="../report/seat_radius.rst",
            category="SEAT",
            subcategory="{dataset} {encoder}",
        ),
    log:
        log_file("seat_fig_radius", "{dataset}/{encoder}"),
    benchmark:
        benchmark_file("seat_fig_radius", "{dataset}/{encoder}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        methods=SEAT["methods"],
    script:
        STEP
