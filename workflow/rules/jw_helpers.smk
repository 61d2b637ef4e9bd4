# Helpers of the jw track's rules (jw.smk): input functions, targets, paths.
# (Kept apart from the rules so that `snakemake --lint` stays clean.)

# Jain & Wallace's study (docs/jain_wallace.md): importance, Kendall tau, permutation, adversary.
# Steps: seatlib/jw/steps.py; per-model results in results/jw/{dataset}/{model}/seed{seed}/.
from seatlib.importance import importance_options

JW = config["jw"]


JW_METHODS = JW["importance"]["methods"]


# the wildcards of a per-model job, and of an importance job
JW_MODEL = "{dataset}/{encoder}-{attention}/seed{seed}"


JW_METHOD = "{dataset}/{encoder}-{attention}/seed{seed}/{method}"


def jw_models():
    """(dataset, encoder, attention, seed) of every grid model with trained attention,
    first seed only."""
    seed = EXP["seeds"][0]
    return [
        (d, e, a, seed)
        for d in EXP["datasets"]
        for e in EXP["encoders"]
        for a in EXP["attentions"]
        if a != "uniform"
    ]


def jw_expand(pattern, **extra):
    return [
        pattern.format(dataset=d, encoder=e, attention=a, seed=s, **extra)
        for d, e, a, s in jw_models()
    ]


def jw_file(name):
    """A per-model result (wildcard pattern)."""
    return f"results/jw/{JW_MODEL}/{name}"


def jw_figure(name, ext):
    return f"results/jw/figures/{JW_MODEL}/{name}.{ext}"


def jw_importance_params(wildcards):
    """Only the jw.importance keys the method reads (seatlib.importance.METHODS), so a key
    change re-runs only the methods that read it."""
    return importance_options(wildcards.method, JW["importance"])


def jw_dataset_agreements(wildcards):
    """Input function: the agreement tables of every JW model of the rule's dataset."""
    return [
        jw_file("agreement.parquet").format(dataset=d, encoder=e, attention=a, seed=s)
        for d, e, a, s in jw_models()
        if d == wildcards.dataset
    ]


def jw_has_corrgl():
    """JW's CorrGL comparison needs both importance measures."""
    return {"gradient", "loo"} <= set(JW_METHODS)


def jw_targets():
    if not jw_models():
        return []
    targets = ["results/jw/tables/table2.md", "results/jw/figures/tau_bars.png"]
    if jw_has_corrgl():
        targets += ["results/jw/tables/corrgl.md", "results/jw/figures/corrgl_summary.png"]
        targets += [
            f"results/jw/figures/{d}/corrgl.png" for d in sorted({m[0] for m in jw_models()})
        ]
    for fig in (
        "tau_hist",
        "tau_density",
        "permutation",
        "adversary",
        "adversary_example",
    ):
        targets += jw_expand(jw_figure(fig, "png"))
    return targets
