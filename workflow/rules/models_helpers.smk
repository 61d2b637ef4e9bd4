# Helpers of the models track's rules (models.smk): input functions, targets, paths.
# (Kept apart from the rules so that `snakemake --lint` stays clean.)


# --- helpers of the models track ---
def models_figure(name, dataset="{dataset}", model="{encoder}-{attention}", seed="{seed}"):
    """A per-model figure of the models track."""
    return f"results/models/figures/{dataset}/{model}/seed{seed}/{name}"


def models_targets():
    return [
        rules.models_table_metrics.output.markdown,
        *experiment_grid(rules.models_fig_test_summary.output.png),
    ]
