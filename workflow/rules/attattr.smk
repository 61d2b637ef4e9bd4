# The transformer track (docs/attattr.md): fine-tune a BERT-family classifier (default the
# packaged all-MiniLM-L6-v2) on attattr.datasets, AttAttr head attribution, four head rankings
# and one-shot head-pruning curves. Steps: seatlib/attattr/steps.py.
include: "attattr_helpers.smk"


rule attattr_tokenize:
    input:
        raw=raw_dir(),
    output:
        train=attattr_split("train"),
        dev=attattr_split("dev"),
    log:
        log_file("attattr_tokenize", "{dataset}"),
    benchmark:
        benchmark_file("attattr_tokenize", "{dataset}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        model=ATT["model"],
        max_length=ATT["max_length"],
        data=ATT["data"],
    script:
        STEP


rule attattr_finetune:
    input:
        train=attattr_split("train"),
        dev=attattr_split("dev"),
    output:
        **ATTATTR_MODEL,
        epochs=attattr_file("epochs.parquet"),
    log:
        log_file("attattr_finetune", "{dataset}/seed{seed}"),
    benchmark:
        benchmark_file("attattr_finetune", "{dataset}/seed{seed}")
    conda:
        "../envs/seatlib.yaml"
    threads: config["threads"]
    resources:
        mem_mb=6000,
        runtime=240,
        gpu=1,
    params:
        model=ATT["model"],
        finetune=ATT["finetune"],
        device=config["device"],
    script:
        STEP


rule attattr_heads:
    input:
        **ATTATTR_MODEL,
        dev=attattr_split("dev"),
    output:
        heads=attattr_file("head_attribution.parquet"),
        matrices=attattr_file("attribution_matrices.parquet"),
    log:
        log_file("attattr_heads", "{dataset}/seed{seed}"),
    benchmark:
        benchmark_file("attattr_heads", "{dataset}/seed{seed}")
    conda:
        "../envs/seatlib.yaml"
    threads: config["threads"]
    resources:
        mem_mb=6000,
        runtime=240,
        gpu=1,
    params:
        model=ATT["model"],
        attribution=ATT["attribution"],
        device=config["device"],
    script:
        STEP


rule attattr_score_heads:
    input:
        **ATTATTR_MODEL,
        dev=attattr_split("dev"),
        heads=attattr_file("head_attribution.parquet"),
    output:
        importance=attattr_file("head_importance.parquet"),
    log:
        log_file("attattr_score_heads", "{dataset}/seed{seed}"),
    benchmark:
        benchmark_file("attattr_score_heads", "{dataset}/seed{seed}")
    conda:
        "../envs/seatlib.yaml"
    threads: config["threads"]
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=1,
    params:
        model=ATT["model"],
        heads=ATT["heads"],
        device=config["device"],
    script:
        STEP


rule attattr_prune:
    input:
        **ATTATTR_MODEL,
        dev=attattr_split("dev"),
        heads=attattr_file("head_attribution.parquet"),
        importance=attattr_file("head_importance.parquet"),
    output:
        pruning=attattr_file("pruning.parquet"),
    log:
        log_file("attattr_prune", "{dataset}/seed{seed}"),
    benchmark:
        benchmark_file("attattr_prune", "{dataset}/seed{seed}")
    conda:
        "../envs/seatlib.yaml"
    threads: config["threads"]
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=1,
    params:
        model=ATT["model"],
        prune=ATT["prune"],
        device=config["device"],
    script:
        STEP


rule attattr_fig_pruning:
    input:
        pruning=attattr_file("pruning.parquet"),
    output:
        pdf="results/attattr/figures/{dataset}/seed{seed}/pruning.pdf",
        png=report(
            "results/attattr/figures/{dataset}/seed{seed}/pruning.png",
            caption="../report/attattr_pruning.rst",
            category="6. AttAttr (Hao et al. 2021)",
            subcategory="{dataset}",
            labels={"item": "Head pruning curves (AttAttr Fig. 4)", "model": "MiniLM seed {seed}"},
        ),
    log:
        log_file("attattr_fig_pruning", "{dataset}/seed{seed}"),
    benchmark:
        benchmark_file("attattr_fig_pruning", "{dataset}/seed{seed}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        model=ATT["model"],
    script:
        STEP


rule attattr_fig_heads:
    input:
        importance=attattr_file("head_importance.parquet"),
    output:
        pdf="results/attattr/figures/{dataset}/seed{seed}/head_importance.pdf",
        png=report(
            "results/attattr/figures/{dataset}/seed{seed}/head_importance.png",
            caption="../report/attattr_heads.rst",
            category="6. AttAttr (Hao et al. 2021)",
            subcategory="{dataset}",
            labels={"item": "Head importance maps", "model": "MiniLM seed {seed}"},
        ),
    log:
        log_file("attattr_fig_heads", "{dataset}/seed{seed}"),
    benchmark:
        benchmark_file("attattr_fig_heads", "{dataset}/seed{seed}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        model=ATT["model"],
    script:
        STEP


rule attattr_table_pruning:
    input:
        attattr_grid(attattr_file("pruning.parquet")),
    output:
        parquet="results/attattr/tables/pruning.parquet",
        markdown="results/attattr/tables/pruning.md",
    log:
        log_file("attattr_table_pruning"),
    benchmark:
        benchmark_file("attattr_table_pruning")
    localrule: True
    conda:
        "../envs/seatlib.yaml"
    script:
        STEP


rule attattr_table_finetune:
    input:
        epochs=attattr_grid(attattr_file("epochs.parquet")),
        train=[attattr_split("train", d) for d in ATT["datasets"] for _ in ATT["seeds"]],
        dev=[attattr_split("dev", d) for d in ATT["datasets"] for _ in ATT["seeds"]],
    output:
        parquet="results/attattr/tables/finetune.parquet",
        markdown="results/attattr/tables/finetune.md",
    log:
        log_file("attattr_table_finetune"),
    benchmark:
        benchmark_file("attattr_table_finetune")
    localrule: True
    conda:
        "../envs/seatlib.yaml"
    script:
        STEP


rule attattr_all:
    input:
        attattr_targets(),


# --- part two (docs/attattr.md): attribution trees, adversarial triggers, attention vs
# attribution per layer and head


rule attattr_tree:
    input:
        matrices=attattr_file("attribution_matrices.parquet"),
    output:
        edges=attattr_file("tree_edges.parquet"),
        stability=attattr_file("tree_stability.parquet"),
    log:
        log_file("attattr_tree", "{dataset}/seed{seed}"),
    benchmark:
        benchmark_file("attattr_tree", "{dataset}/seed{seed}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        model=ATT["model"],
        tree=ATT["tree"],
    script:
        STEP


rule attattr_fig_tree:
    input:
        edges=attattr_file("tree_edges.parquet"),
    output:
        pdf="results/attattr/figures/{dataset}/seed{seed}/tree.pdf",
        png=report(
            "results/attattr/figures/{dataset}/seed{seed}/tree.png",
            caption="../report/attattr_tree.rst",
            category="AttAttr",
            subcategory="{dataset} seed {seed}",
        ),
    log:
        log_file("attattr_fig_tree", "{dataset}/seed{seed}"),
    benchmark:
        benchmark_file("attattr_fig_tree", "{dataset}/seed{seed}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        model=ATT["model"],
    script:
        STEP


rule attattr_triggers:
    input:
        **ATTATTR_MODEL,
        train=attattr_split("train"),
        dev=attattr_split("dev"),
    output:
        triggers=attattr_file("triggers.parquet"),
    log:
        log_file("attattr_triggers", "{dataset}/seed{seed}"),
    benchmark:
        benchmark_file("attattr_triggers", "{dataset}/seed{seed}")
    conda:
        "../envs/seatlib.yaml"
    threads: config["threads"]
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=1,
    params:
        model=ATT["model"],
        attribution=ATT["attribution"],
        triggers=ATT["triggers"],
        max_length=ATT["max_length"],
        device=config["device"],
    script:
        STEP


rule attattr_table_triggers:
    input:
        attattr_grid(attattr_file("triggers.parquet")),
    output:
        parquet="results/attattr/tables/triggers.parquet",
        markdown=report(
            "results/attattr/tables/triggers.md",
            caption="../report/attattr_tables.rst",
            category="AttAttr",
        ),
    log:
        log_file("attattr_table_triggers"),
    benchmark:
        benchmark_file("attattr_table_triggers")
    localrule: True
    conda:
        "../envs/seatlib.yaml"
    script:
        STEP


rule attattr_bias:
    input:
        **ATTATTR_MODEL,
        dev=attattr_split("dev"),
        heads=attattr_file("head_attribution.parquet"),
    output:
        tau=attattr_file("bias_tau.parquet"),
        tokens=attattr_file("bias_tokens.parquet"),
        heads_vs_attention=attattr_file("heads_vs_attention.parquet"),
    log:
        log_file("attattr_bias", "{dataset}/seed{seed}"),
    benchmark:
        benchmark_file("attattr_bias", "{dataset}/seed{seed}")
    conda:
        "../envs/seatlib.yaml"
    threads: config["threads"]
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=1,
    params:
        model=ATT["model"],
        bias=ATT["bias"],
        device=config["device"],
    script:
        STEP


rule attattr_table_bias:
    input:
        tau=attattr_grid(attattr_file("bias_tau.parquet")),
        heads_vs_attention=attattr_grid(attattr_file("heads_vs_attention.parquet")),
        heads=attattr_grid(attattr_file("head_attribution.parquet")),
    output:
        parquet="results/attattr/tables/bias.parquet",
        ttests="results/attattr/tables/head_ttests.parquet",
        markdown=report(
            "results/attattr/tables/bias.md",
            caption="../report/attattr_tables.rst",
            category="AttAttr",
        ),
    log:
        log_file("attattr_table_bias"),
    benchmark:
        benchmark_file("attattr_table_bias")
    localrule: True
    conda:
        "../envs/seatlib.yaml"
    script:
        STEP


rule attattr_fig_bias:
    input:
        tau=attattr_file("bias_tau.parquet"),
        tokens=attattr_file("bias_tokens.parquet"),
    output:
        heads_pdf="results/attattr/figures/{dataset}/seed{seed}/bias_tau_heads.pdf",
        heads_png=report(
            "results/attattr/figures/{dataset}/seed{seed}/bias_tau_heads.png",
            caption="../report/attattr_bias.rst",
            category="AttAttr",
            subcategory="{dataset} seed {seed}",
        ),
        layers_pdf="results/attattr/figures/{dataset}/seed{seed}/bias_tau_layers.pdf",
        layers_png=report(
            "results/attattr/figures/{dataset}/seed{seed}/bias_tau_layers.png",
            caption="../report/attattr_bias.rst",
            category="AttAttr",
            subcategory="{dataset} seed {seed}",
        ),
        tokens_pdf="results/attattr/figures/{dataset}/seed{seed}/bias_tokens.pdf",
        tokens_png=report(
            "results/attattr/figures/{dataset}/seed{seed}/bias_tokens.png",
            caption="../report/attattr_bias.rst",
            category="AttAttr",
            subcategory="{dataset} seed {seed}",
        ),
    log:
        log_file("attattr_fig_bias", "{dataset}/seed{seed}"),
    benchmark:
        benchmark_file("attattr_fig_bias", "{dataset}/seed{seed}")
    conda:
        "../envs/seatlib.yaml"
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        model=ATT["model"],
    script:
        STEP
