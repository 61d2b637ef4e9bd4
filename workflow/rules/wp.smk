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


def wp_prediction(
    dataset, model=WP["base_model"], seed=WP_BASE_SEED, name="test.parquet"
):
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
            n: wp_adversary_file(n, w.dataset, tag)
            for n in ("model.safetensors", "config.json")
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
            name=("seed_variance", "tradeoff"),
        ),
    ]


rule wp_all:
    input:
        wp_targets(),
    localrule: True


rule wp_table_uniform:
    input:
        unpack(wp_uniform_inputs),
    output:
        parquet=wp_table("uniform", "parquet"),
        markdown=report(
            wp_table("uniform", "md"),
            caption="../report/wp_uniform.rst",
            category="Wiegreffe & Pinter",
            subcategory="{dataset}",
        ),
    log:
        log_file("wp_table_uniform", "{dataset}"),
    benchmark:
        benchmark_file("wp_table_uniform", "{dataset}")
    localrule: True
    conda:
        "../envs/seatlib.yaml"
    script:
        STEP


rule wp_seed_variance:
    input:
        unpack(wp_seed_inputs),
    output:
        instances="results/wp/{dataset}/seed_variance_instances.parquet",
        parquet=wp_table("seed_variance", "parquet"),
        markdown=report(
            wp_table("seed_variance", "md"),
            caption="../report/wp_seed_variance_table.rst",
            category="Wiegreffe & Pinter",
            subcategory="{dataset}",
        ),
    log:
        log_file("wp_seed_variance", "{dataset}"),
    benchmark:
        benchmark_file("wp_seed_variance", "{dataset}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        seeds=WP["seeds"],
    script:
        STEP


rule wp_adversary:
    input:
        train=prepared_file("train.parquet"),
        dev=prepared_file("dev.parquet"),
        test=prepared_file("test.parquet"),
        embeddings=embedding_input,
        base_weights=wp_base_file("model.safetensors"),
        base_config=wp_base_file("config.json"),
    output:
        weights=wp_adversary_file("model.safetensors"),
        config=wp_adversary_file("config.json"),
        epochs=wp_adversary_file("epochs.parquet"),
        predictions=wp_adversary_file("test.parquet"),
    log:
        log_file("wp_adversary", "{dataset}/lambda{lam}"),
    benchmark:
        benchmark_file("wp_adversary", "{dataset}/lambda{lam}")
    wildcard_constraints:
        lam=r"[0-9.e+-]+",
    conda:
        "../envs/seatlib.yaml"
    threads: config["threads"]
    resources:
        mem_mb=4000,
        runtime=240,
        gpu=1,
    params:
        adversary=WP["adversary_train"],
        seed=WP["adversary_seed"],
        train=config["train"],
        embedding=config["embedding"],
        device=config["device"],
    script:
        STEP


rule wp_table_adversary:
    input:
        base=lambda w: wp_prediction(w.dataset),
        predictions=wp_adversary_files("test.parquet"),
        configs=wp_adversary_files("config.json"),
    output:
        parquet=wp_table("adversary", "parquet"),
        markdown=report(
            wp_table("adversary", "md"),
            caption="../report/wp_adversary.rst",
            category="Wiegreffe & Pinter",
            subcategory="{dataset}",
        ),
    log:
        log_file("wp_table_adversary", "{dataset}"),
    benchmark:
        benchmark_file("wp_table_adversary", "{dataset}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        STEP


rule wp_guided:
    input:
        unpack(wp_guide_inputs),
        train=prepared_file("train.parquet"),
        dev=prepared_file("dev.parquet"),
        test=prepared_file("test.parquet"),
        vocab=prepared_file("vocab.txt"),
        embeddings=embedding_input,
    output:
        weights=wp_guided_file("model.safetensors"),
        config=wp_guided_file("config.json"),
        epochs=wp_guided_file("epochs.parquet"),
        predictions=wp_guided_file("test.parquet"),
        metrics=wp_guided_file("test_metrics.parquet"),
    log:
        log_file("wp_guided", "{dataset}/{guide}"),
    benchmark:
        benchmark_file("wp_guided", "{dataset}/{guide}")
    wildcard_constraints:
        guide=r"base|adversary-lambda[0-9.e+-]+",
    conda:
        "../envs/seatlib.yaml"
    threads: config["threads"]
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=1,
    params:
        encoder="average",
        seed=WP_BASE_SEED,
        train=config["train"],
        model=config["model"],
        embedding=config["embedding"],
        device=config["device"],
    script:
        STEP


rule wp_table_guided:
    input:
        metrics=lambda w: [path.format(dataset=w.dataset) for _, _, path in wp_guides()],
    output:
        parquet=wp_table("guided", "parquet"),
        markdown=report(
            wp_table("guided", "md"),
            caption="../report/wp_guided.rst",
            category="Wiegreffe & Pinter",
            subcategory="{dataset}",
        ),
    log:
        log_file("wp_table_guided", "{dataset}"),
    benchmark:
        benchmark_file("wp_table_guided", "{dataset}")
    localrule: True
    conda:
        "../envs/seatlib.yaml"
    params:
        guides=[[guide, label] for guide, label, _ in wp_guides()],
    script:
        STEP


rule wp_tradeoff:
    input:
        unpack(wp_tradeoff_inputs),
    output:
        parquet=wp_table("tradeoff", "parquet"),
        markdown=report(
            wp_table("tradeoff", "md"),
            caption="../report/wp_tradeoff_table.rst",
            category="Wiegreffe & Pinter",
            subcategory="{dataset}",
        ),
    log:
        log_file("wp_tradeoff", "{dataset}"),
    benchmark:
        benchmark_file("wp_tradeoff", "{dataset}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        seeds=WP["seeds"],
        lambdas=[float(t) for t in WP["lambda_tags"]],
    script:
        STEP


rule wp_fig_seed_variance:
    input:
        instances=rules.wp_seed_variance.output.instances,
    output:
        pdf=wp_figure("seed_variance", "pdf"),
        png=report(
            wp_figure("seed_variance", "png"),
            caption="../report/wp_seed_variance.rst",
            category="Wiegreffe & Pinter",
            subcategory="{dataset}",
        ),
    log:
        log_file("wp_fig_seed_variance", "{dataset}"),
    benchmark:
        benchmark_file("wp_fig_seed_variance", "{dataset}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        STEP


rule wp_fig_tradeoff:
    input:
        tradeoff=rules.wp_tradeoff.output.parquet,
    output:
        pdf=wp_figure("tradeoff", "pdf"),
        png=report(
            wp_figure("tradeoff", "png"),
            caption="../report/wp_tradeoff.rst",
            category="Wiegreffe & Pinter",
            subcategory="{dataset}",
        ),
    log:
        log_file("wp_fig_tradeoff", "{dataset}"),
    benchmark:
        benchmark_file("wp_fig_tradeoff", "{dataset}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        STEP
