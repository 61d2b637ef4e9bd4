rule train_model:
    input:
        train="results/prepared/{dataset}/train.parquet",
        dev="results/prepared/{dataset}/dev.parquet",
        vocab="results/prepared/{dataset}/vocab.txt",
        embeddings=embedding_input,
    output:
        weights="results/models/{dataset}/{encoder}-{attention}/seed{seed}/model.safetensors",
        config="results/models/{dataset}/{encoder}-{attention}/seed{seed}/config.json",
        epochs="results/models/{dataset}/{encoder}-{attention}/seed{seed}/epochs.parquet",
    params:
        train=config["train"],
        model=config["model"],
        embedding=config["embedding"],
        device=config["device"],
    threads: config["threads"]
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/train_model/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=1,
    script:
        "../../scripts/train_model.py"


rule predict:
    input:
        weights="results/models/{dataset}/{encoder}-{attention}/seed{seed}/model.safetensors",
        config="results/models/{dataset}/{encoder}-{attention}/seed{seed}/config.json",
        test="results/prepared/{dataset}/test.parquet",
    output:
        predictions="results/predictions/{dataset}/{encoder}-{attention}/seed{seed}/test.parquet",
        metrics="results/predictions/{dataset}/{encoder}-{attention}/seed{seed}/test_metrics.parquet",
    params:
        device=config["device"],
    threads: config["threads"]
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/predict/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=4000,
        runtime=30,
    script:
        "../../scripts/predict.py"


rule metrics_table:
    input:
        experiment_grid("results/predictions/{dataset}/{encoder}-{attention}/seed{seed}/test_metrics.parquet"),
    output:
        parquet="results/tables/test_metrics.parquet",
        markdown=report(
            "results/tables/test_metrics.md",
            caption="../report/test_metrics.rst",
            category="Models",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/metrics_table.log",
    localrule: True
    script:
        "../../scripts/metrics_table.py"
