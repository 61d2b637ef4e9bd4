# --- Wiegreffe & Pinter's controls (workflow/rules/wp.smk, seatlib/wp) ---
from seatlib.wp.settings import lambda_tag, wp_settings

WP = wp_settings(config)


def wp_model_file(dataset, model, seed, name):
    return model_file(name, dataset, model, seed)


def wp_pred_file(dataset, model, seed, name="test.parquet"):
    return prediction_file(name, dataset, model, seed)


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


# Wiegreffe & Pinter 2019's controls (docs/wiegreffe_pinter.md). The uniform baseline and the
# extra seeds are ordinary models_train/models_predict outputs; these rules compare and extend them.


rule wp_table_uniform:
    input:
        unpack(wp_uniform_inputs),
    output:
        parquet="results/wp/{dataset}/uniform.parquet",
        markdown=report(
            "results/wp/{dataset}/uniform.md",
            caption="../report/wp_uniform.rst",
            category="Wiegreffe & Pinter",
            subcategory="{dataset}",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/wp_table_uniform/{dataset}.log",
    localrule: True
    script:
        "../../scripts/wp_uniform_table.py"


rule wp_seed_variance:
    input:
        unpack(wp_seed_inputs),
    output:
        instances="results/wp/{dataset}/seed_variance.parquet",
        summary="results/wp/{dataset}/seed_variance_summary.parquet",
        markdown=report(
            "results/wp/{dataset}/seed_variance.md",
            caption="../report/wp_seed_variance_table.rst",
            category="Wiegreffe & Pinter",
            subcategory="{dataset}",
        ),
    params:
        seeds=WP["seeds"],
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/wp_seed_variance/{dataset}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/wp_seed_variance.py"


rule wp_adversary:
    input:
        train=prepared_file("train.parquet"),
        dev=prepared_file("dev.parquet"),
        test=prepared_file("test.parquet"),
        embeddings=embedding_input,
        base_weights=wp_base_file("model.safetensors"),
        base_config=wp_base_file("config.json"),
    output:
        weights="results/wp/{dataset}/adversary/lambda{lam}/model.safetensors",
        config="results/wp/{dataset}/adversary/lambda{lam}/config.json",
        epochs="results/wp/{dataset}/adversary/lambda{lam}/epochs.parquet",
        predictions="results/wp/{dataset}/adversary/lambda{lam}/test.parquet",
    wildcard_constraints:
        lam=r"[0-9.e+-]+",
    params:
        adversary=WP["adversary_train"],
        seed=WP["adversary_seed"],
        train=config["train"],
        embedding=config["embedding"],
        device=config["device"],
    threads: config["threads"]
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/wp_adversary/{dataset}/lambda{lam}.log",
    resources:
        mem_mb=4000,
        runtime=240,
        gpu=1,
    script:
        "../../scripts/wp_adversary.py"


rule wp_table_adversary:
    input:
        base=wp_base_predictions,
        predictions=lambda w: wp_adversary_files(w.dataset, "test.parquet"),
        configs=lambda w: wp_adversary_files(w.dataset, "config.json"),
    output:
        parquet="results/wp/{dataset}/adversary.parquet",
        markdown=report(
            "results/wp/{dataset}/adversary.md",
            caption="../report/wp_adversary.rst",
            category="Wiegreffe & Pinter",
            subcategory="{dataset}",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/wp_table_adversary/{dataset}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/wp_adversary_table.py"


rule wp_guided:
    input:
        unpack(wp_guide_inputs),
        train=prepared_file("train.parquet"),
        dev=prepared_file("dev.parquet"),
        test=prepared_file("test.parquet"),
        vocab=prepared_file("vocab.txt"),
        embeddings=embedding_input,
    output:
        weights="results/wp/{dataset}/guided/{guide}/model.safetensors",
        config="results/wp/{dataset}/guided/{guide}/config.json",
        epochs="results/wp/{dataset}/guided/{guide}/epochs.parquet",
        predictions="results/wp/{dataset}/guided/{guide}/test.parquet",
        metrics="results/wp/{dataset}/guided/{guide}/test_metrics.parquet",
    wildcard_constraints:
        guide=r"base|adversary-lambda[0-9.e+-]+",
    params:
        encoder="average",
        seed=WP["base"]["seed"],
        train=config["train"],
        model=config["model"],
        embedding=config["embedding"],
        device=config["device"],
    threads: config["threads"]
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/wp_guided/{dataset}/{guide}.log",
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=1,
    script:
        "../../scripts/wp_guided.py"


rule wp_table_guided:
    input:
        lambda w: [path.format(dataset=w.dataset) for _, _, path in wp_guides()],
    output:
        parquet="results/wp/{dataset}/guided.parquet",
        markdown=report(
            "results/wp/{dataset}/guided.md",
            caption="../report/wp_guided.rst",
            category="Wiegreffe & Pinter",
            subcategory="{dataset}",
        ),
    params:
        guides=[[guide, label] for guide, label, _ in wp_guides()],
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/wp_table_guided/{dataset}.log",
    localrule: True
    script:
        "../../scripts/wp_guided_table.py"


rule wp_tradeoff:
    input:
        unpack(wp_tradeoff_inputs),
    output:
        parquet="results/wp/{dataset}/tradeoff.parquet",
        markdown=report(
            "results/wp/{dataset}/tradeoff.md",
            caption="../report/wp_tradeoff_table.rst",
            category="Wiegreffe & Pinter",
            subcategory="{dataset}",
        ),
    params:
        seeds=WP["seeds"],
        lambdas=[float(t) for t in WP["lambda_tags"]],
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/wp_tradeoff/{dataset}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/wp_tradeoff.py"


rule wp_fig_seed_variance:
    input:
        instances="results/wp/{dataset}/seed_variance.parquet",
    output:
        pdf="results/figures/{dataset}/wp/seed_variance.pdf",
        png=report(
            "results/figures/{dataset}/wp/seed_variance.png",
            caption="../report/wp_seed_variance.rst",
            category="Wiegreffe & Pinter",
            subcategory="{dataset}",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/wp_fig_seed_variance/{dataset}.log",
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../../scripts/wp_fig_seed_variance.py"


rule wp_fig_tradeoff:
    input:
        tradeoff="results/wp/{dataset}/tradeoff.parquet",
    output:
        pdf="results/figures/{dataset}/wp/tradeoff.pdf",
        png=report(
            "results/figures/{dataset}/wp/tradeoff.png",
            caption="../report/wp_tradeoff.rst",
            category="Wiegreffe & Pinter",
            subcategory="{dataset}",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/wp_fig_tradeoff/{dataset}.log",
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../../scripts/wp_fig_tradeoff.py"
