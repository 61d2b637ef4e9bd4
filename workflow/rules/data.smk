include: "data_helpers.smk"


rule data_download:
    output:
        directory(raw_dir()),
    log:
        log_file("data_download", "{dataset}"),
    benchmark:
        benchmark_file("data_download", "{dataset}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        # the mirror is not a param: where the files came from (pinned by SHA-256) must not
        # re-run what was built from them; the step reads data.mirror / SEAT_DATA_MIRROR itself
        timeout=config["data"]["download_timeout"],
    script:
        STEP


rule data_prepare:
    input:
        raw=raw_input,
    output:
        train=prepared_file("train.parquet"),
        dev=prepared_file("dev.parquet"),
        test=prepared_file("test.parquet"),
        vocab=prepared_file("vocab.txt"),
        stats=prepared_file("stats.parquet"),
    log:
        log_file("data_prepare", "{dataset}"),
    benchmark:
        benchmark_file("data_prepare", "{dataset}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        options=prepare_params,
    script:
        STEP


rule data_embed:
    input:
        vocab=prepared_file("vocab.txt"),
    output:
        prepared_file("embeddings.safetensors"),
    log:
        log_file("data_embed", "{dataset}"),
    benchmark:
        benchmark_file("data_embed", "{dataset}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        source=config["embedding"]["source"],
    script:
        STEP


rule data_table_stats:
    input:
        [prepared_file("stats.parquet", d) for d in EXP["datasets"]],
    output:
        parquet="results/data/tables/dataset_stats.parquet",
        markdown="results/data/tables/dataset_stats.md",
    log:
        log_file("data_table_stats"),
    benchmark:
        benchmark_file("data_table_stats")
    localrule: True
    conda:
        "../envs/seatlib.yaml"
    script:
        STEP


rule data_all:
    input:
        data_targets(),


rule data_table_html:
    input:
        "results/{track}/tables/{table}.md",
    output:
        report(
            "results/{track}/tables/{table}.html",
            caption="../report/table.rst",
            category=report_table_category,
            subcategory=report_table_subcategory,
            labels=report_table_labels,
        ),
    log:
        log_file("data_table_html", "{track}/{table}"),
    wildcard_constraints:
        track="|".join(STUDIES),
        table=r"[A-Za-z0-9_]+(/[A-Za-z0-9_]+)?",
    localrule: True
    conda:
        "../envs/seatlib.yaml"
    params:
        # the caption is a param so that the report shows the text of this table's .rst
        caption=report_table_caption,
    script:
        STEP
