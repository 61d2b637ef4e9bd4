rule models_train:
    input:
        train=prepared_file("train.parquet"),
        dev=prepared_file("dev.parquet"),
        vocab=prepared_file("vocab.txt"),
        embeddings=embedding_input,
    output:
        weights=model_file("model.safetensors"),
        config=model_file("config.json"),
        epochs=model_file("epochs.parquet"),
    params:
        train=config["train"],
        model=config["model"],
        embedding=config["embedding"],
        device=config["device"],
    threads: config["threads"]
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/models_train/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=1,
    script:
        "../../scripts/train_model.py"


rule models_predict:
    input:
        weights=model_file("model.safetensors"),
        config=model_file("config.json"),
        test=prepared_file("test.parquet"),
    output:
        predictions=prediction_file("test.parquet"),
        metrics=prediction_file("test_metrics.parquet"),
    params:
        device=config["device"],
    threads: config["threads"]
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/models_predict/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=4000,
        runtime=30,
    script:
        "../../scripts/predict.py"


rule models_table_metrics:
    input:
        experiment_grid(prediction_file("test_metrics.parquet")),
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
        "results/logs/models_table_metrics.log",
    localrule: True
    script:
        "../../scripts/metrics_table.py"


rule models_fig_test_summary:
    input:
        predictions=prediction_file("test.parquet"),
    output:
        pdf="results/figures/{dataset}/{encoder}-{attention}/seed{seed}/test_summary.pdf",
        png=report(
            "results/figures/{dataset}/{encoder}-{attention}/seed{seed}/test_summary.png",
            caption="../report/test_summary.rst",
            category="Models",
            subcategory="{dataset} {encoder}-{attention} seed {seed}",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/models_fig_test_summary/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../../scripts/fig_test_summary.py"


def models_targets():
    return [
        "results/tables/test_metrics.md",
        *experiment_grid(
            "results/figures/{dataset}/{encoder}-{attention}/seed{seed}/test_summary.png"
        ),
    ]
