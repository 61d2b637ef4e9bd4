# Helpers of the wp track's rules (wp.smk): input functions, targets, paths.
# (Kept apart from the rules so that `snakemake --lint` stays clean.)

# --- Wiegreffe & Pinter's controls (docs/wiegreffe_pinter.md; steps: seatlib/wp/steps.py) ---
# The uniform baseline and the extra seeds are ordinary models_train/models_predict outputs;
# these rules compare and extend them. Tables: results/wp/tables/{dataset}/, figures:
# results/wp/figures/{dataset}/, the adversaries and guided models: results/wp/{dataset}/.
from seatlib.wp.settings import lambda_tag, wp_settings

WP = wp_settings(config)  # the effective wp block (paper preset, derived keys)


WP_BASE_SEED = WP["base"]["seed"]


def wp_table(name, ext, dataset="{dataset}"):
    return f"results/wp/tables/{dataset}/{name}.{ext}"


def wp_figure(name, ext, dataset="{dataset}"):
    return f"results/wp/figures/{dataset}/{name}.{ext}"


def wp_adversary_file(name, dataset="{dataset}", tag="{lam}"):
    """model.safetensors, config.json, epochs.parquet, test.parquet of one adversary."""
    return f"results/wp/{dataset}/adversary/lambda{tag}/{name}"


def wp_guided_file(name, dataset="{dataset}", guide="{guide}"):
    """model.safetensors, config.json, epochs.parquet, test(_metrics).parquet of a guided model."""
    return f"results/wp/{dataset}/guided/{guide}/{name}"


def wp_prediction(dataset, model=WP["base_model"], seed=WP_BASE_SEED, name="test.parquet"):
    """A foundation model's test predictions or metrics (default: the base model wp.base)."""
    return prediction_file(name, dataset, model, seed)


def wp_base_file(name):
    """Input function: a file of the base model (wp.base) of the rule's dataset."""
    return lambda w: model_file(name, w.dataset, WP["base_model"], WP_BASE_SEED)


def wp_adversary_files(name):
    """Input function: one file per lambda of wp.adversary.lambdas, in that order."""
    return lambda w: [wp_adversary_file(name, w.dataset, t) for t in WP["lambda_tags"]]


def wp_seed_inputs(w):
    """The test predictions of the base seed and of the extra seeds, named base and seed<N>."""
    return {
        "base": wp_prediction(w.dataset),
        **{f"seed{s}": wp_prediction(w.dataset, seed=s) for s in WP["seeds"]},
    }


def wp_uniform_inputs(w):
    """The test metrics of each wp.uniform_encoders encoder with the base attention (trained)
    and with uniform attention."""
    att = WP["base"]["attention"]
    return {
        kind: [
            wp_prediction(w.dataset, f"{e}-{a}", name="test_metrics.parquet")
            for e in WP["uniform_encoders"]
        ]
        for kind, a in (("trained", att), ("uniform", "uniform"))
    }


def wp_jw_adversary(w):
    """Input function: JW's per-instance adversaries of the base model (jw_adversary), for
    WP's plots against JW's adversaries (path function of the jw track)."""
    enc, att = WP["base"]["encoder"], WP["base"]["attention"]
    return jw_file("adversary.parquet").format(
        dataset=w.dataset, encoder=enc, attention=att, seed=WP_BASE_SEED
    )


def wp_tradeoff_inputs(w):
    return {
        **wp_seed_inputs(w),
        "uniform": wp_prediction(w.dataset, f"{WP['base']['encoder']}-uniform"),
        "adversaries": wp_adversary_files("test.parquet")(w),
    }


def wp_guide_inputs(w):
    """The guide model (the base model or an adversary) that wp_guided imposes."""
    if w.guide == "base":
        files = {n: wp_base_file(n)(w) for n in ("model.safetensors", "config.json")}
    else:
        tag = w.guide.removeprefix("adversary-lambda")
        files = {
            n: wp_adversary_file(n, w.dataset, tag) for n in ("model.safetensors", "config.json")
        }
    return {
        "guide_weights": files["model.safetensors"],
        "guide_config": files["config.json"],
    }


def wp_guides():
    """[(guide, guide model label, test_metrics path with {dataset})] of wp.guided.guides."""
    base, att = WP["base_model"], WP["base"]["attention"]
    tag = f"lambda{lambda_tag(WP['guided']['adversary_lambda'])}"
    metrics = "test_metrics.parquet"
    paths = {
        "uniform": (
            "uniform",
            wp_prediction("{dataset}", "average-uniform", name=metrics),
        ),
        "own": (
            f"average-{att} (own)",
            wp_prediction("{dataset}", f"average-{att}", name=metrics),
        ),
        "base": (f"{base} seed {WP_BASE_SEED}", wp_guided_file(metrics, guide="base")),
        "adversary": (
            f"{base}-adv-{tag}",
            wp_guided_file(metrics, guide=f"adversary-{tag}"),
        ),
    }
    return [(g, *paths[g]) for g in WP["guided"]["guides"]]


def wp_targets():
    """The study's tables and figures (none when wp.enabled is false)."""
    if not WP["enabled"]:
        return []
    return [
        *expand(
            wp_table("{name}", "md", "{dataset}"),
            dataset=WP["datasets"],
            name=("uniform", "seed_variance", "adversary", "guided", "tradeoff"),
        ),
        *expand(
            wp_figure("{name}", "png", "{dataset}"),
            dataset=WP["datasets"],
            name=("seed_variance", "seed_variance_jw", "tradeoff"),
        ),
    ]
