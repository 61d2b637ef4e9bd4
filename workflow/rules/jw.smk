# --- helpers of Jain & Wallace's study ---
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


rule jw_importance:
    input:
        weights=model_file("model.safetensors"),
        config=model_file("config.json"),
        split=prepared_file("test.parquet"),
        predictions=prediction_file("test.parquet"),
    output:
        "results/jw/{dataset}/{encoder}-{attention}/seed{seed}/importance/{method}.parquet",
    params:
        options=JW_IMPORTANCE_OPTIONS,
        device=config["device"],
    threads: config["threads"]
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/jw_importance/{dataset}/{encoder}-{attention}/seed{seed}/{method}.log",
    resources:
        mem_mb=6000,
        runtime=120,
        gpu=1,
    script:
        "../../scripts/compute_importance.py"


rule jw_agreement:
    input:
        predictions=prediction_file("test.parquet"),
        importance=expand(
            "results/jw/{{dataset}}/{{encoder}}-{{attention}}/seed{{seed}}/importance/{method}.parquet",
            method=JW_METHODS,
        ),
    output:
        "results/jw/{dataset}/{encoder}-{attention}/seed{seed}/agreement.parquet",
    params:
        methods=JW_METHODS,
        scores=JW["agreement"]["scores"],
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/jw_agreement/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=4000,
        runtime=30,
    script:
        "../../scripts/compare_importance.py"


rule jw_table2:
    input:
        jw_expand("results/jw/{dataset}/{encoder}-{attention}/seed{seed}/agreement.parquet"),
    output:
        parquet="results/tables/jw_table2.parquet",
        markdown=report(
            "results/tables/jw_table2.md",
            caption="../report/jw_table2.rst",
            category="Jain & Wallace",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/jw_table2.log",
    localrule: True
    script:
        "../../scripts/jw_table2.py"


rule jw_permute:
    input:
        weights=model_file("model.safetensors"),
        config=model_file("config.json"),
        split=prepared_file("test.parquet"),
        predictions=prediction_file("test.parquet"),
    output:
        "results/jw/{dataset}/{encoder}-{attention}/seed{seed}/permutation.parquet",
    params:
        options=JW["permutation"],
        device=config["device"],
    threads: config["threads"]
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/jw_permute/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=1,
    script:
        "../../scripts/permute_attention.py"


rule jw_adversary:
    input:
        weights=model_file("model.safetensors"),
        config=model_file("config.json"),
        split=prepared_file("test.parquet"),
        predictions=prediction_file("test.parquet"),
    output:
        "results/jw/{dataset}/{encoder}-{attention}/seed{seed}/adversary.parquet",
    params:
        options=JW["adversary"],
        device=config["device"],
    threads: config["threads"]
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/jw_adversary/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=1,
    script:
        "../../scripts/attack_attention.py"


rule jw_fig_tau_hist:
    input:
        "results/jw/{dataset}/{encoder}-{attention}/seed{seed}/agreement.parquet",
    output:
        pdf="results/figures/jw/{dataset}/{encoder}-{attention}/seed{seed}/tau_hist.pdf",
        png=report(
            "results/figures/jw/{dataset}/{encoder}-{attention}/seed{seed}/tau_hist.png",
            caption="../report/jw_tau_hist.rst",
            category="Jain & Wallace",
            subcategory="{dataset} {encoder}-{attention}",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/jw_fig_tau_hist/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/fig_jw_tau_hist.py"


rule jw_fig_tau_density:
    input:
        "results/jw/{dataset}/{encoder}-{attention}/seed{seed}/agreement.parquet",
    output:
        pdf="results/figures/jw/{dataset}/{encoder}-{attention}/seed{seed}/tau_density.pdf",
        png=report(
            "results/figures/jw/{dataset}/{encoder}-{attention}/seed{seed}/tau_density.png",
            caption="../report/jw_tau_density.rst",
            category="Jain & Wallace",
            subcategory="{dataset} {encoder}-{attention}",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/jw_fig_tau_density/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/fig_jw_tau_density.py"


rule jw_fig_permutation:
    input:
        "results/jw/{dataset}/{encoder}-{attention}/seed{seed}/permutation.parquet",
    output:
        pdf="results/figures/jw/{dataset}/{encoder}-{attention}/seed{seed}/permutation.pdf",
        png=report(
            "results/figures/jw/{dataset}/{encoder}-{attention}/seed{seed}/permutation.png",
            caption="../report/jw_permutation.rst",
            category="Jain & Wallace",
            subcategory="{dataset} {encoder}-{attention}",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/jw_fig_permutation/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/fig_jw_permutation.py"


rule jw_fig_adversary:
    input:
        "results/jw/{dataset}/{encoder}-{attention}/seed{seed}/adversary.parquet",
    output:
        pdf="results/figures/jw/{dataset}/{encoder}-{attention}/seed{seed}/adversary.pdf",
        png=report(
            "results/figures/jw/{dataset}/{encoder}-{attention}/seed{seed}/adversary.png",
            caption="../report/jw_adversary.rst",
            category="Jain & Wallace",
            subcategory="{dataset} {encoder}-{attention}",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/jw_fig_adversary/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/fig_jw_adversary.py"


rule jw_fig_adversary_example:
    input:
        adversary="results/jw/{dataset}/{encoder}-{attention}/seed{seed}/adversary.parquet",
        predictions=prediction_file("test.parquet"),
    output:
        pdf="results/figures/jw/{dataset}/{encoder}-{attention}/seed{seed}/adversary_example.pdf",
        png=report(
            "results/figures/jw/{dataset}/{encoder}-{attention}/seed{seed}/adversary_example.png",
            caption="../report/jw_adversary_example.rst",
            category="Jain & Wallace",
            subcategory="{dataset} {encoder}-{attention}",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/jw_fig_adversary_example/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/fig_jw_adversary_example.py"


rule jw_fig_tau_bars:
    input:
        "results/tables/jw_table2.parquet",
    output:
        pdf="results/figures/jw/tau_bars.pdf",
        png=report(
            "results/figures/jw/tau_bars.png",
            caption="../report/jw_tau_bars.rst",
            category="Jain & Wallace",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/jw_fig_tau_bars.log",
    localrule: True
    script:
        "../../scripts/fig_jw_tau_bars.py"
