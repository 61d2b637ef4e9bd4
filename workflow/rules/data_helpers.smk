# Helpers of the data track's rules (data.smk): input functions, targets, paths.
# (Kept apart from the rules so that `snakemake --lint` stays clean.)
import types


# --- helpers of the data track ---
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


def data_targets():
    return [rules.data_table_stats.output.markdown]


# --- the report: every result table as an inline HTML page (rule data_table_html) ---
STUDIES = {
    "data": "1. Data",
    "models": "2. Models",
    "jw": "3. Jain & Wallace 2019",
    "wp": "4. Wiegreffe & Pinter 2019",
    "seat": "5. SEAT (Hu et al. 2023)",
    "attattr": "6. AttAttr (Hao et al. 2021)",
    "truth": "7. Planted evidence",
}
# (track, table name) -> (caption file in workflow/report/, label of the item)
REPORT_TABLES = {
    ("data", "dataset_stats"): ("dataset_stats.rst", "Dataset statistics (table)"),
    ("models", "test_metrics"): ("test_metrics.rst", "Test scores of every model (table)"),
    ("jw", "table2"): ("jw_table2.rst", "Kendall tau, attention vs importance (JW Table 2)"),
    ("wp", "uniform"): ("wp_uniform.rst", "Uniform-attention baseline (WP Table 2)"),
    ("wp", "seed_variance"): ("wp_seed_variance_table.rst", "Seed variance of attention (table)"),
    ("wp", "adversary"): ("wp_adversary.rst", "Model-consistent adversaries (WP Table 4)"),
    ("wp", "guided"): ("wp_guided.rst", "Diagnostic: guided MLP (WP Table 3)"),
    ("wp", "tradeoff"): ("wp_tradeoff_table.rst", "JSD-TVD trade-off points (table)"),
    ("seat", "results"): ("seat_results.rst", "SEAT and baselines (SEAT Tables 2-4)"),
    ("seat", "seed_stability"): ("seat_seed_stability.rst", "Stability across seeds (table)"),
    ("attattr", "pruning"): ("attattr_tables.rst", "Head pruning curves (table)"),
    ("attattr", "finetune"): ("attattr_tables.rst", "Fine-tuned transformers (table)"),
    ("jw", "corrgl"): ("jw_corrgl_table.rst", "Gradient-LOO minus attention agreement (CorrGL)"),
    ("attattr", "triggers"): ("attattr_tables.rst", "Adversarial triggers (table)"),
    ("attattr", "bias"): ("attattr_bias.rst", "Attention vs attribution, Kendall tau (table)"),
    ("truth", "scores"): ("truth_scores.rst", "Explainers against the planted truth (table)"),
    ("truth", "checks"): ("truth_checks.rst", "Planted evidence: accuracy checks (table)"),
}


def _report_table(wildcards):
    name = wildcards.table.split("/")[-1]
    try:
        return REPORT_TABLES[(wildcards.track, name)]
    except KeyError:
        raise ValueError(
            f"results/{wildcards.track}/tables/{wildcards.table}.md: no caption in "
            "REPORT_TABLES (workflow/rules/data_helpers.smk)"
        ) from None


def _table_dataset(wildcards):
    parts = wildcards.table.split("/")
    return parts[0] if len(parts) > 1 else "all datasets"


def report_table_caption(wildcards):
    """The caption of a table, rendered (its wildcards and config values filled in)."""
    import jinja2

    path = os.path.join(workflow.basedir, "workflow/report", _report_table(wildcards)[0])
    with open(path) as fh:
        text = fh.read()
    job = types.SimpleNamespace(
        wildcards=types.SimpleNamespace(dataset=_table_dataset(wildcards)), config=config
    )
    return jinja2.Template(text).render(snakemake=job)


def report_table_category(wildcards):
    return STUDIES[wildcards.track]


def report_table_subcategory(wildcards):
    return _table_dataset(wildcards)


def report_table_labels(wildcards):
    return {"item": _report_table(wildcards)[1], "model": "all models"}


def html_tables(*target_lists):
    """The targets, and the HTML page of every Markdown table among them (for the report)."""
    targets = [str(t) for lst in target_lists for t in lst]
    return targets + [t[: -len(".md")] + ".html" for t in targets if t.endswith(".md")]
