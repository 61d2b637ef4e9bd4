include: "jw_helpers.smk"


rule jw_all:
    input:
        jw_targets(),


rule jw_importance:
    input:
        weights=model_file("model.safetensors"),
        config=model_file("config.json"),
        split=prepared_file("test.parquet"),
        predictions=prediction_file("test.parquet"),
    output:
        jw_file("importance/{method}.parquet"),
    log:
        log_file("jw_importance", JW_METHOD),
    benchmark:
        benchmark_file("jw_importance", JW_METHOD)
    conda:
        "../envs/seatlib.yaml"
    threads: config["threads"]
    resources:
        mem_mb=6000,
        runtime=120,
        gpu=1,
    params:
        options=jw_importance_params,
        device=config["device"],
    script:
        STEP


rule jw_agreement:
    input:
        predictions=prediction_file("test.parquet"),
        importance=expand(
            jw_file("importance/{method}.parquet"),
            method=JW_METHODS,
            allow_missing=True,
        ),
    output:
        jw_file("agreement.parquet"),
    log:
        log_file("jw_agreement", JW_MODEL),
    benchmark:
        benchmark_file("jw_agreement", JW_MODEL)
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        methods=JW_METHODS,
        scores=JW["agreement"]["scores"],
    script:
        STEP


rule jw_table2:
    input:
        jw_expand(jw_file("agreement.parquet")),
    output:
        parquet="results/jw/tables/table2.parquet",
        markdown="results/jw/tables/table2.md",
    log:
        log_file("jw_table2"),
    benchmark:
        benchmark_file("jw_table2")
    localrule: True
    conda:
        "../envs/seatlib.yaml"
    script:
        STEP


rule jw_permute:
    input:
        weights=model_file("model.safetensors"),
        config=model_file("config.json"),
        split=prepared_file("test.parquet"),
        predictions=prediction_file("test.parquet"),
    output:
        jw_file("permutation.parquet"),
    log:
        log_file("jw_permute", JW_MODEL),
    benchmark:
        benchmark_file("jw_permute", JW_MODEL)
    conda:
        "../envs/seatlib.yaml"
    threads: config["threads"]
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=1,
    params:
        options=JW["permutation"],
        device=config["device"],
    script:
        STEP


rule jw_adversary:
    input:
        weights=model_file("model.safetensors"),
        config=model_file("config.json"),
        split=prepared_file("test.parquet"),
        predictions=prediction_file("test.parquet"),
    output:
        jw_file("adversary.parquet"),
    log:
        log_file("jw_adversary", JW_MODEL),
    benchmark:
        benchmark_file("jw_adversary", JW_MODEL)
    conda:
        "../envs/seatlib.yaml"
    threads: config["threads"]
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=1,
    params:
        options=JW["adversary"],
        device=config["device"],
    script:
        STEP


rule jw_fig_tau_hist:
    input:
        jw_file("agreement.parquet"),
    output:
        pdf=jw_figure("tau_hist", "pdf"),
        png=report(
            jw_figure("tau_hist", "png"),
            caption="../report/jw_tau_hist.rst",
            category="3. Jain & Wallace 2019",
            subcategory="{dataset}",
            labels={
                "item": "Kendall tau histograms (JW Fig. 2-3)",
                "model": "{encoder}-{attention} seed {seed}",
            },
        ),
    log:
        log_file("jw_fig_tau_hist", JW_MODEL),
    benchmark:
        benchmark_file("jw_fig_tau_hist", JW_MODEL)
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        STEP


rule jw_fig_tau_density:
    input:
        jw_file("agreement.parquet"),
    output:
        pdf=jw_figure("tau_density", "pdf"),
        png=report(
            jw_figure("tau_density", "png"),
            caption="../report/jw_tau_density.rst",
            category="3. Jain & Wallace 2019",
            subcategory="{dataset}",
            labels={"item": "Kendall tau densities", "model": "{encoder}-{attention} seed {seed}"},
        ),
    log:
        log_file("jw_fig_tau_density", JW_MODEL),
    benchmark:
        benchmark_file("jw_fig_tau_density", JW_MODEL)
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        STEP


rule jw_fig_permutation:
    input:
        jw_file("permutation.parquet"),
    output:
        pdf=jw_figure("permutation", "pdf"),
        png=report(
            jw_figure("permutation", "png"),
            caption="../report/jw_permutation.rst",
            category="3. Jain & Wallace 2019",
            subcategory="{dataset}",
            labels={
                "item": "Attention permutation (JW Fig. 4)",
                "model": "{encoder}-{attention} seed {seed}",
            },
        ),
    log:
        log_file("jw_fig_permutation", JW_MODEL),
    benchmark:
        benchmark_file("jw_fig_permutation", JW_MODEL)
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        STEP


rule jw_fig_adversary:
    input:
        jw_file("adversary.parquet"),
    output:
        pdf=jw_figure("adversary", "pdf"),
        png=report(
            jw_figure("adversary", "png"),
            caption="../report/jw_adversary.rst",
            category="3. Jain & Wallace 2019",
            subcategory="{dataset}",
            labels={
                "item": "Adversarial attention JSD (JW Fig. 5-6)",
                "model": "{encoder}-{attention} seed {seed}",
            },
        ),
    log:
        log_file("jw_fig_adversary", JW_MODEL),
    benchmark:
        benchmark_file("jw_fig_adversary", JW_MODEL)
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        STEP


rule jw_fig_adversary_example:
    input:
        adversary=jw_file("adversary.parquet"),
        predictions=prediction_file("test.parquet"),
    output:
        pdf=jw_figure("adversary_example", "pdf"),
        png=report(
            jw_figure("adversary_example", "png"),
            caption="../report/jw_adversary_example.rst",
            category="3. Jain & Wallace 2019",
            subcategory="{dataset}",
            labels={
                "item": "Adversarial attention example (JW Fig. 1)",
                "model": "{encoder}-{attention} seed {seed}",
            },
        ),
    log:
        log_file("jw_fig_adversary_example", JW_MODEL),
    benchmark:
        benchmark_file("jw_fig_adversary_example", JW_MODEL)
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        STEP


rule jw_fig_tau_bars:
    input:
        rules.jw_table2.output.parquet,
    output:
        pdf="results/jw/figures/tau_bars.pdf",
        png=report(
            "results/jw/figures/tau_bars.png",
            caption="../report/jw_tau_bars.rst",
            category="3. Jain & Wallace 2019",
            subcategory="all datasets",
            labels={"item": "Mean Kendall tau per dataset and encoder", "model": "all models"},
        ),
    log:
        log_file("jw_fig_tau_bars"),
    benchmark:
        benchmark_file("jw_fig_tau_bars")
    localrule: True
    conda:
        "../envs/seatlib.yaml"
    script:
        STEP


rule jw_corrgl:
    input:
        jw_expand(jw_file("agreement.parquet")),
    output:
        parquet="results/jw/tables/corrgl.parquet",
        markdown=report(
            "results/jw/tables/corrgl.md",
            caption="../report/jw_corrgl_table.rst",
            category="Jain & Wallace",
        ),
    log:
        log_file("jw_corrgl"),
    benchmark:
        benchmark_file("jw_corrgl")
    localrule: True
    conda:
        "../envs/seatlib.yaml"
    script:
        STEP


rule jw_fig_corrgl:
    input:
        jw_dataset_agreements,
    output:
        pdf="results/jw/figures/{dataset}/corrgl.pdf",
        png=report(
            "results/jw/figures/{dataset}/corrgl.png",
            caption="../report/jw_corrgl.rst",
            category="Jain & Wallace",
            subcategory="{dataset}",
        ),
    log:
        log_file("jw_fig_corrgl", "{dataset}"),
    benchmark:
        benchmark_file("jw_fig_corrgl", "{dataset}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        STEP


rule jw_fig_corrgl_summary:
    input:
        rules.jw_corrgl.output.parquet,
    output:
        pdf="results/jw/figures/corrgl_summary.pdf",
        png=report(
            "results/jw/figures/corrgl_summary.png",
            caption="../report/jw_corrgl_summary.rst",
            category="Jain & Wallace",
        ),
    log:
        log_file("jw_fig_corrgl_summary"),
    benchmark:
        benchmark_file("jw_fig_corrgl_summary")
    localrule: True
    conda:
        "../envs/seatlib.yaml"
    script:
        STEP
