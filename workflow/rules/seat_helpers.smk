# Helpers of the seat track's rules (seat.smk): input functions, targets, paths.
# (Kept apart from the rules so that `snakemake --lint` stays clean.)

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
        return seat_file("models", name, f"{w.dataset}/{w.encoder}/{w.method}/seed{w.seed}")

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
