include: "truth_helpers.smk"


rule truth_make:
    input:
        train=prepared_file("train.parquet"),
        dev=prepared_file("dev.parquet"),
        test=prepared_file("test.parquet"),
        vocab=prepared_file("vocab.txt"),
    output:
        train=truth_file("train.parquet"),
        dev=truth_file("dev.parquet"),
        test=truth_file("test.parquet"),
        markers=truth_file("markers.parquet"),
    log:
        log_file("truth_make", "{dataset}"),
    benchmark:
        benchmark_file("truth_make", "{dataset}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        truth={
            k: TRUTH[k]
            for k in (
                "variant",
                "n_markers",
                "n_planted",
                "n_distractors",
                "min_count",
                "max_count",
                "balance",
                "data_seed",
            )
        },
    script:
        STEP


rule truth_train:
    input:
        train=truth_file("train.parquet"),
        dev=truth_file("dev.parquet"),
        vocab=prepared_file("vocab.txt"),
        embeddings=embedding_input,
    output:
        weights=truth_model_file("model.safetensors"),
        config=truth_model_file("config.json"),
        epochs=truth_model_file("epochs.parquet"),
    log:
        log_file("truth_train", "{dataset}/{encoder}-{attention}/seed{seed}"),
    benchmark:
        benchmark_file("truth_train", "{dataset}/{encoder}-{attention}/seed{seed}")
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


rule truth_score:
    input:
        weights=truth_model_file("model.safetensors"),
        config=truth_model_file("config.json"),
        test=truth_file("test.parquet"),
    output:
        checks=truth_score_file("checks.parquet"),
        examples=truth_score_file("examples.parquet"),
    log:
        log_file("truth_score", "{dataset}/{encoder}-{attention}/seed{seed}"),
    benchmark:
        benchmark_file("truth_score", "{dataset}/{encoder}-{attention}/seed{seed}")
    conda:
        "../envs/seatlib.yaml"
    threads: config["threads"]
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        explainers=TRUTH["explainers"],
        importance=truth_importance(),
        fractions=TRUTH["eraser_fractions"],
        max_examples=TRUTH["max_examples"],
        min_accuracy=TRUTH["min_accuracy"],
        max_removed_gap=TRUTH["max_removed_gap"],
        variant=TRUTH["variant"],
        device=config["device"],
    script:
        STEP


rule truth_table_scores:
    input:
        checks=truth_grid(truth_score_file("checks.parquet")),
        examples=truth_grid(truth_score_file("examples.parquet")),
    output:
        parquet="results/truth/tables/scores.parquet",
        markdown="results/truth/tables/scores.md",
        checks="results/truth/tables/checks.parquet",
        checks_markdown="results/truth/tables/checks.md",
    log:
        log_file("truth_table_scores"),
    benchmark:
        benchmark_file("truth_table_scores")
    localrule: True
    conda:
        "../envs/seatlib.yaml"
    params:
        n_bootstrap=TRUTH["n_bootstrap"],
        bootstrap_seed=TRUTH["bootstrap_seed"],
    script:
        STEP


rule truth_fig_scores:
    input:
        scores=rules.truth_table_scores.output.parquet,
    output:
        pdf="results/truth/figures/scores.pdf",
        png=report(
            "results/truth/figures/scores.png",
            caption="../report/truth_scores_fig.rst",
            category="7. Planted evidence",
            labels={"item": "Explainers against the planted truth", "model": "all models"},
        ),
    log:
        log_file("truth_fig_scores"),
    benchmark:
        benchmark_file("truth_fig_scores")
    localrule: True
    conda:
        "../envs/seatlib.yaml"
    script:
        STEP


rule truth_all:
    input:
        truth_targets(),
