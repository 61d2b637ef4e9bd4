# Helpers of the planted-evidence track's rules (truth.smk): input functions, targets, paths.
# (Kept apart from the rules so that `snakemake --lint` stays clean.)
from seatlib.importance import importance_options

TRUTH = config["truth"]


# --- helpers of the truth track ---
def truth_file(name, dataset="{dataset}"):
    """train/dev/test.parquet (table truth_split) and markers.parquet of a planted dataset."""
    return f"results/truth/data/{dataset}/{name}"


def truth_model_file(name, dataset="{dataset}", model="{encoder}-{attention}", seed="{seed}"):
    """model.safetensors, config.json, epochs.parquet of a model trained on planted data."""
    return f"results/truth/models/{dataset}/{model}/seed{seed}/{name}"


def truth_score_file(name, dataset="{dataset}", model="{encoder}-{attention}", seed="{seed}"):
    """checks.parquet, examples.parquet of one trained model."""
    return f"results/truth/scores/{dataset}/{model}/seed{seed}/{name}"


def truth_grid(pattern):
    """pattern over truth.datasets x encoders x attentions x seeds."""
    return expand(
        pattern,
        dataset=TRUTH["datasets"],
        encoder=TRUTH["encoders"],
        attention=TRUTH["attentions"],
        seed=TRUTH["seeds"],
    )


def truth_importance():
    """The jw.importance options each importance explainer reads (its own keys only)."""
    return {
        m: importance_options(m, config["jw"]["importance"])
        for m in TRUTH["explainers"]
        if m not in ("attention", "oracle", "random")
    }


def truth_targets():
    """The track's tables and figure (rule all collects them only when truth.enabled)."""
    return [
        rules.truth_table_scores.output.markdown,
        rules.truth_table_scores.output.checks_markdown,
        rules.truth_fig_scores.output.png,
    ]
