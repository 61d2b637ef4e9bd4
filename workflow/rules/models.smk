include: "models_helpers.smk"


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
    log:
        log_file("models_train", "{dataset}/{encoder}-{attention}/seed{seed}"),
    benchmark:
        benchmark_file("models_train", "{dataset}/{encoder}-{attention}/seed{seed}")
    conda:
        "../envs/seatlib.yaml"
    threads: config["threads"]
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=1,
    params:
        train=config["train"],
        model=config["model"],
        embedding=config["embedding"],
        device=config["device"],
    script:
        STEP


rule models_predict:
    input:
        weights=model_file("model.safetensors"),
        config=model_file("config.json"),
        test=prepared_file("test.parquet"),
    output:
        predictions=prediction_file("test.parquet"),
        metrics=prediction_file("test_metrics.parquet"),
    log:
        log_file("models_predict", "{dataset}/{encoder}-{attention}/seed{seed}"),
    benchmark:
        benchmark_file("models_predict", "{dataset}/{encoder}-{attention}/seed{seed}")
    conda:
        "../envs/seatlib.yaml"
    threads: config["threads"]
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        device=config["device"],
    script:
        STEP


rule models_table_metrics:
    input:
        experiment_grid(prediction_file("test_metrics.parquet")),
    output:
        parquet="results/models/tables/test_metrics.parquet",
        markdown="results/models/tables/test_metrics.md",
    log:
        log_file("models_table_metrics"),
    benchmark:
        benchmark_file("models_table_metrics")
    localrule: True
    conda:
        "../envs/seatlib.yaml"
    script:
        STEP


rule models_fig_test_summary:
    input:
        predictions=prediction_file("test.parquet"),
    output:
        pdf=models_figure("test_summary.pdf"),
        png=report(
            models_figure("test_summary.png"),
            caption="../report/test_summary.rst",
            category="2. Models",
            subcategory="{dataset}",
            labels={
                "item": "Confusion matrix and max attention by class",
                "model": "{encoder}-{attention} seed {seed}",
            },
        ),
    log:
        log_file("models_fig_test_summary", "{dataset}/{encoder}-{attention}/seed{seed}"),
    benchmark:
        benchmark_file("models_fig_test_summary", "{dataset}/{encoder}-{attention}/seed{seed}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        STEP


rule models_all:
    input:
        models_targets(),
