rule compute_importance:
    input:
        weights="results/models/{dataset}/{encoder}-{attention}/seed{seed}/model.safetensors",
        config="results/models/{dataset}/{encoder}-{attention}/seed{seed}/config.json",
        split="results/prepared/{dataset}/test.parquet",
        predictions="results/predictions/{dataset}/{encoder}-{attention}/seed{seed}/test.parquet",
    output:
        "results/jw/{dataset}/{encoder}-{attention}/seed{seed}/importance/{method}.parquet",
    params:
        options=JW_IMPORTANCE_OPTIONS,
        device=config["device"],
    threads: config["threads"]
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/compute_importance/{dataset}/{encoder}-{attention}/seed{seed}/{method}.log",
    resources:
        mem_mb=6000,
        runtime=120,
        gpu=1,
    script:
        "../../scripts/compute_importance.py"


rule compare_importance:
    input:
        predictions="results/predictions/{dataset}/{encoder}-{attention}/seed{seed}/test.parquet",
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
        "results/logs/compare_importance/{dataset}/{encoder}-{attention}/seed{seed}.log",
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


rule permute_attention:
    input:
        weights="results/models/{dataset}/{encoder}-{attention}/seed{seed}/model.safetensors",
        config="results/models/{dataset}/{encoder}-{attention}/seed{seed}/config.json",
        split="results/prepared/{dataset}/test.parquet",
        predictions="results/predictions/{dataset}/{encoder}-{attention}/seed{seed}/test.parquet",
    output:
        "results/jw/{dataset}/{encoder}-{attention}/seed{seed}/permutation.parquet",
    params:
        options=JW["permutation"],
        device=config["device"],
    threads: config["threads"]
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/permute_attention/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=1,
    script:
        "../../scripts/permute_attention.py"


rule attack_attention:
    input:
        weights="results/models/{dataset}/{encoder}-{attention}/seed{seed}/model.safetensors",
        config="results/models/{dataset}/{encoder}-{attention}/seed{seed}/config.json",
        split="results/prepared/{dataset}/test.parquet",
        predictions="results/predictions/{dataset}/{encoder}-{attention}/seed{seed}/test.parquet",
    output:
        "results/jw/{dataset}/{encoder}-{attention}/seed{seed}/adversary.parquet",
    params:
        options=JW["adversary"],
        device=config["device"],
    threads: config["threads"]
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/attack_attention/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=1,
    script:
        "../../scripts/attack_attention.py"
