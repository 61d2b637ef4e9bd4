include: "wp_helpers.smk"


rule wp_all:
    input:
        wp_targets(),
    localrule: True


rule wp_table_uniform:
    input:
        unpack(wp_uniform_inputs),
    output:
        parquet=wp_table("uniform", "parquet"),
        markdown=wp_table("uniform", "md"),
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
        markdown=wp_table("seed_variance", "md"),
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
        markdown=wp_table("adversary", "md"),
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
        markdown=wp_table("guided", "md"),
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
        markdown=wp_table("tradeoff", "md"),
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
            category="4. Wiegreffe & Pinter 2019",
            subcategory="{dataset}",
            labels={
                "item": "Seed variance of attention (WP Fig. 3)",
                "model": "base model and seeds",
            },
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


rule wp_fig_seed_variance_jw:
    input:
        instances=rules.wp_seed_variance.output.instances,
        jw_adversary=wp_jw_adversary,
    output:
        pdf=wp_figure("seed_variance_jw", "pdf"),
        png=report(
            wp_figure("seed_variance_jw", "png"),
            caption="../report/wp_seed_variance_jw.rst",
            category="Wiegreffe & Pinter",
            subcategory="{dataset}",
        ),
    log:
        log_file("wp_fig_seed_variance_jw", "{dataset}"),
    benchmark:
        benchmark_file("wp_fig_seed_variance_jw", "{dataset}")
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
        jw_adversary=wp_jw_adversary,
    output:
        pdf=wp_figure("tradeoff", "pdf"),
        png=report(
            wp_figure("tradeoff", "png"),
            caption="../report/wp_tradeoff.rst",
            category="4. Wiegreffe & Pinter 2019",
            subcategory="{dataset}",
            labels={
                "item": "JSD-TVD trade-off (WP Fig. 4)",
                "model": "base model, seeds, adversaries",
            },
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
