# --- helpers of the data track ---
def data_mirror():
    """config data.mirror, else SEAT_DATA_MIRROR, else None (download)."""
    mirror = config["data"]["mirror"] or os.environ.get("SEAT_DATA_MIRROR")
    return os.path.abspath(mirror) if mirror else None


def raw_input(wildcards):
    """A user dataset's own file, or the downloaded folder of a built-in one."""
    if wildcards.dataset in USER_DATASETS:
        return USER_DATASETS[wildcards.dataset]["path"]
    return raw_dir(wildcards.dataset)


def prepare_params(wildcards):
    return {
        "user": USER_DATASETS.get(wildcards.dataset),
        "max_train_examples": config["data"]["max_train_examples"],
        "max_eval_examples": config["data"]["max_eval_examples"],
    }


def embedding_input(wildcards):
    if config["embedding"]["source"] == "scratch":
        return []
    return prepared_file("embeddings.safetensors", wildcards.dataset)


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
        mirror=data_mirror(),
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
        markdown=report(
            "results/data/tables/dataset_stats.md",
            caption="../report/dataset_stats.rst",
            category="Data",
        ),
    log:
        log_file("data_table_stats"),
    benchmark:
        benchmark_file("data_table_stats")
    localrule: True
    conda:
        "../envs/seatlib.yaml"
    script:
        STEP


def data_targets():
    return [rules.data_table_stats.output.markdown]


rule data_all:
    input:
        data_targets(),
