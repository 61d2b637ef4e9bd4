rule download_dataset:
    output:
        directory("results/raw/{dataset}"),
    params:
        mirror=data_mirror(),
        timeout=config["data"]["download_timeout"],
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/download_dataset/{dataset}.log",
    resources:
        mem_mb=1000,
        runtime=30,
    script:
        "../../scripts/download_dataset.py"


rule prepare_dataset:
    input:
        raw=raw_input,
    output:
        train="results/prepared/{dataset}/train.parquet",
        dev="results/prepared/{dataset}/dev.parquet",
        test="results/prepared/{dataset}/test.parquet",
        vocab="results/prepared/{dataset}/vocab.txt",
        stats="results/prepared/{dataset}/stats.parquet",
    params:
        options=prepare_params,
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/prepare_dataset/{dataset}.log",
    resources:
        mem_mb=4000,
        runtime=30,
    script:
        "../../scripts/prepare_dataset.py"


rule embed_vocabulary:
    input:
        vocab="results/prepared/{dataset}/vocab.txt",
    output:
        "results/prepared/{dataset}/embeddings.safetensors",
    params:
        source=config["embedding"]["source"],
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/embed_vocabulary/{dataset}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/embed_vocabulary.py"


rule dataset_table:
    input:
        expand("results/prepared/{dataset}/stats.parquet", dataset=EXP["datasets"]),
    output:
        parquet="results/tables/dataset_stats.parquet",
        markdown=report(
            "results/tables/dataset_stats.md",
            caption="../report/dataset_stats.rst",
            category="Data",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/dataset_table.log",
    localrule: True
    script:
        "../../scripts/dataset_table.py"
