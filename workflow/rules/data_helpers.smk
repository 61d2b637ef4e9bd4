# Helpers of the data track's rules (data.smk): input functions, targets, paths.
# (Kept apart from the rules so that `snakemake --lint` stays clean.)


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
