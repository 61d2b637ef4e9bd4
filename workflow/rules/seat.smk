include: "seat_helpers.smk"


rule seat_all:
    input:
        seat_targets(),
    localrule: True


rule seat_substitutions:
    input:
        split=prepared_file("test.parquet"),
        vocab=prepared_file("vocab.txt"),
    output:
        seat_substitutions_file(),
    log:
        log_file("seat_substitutions", "{dataset}"),
    benchmark:
        benchmark_file("seat_substitutions", "{dataset}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=3000,
        runtime=10,
    params:
        n_words=SEAT["eval"]["substitution_words"],
        seed=SEAT["eval"]["seed"],
    script:
        STEP


rule seat_train:
    input:
        train=prepared_file("train.parquet"),
        dev=prepared_file("dev.parquet"),
        vanilla_weights=seat_vanilla_file("model.safetensors"),
        vanilla_config=seat_vanilla_file("config.json"),
        embeddings=embedding_input,
    output:
        weights=seat_file("models", "model.safetensors"),
        config=seat_file("models", "config.json"),
        epochs=seat_file("models", "epochs.parquet"),
    log:
        log_file("seat_train", SEAT_MODEL),
    benchmark:
        benchmark_file("seat_train", SEAT_MODEL)
    wildcard_constraints:
        method=SEAT_TRAINED,
    conda:
        "../envs/seatlib.yaml"
    threads: config["threads"]
    resources:
        mem_mb=4000,
        runtime=240,
        gpu=1,
    params:
        train=config["train"],  # the JW recipe's keys, recorded whole in config.json
        seat=SEAT["train"],
        device=config["device"],
    script:
        STEP


rule seat_evaluate:
    input:
        weights=seat_model_file("model.safetensors"),
        config=seat_model_file("config.json"),
        vanilla_weights=seat_vanilla_file("model.safetensors"),
        vanilla_config=seat_vanilla_file("config.json"),
        test=prepared_file("test.parquet"),
        substitutions=seat_substitutions_file(),
    output:
        summary=seat_file("eval", "summary.parquet"),
        instances=seat_file("eval", "instances.parquet"),
        perturbation=seat_file("eval", "perturbation.parquet"),
    log:
        log_file("seat_evaluate", SEAT_MODEL),
    benchmark:
        benchmark_file("seat_evaluate", SEAT_MODEL)
    wildcard_constraints:
        method=SEAT_EVALUATED,
    conda:
        "../envs/seatlib.yaml"
    threads: config["threads"]
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=1,
    params:
        eval={k: v for k, v in SEAT["eval"].items() if k != "substitution_words"},
        topk=SEAT["train"]["topk"],
        device=config["device"],
    script:
        STEP


rule seat_table_results:
    input:
        seat_grid("eval", "summary.parquet"),
    output:
        parquet="results/seat/tables/results.parquet",
        markdown="results/seat/tables/results.md",
    log:
        log_file("seat_table_results"),
    benchmark:
        benchmark_file("seat_table_results")
    localrule: True
    conda:
        "../envs/seatlib.yaml"
    params:
        methods=SEAT["methods"],
    script:
        STEP


rule seat_table_seed_stability:
    input:
        seat_grid("eval", "instances.parquet"),
    output:
        parquet="results/seat/tables/seed_stability.parquet",
        markdown="results/seat/tables/seed_stability.md",
    log:
        log_file("seat_table_seed_stability"),
    benchmark:
        benchmark_file("seat_table_seed_stability")
    localrule: True
    conda:
        "../envs/seatlib.yaml"
    params:
        k=SEAT["train"]["topk"],
    script:
        STEP


rule seat_fig_heatmap:
    input:
        unpack(seat_heatmap_inputs),
    output:
        pdf=seat_figure("pdf", "heatmap"),
        png=report(
            seat_figure("png", "heatmap"),
            caption="../report/seat_heatmap.rst",
            category="5. SEAT (Hu et al. 2023)",
            subcategory="{dataset}",
            labels={
                "item": "Attention under word substitution (SEAT Fig. 1)",
                "model": "{encoder}",
            },
        ),
    log:
        log_file("seat_fig_heatmap", "{dataset}/{encoder}"),
    benchmark:
        benchmark_file("seat_fig_heatmap", "{dataset}/{encoder}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        example=SEAT["figures"]["heatmap_example"],
    script:
        STEP


rule seat_fig_violin:
    input:
        seat_per_model("eval", "perturbation.parquet"),
    output:
        pdf=seat_figure("pdf", "violin"),
        png=report(
            seat_figure("png", "violin"),
            caption="../report/seat_violin.rst",
            category="5. SEAT (Hu et al. 2023)",
            subcategory="{dataset}",
            labels={"item": "Attention JSD under PGD by max-attention bin", "model": "{encoder}"},
        ),
    log:
        log_file("seat_fig_violin", "{dataset}/{encoder}"),
    benchmark:
        benchmark_file("seat_fig_violin", "{dataset}/{encoder}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        radius=SEAT["eval"]["radius"],
        methods=SEAT["methods"],
    script:
        STEP


rule seat_fig_topk_epochs:
    input:
        seat_per_model("models", "epochs.parquet", seat_trained()),
    output:
        pdf=seat_figure("pdf", "topk_epochs"),
        png=report(
            seat_figure("png", "topk_epochs"),
            caption="../report/seat_topk_epochs.rst",
            category="5. SEAT (Hu et al. 2023)",
            subcategory="{dataset}",
            labels={"item": "Top-k agreement with vanilla during training", "model": "{encoder}"},
        ),
    log:
        log_file("seat_fig_topk_epochs", "{dataset}/{encoder}"),
    benchmark:
        benchmark_file("seat_fig_topk_epochs", "{dataset}/{encoder}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        k=SEAT["train"]["topk"],
        methods=SEAT["methods"],
    script:
        STEP


rule seat_fig_radius:
    input:
        seat_per_model("eval", "perturbation.parquet"),
    output:
        pdf=seat_figure("pdf", "radius"),
        png=report(
            seat_figure("png", "radius"),
            caption="../report/seat_radius.rst",
            category="5. SEAT (Hu et al. 2023)",
            subcategory="{dataset}",
            labels={"item": "Stability against the attack radius", "model": "{encoder}"},
        ),
    log:
        log_file("seat_fig_radius", "{dataset}/{encoder}"),
    benchmark:
        benchmark_file("seat_fig_radius", "{dataset}/{encoder}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        methods=SEAT["methods"],
    script:
        STEP
