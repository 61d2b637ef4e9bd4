# SEAT (Hu et al. AAAI 2023) and its baselines: docs/seat.md. Helpers: common.smk (SEAT).
# Models: results/seat/models/{dataset}/{encoder}/{method}/seed{seed}/ (the vanilla model is
# train_model's results/models/{dataset}/{encoder}-tanh/seed{seed}/, reused, not retrained).


rule seat_all:
    input:
        seat_targets(),
    localrule: True


rule seat_substitutions:
    input:
        split="results/prepared/{dataset}/test.parquet",
        vocab="results/prepared/{dataset}/vocab.txt",
    output:
        "results/seat/substitutions/{dataset}/test.parquet",
    params:
        n_words=SEAT["eval"]["substitution_words"],
        seed=SEAT["eval"]["seed"],
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/seat_substitutions/{dataset}.log",
    resources:
        mem_mb=3000,
        runtime=10,
    script:
        "../../scripts/seat_substitutions.py"


rule train_seat:
    input:
        train="results/prepared/{dataset}/train.parquet",
        dev="results/prepared/{dataset}/dev.parquet",
        vanilla_weights=seat_vanilla_file("model.safetensors"),
        vanilla_config=seat_vanilla_file("config.json"),
        embeddings=embedding_input,
    output:
        weights="results/seat/models/{dataset}/{encoder}/{method}/seed{seed}/model.safetensors",
        config="results/seat/models/{dataset}/{encoder}/{method}/seed{seed}/config.json",
        epochs="results/seat/models/{dataset}/{encoder}/{method}/seed{seed}/epochs.parquet",
    wildcard_constraints:
        method=SEAT_TRAINED,
    params:
        train=config["train"],
        seat=SEAT["train"],
        device=config["device"],
    threads: config["threads"]
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/train_seat/{dataset}/{encoder}/{method}/seed{seed}.log",
    resources:
        mem_mb=4000,
        runtime=240,
        gpu=1,
    script:
        "../../scripts/train_seat.py"


rule evaluate_stability:
    input:
        weights=seat_model_file("model.safetensors"),
        config=seat_model_file("config.json"),
        vanilla_weights=seat_vanilla_file("model.safetensors"),
        vanilla_config=seat_vanilla_file("config.json"),
        test="results/prepared/{dataset}/test.parquet",
        substitutions="results/seat/substitutions/{dataset}/test.parquet",
    output:
        summary="results/seat/eval/{dataset}/{encoder}/{method}/seed{seed}/summary.parquet",
        instances="results/seat/eval/{dataset}/{encoder}/{method}/seed{seed}/instances.parquet",
        perturbation="results/seat/eval/{dataset}/{encoder}/{method}/seed{seed}/perturbation.parquet",
    wildcard_constraints:
        method=SEAT_EVALUATED,
    params:
        eval=SEAT["eval"],
        topk=SEAT["train"]["topk"],
        device=config["device"],
    threads: config["threads"]
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/evaluate_stability/{dataset}/{encoder}/{method}/seed{seed}.log",
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=1,
    script:
        "../../scripts/evaluate_stability.py"


rule seat_results_table:
    input:
        seat_grid("results/seat/eval/{dataset}/{encoder}/{method}/seed{seed}/summary.parquet"),
    output:
        parquet="results/seat/tables/results.parquet",
        markdown=report(
            "results/seat/tables/results.md",
            caption="../report/seat_results.rst",
            category="SEAT",
        ),
    params:
        methods=SEAT["methods"],
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/seat_results_table.log",
    localrule: True
    script:
        "../../scripts/seat_results_table.py"


rule seat_seed_stability:
    input:
        seat_grid("results/seat/eval/{dataset}/{encoder}/{method}/seed{seed}/instances.parquet"),
    output:
        parquet="results/seat/tables/seed_stability.parquet",
        markdown=report(
            "results/seat/tables/seed_stability.md",
            caption="../report/seat_seed_stability.rst",
            category="SEAT",
        ),
    params:
        k=SEAT["train"]["topk"],
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/seat_seed_stability.log",
    localrule: True
    script:
        "../../scripts/seat_seed_stability.py"


rule seat_fig_heatmap:
    input:
        unpack(seat_heatmap_inputs),
    output:
        pdf="results/seat/figures/{dataset}/{encoder}/heatmap.pdf",
        png=report(
            "results/seat/figures/{dataset}/{encoder}/heatmap.png",
            caption="../report/seat_heatmap.rst",
            category="SEAT",
            subcategory="{dataset} {encoder}",
        ),
    params:
        example=SEAT["figures"]["heatmap_example"],
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/seat_fig_heatmap/{dataset}/{encoder}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/seat_fig_heatmap.py"


rule seat_fig_violin:
    input:
        seat_per_model("perturbation.parquet"),
    output:
        pdf="results/seat/figures/{dataset}/{encoder}/violin.pdf",
        png=report(
            "results/seat/figures/{dataset}/{encoder}/violin.png",
            caption="../report/seat_violin.rst",
            category="SEAT",
            subcategory="{dataset} {encoder}",
        ),
    params:
        radius=SEAT["eval"]["radius"],
        methods=SEAT["methods"],
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/seat_fig_violin/{dataset}/{encoder}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/seat_fig_violin.py"


rule seat_fig_topk_epochs:
    input:
        seat_trained_epochs,
    output:
        pdf="results/seat/figures/{dataset}/{encoder}/topk_epochs.pdf",
        png=report(
            "results/seat/figures/{dataset}/{encoder}/topk_epochs.png",
            caption="../report/seat_topk_epochs.rst",
            category="SEAT",
            subcategory="{dataset} {encoder}",
        ),
    params:
        k=SEAT["train"]["topk"],
        methods=SEAT["methods"],
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/seat_fig_topk_epochs/{dataset}/{encoder}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/seat_fig_topk_epochs.py"


rule seat_fig_radius:
    input:
        seat_per_model("perturbation.parquet"),
    output:
        pdf="results/seat/figures/{dataset}/{encoder}/radius.pdf",
        png=report(
            "results/seat/figures/{dataset}/{encoder}/radius.png",
            caption="../report/seat_radius.rst",
            category="SEAT",
            subcategory="{dataset} {encoder}",
        ),
    params:
        methods=SEAT["methods"],
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/seat_fig_radius/{dataset}/{encoder}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/seat_fig_radius.py"
