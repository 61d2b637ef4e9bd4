# Helpers of the transformer track's rules (attattr.smk): paths, the grid, targets.
# (Kept apart from the rules so that `snakemake --lint` stays clean.)
ATT = config["attattr"]


def attattr_file(name, dataset="{dataset}", seed="{seed}"):
    return f"results/attattr/{dataset}/seed{seed}/{name}"


def attattr_split(split, dataset="{dataset}"):
    return f"results/attattr/{dataset}/data/{split}.parquet"


ATTATTR_MODEL = {
    "weights": attattr_file("model/model.safetensors"),
    "config": attattr_file("model/config.json"),
}


def attattr_grid(pattern):
    return expand(pattern, dataset=ATT["datasets"], seed=ATT["seeds"])


def attattr_targets():
    if not ATT["datasets"]:
        return []
    return [
        "results/attattr/tables/pruning.md",
        "results/attattr/tables/finetune.md",
        *attattr_grid("results/attattr/figures/{dataset}/seed{seed}/pruning.png"),
        *attattr_grid("results/attattr/figures/{dataset}/seed{seed}/head_importance.png"),
        # part two: trees, triggers, attention vs attribution
        "results/attattr/tables/triggers.md",
        "results/attattr/tables/bias.md",
        *attattr_grid("results/attattr/figures/{dataset}/seed{seed}/tree.png"),
        *attattr_grid("results/attattr/figures/{dataset}/seed{seed}/bias_tau_heads.png"),
        *attattr_grid("results/attattr/figures/{dataset}/seed{seed}/bias_tau_layers.png"),
        *attattr_grid("results/attattr/figures/{dataset}/seed{seed}/bias_tokens.png"),
    ]
