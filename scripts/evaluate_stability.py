"""Rule evaluate_stability: F1, stability under embedding PGD, Sens, Comp/Suff, top-k overlap
and word substitution of one model on the test split."""

from seatlib.logs import setup_logging
from seatlib.seat.steps import evaluate_from_files

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
evaluate_from_files(
    weights=sm.input.weights, config=sm.input.config, vanilla_weights=sm.input.vanilla_weights,
    vanilla_config=sm.input.vanilla_config, test=sm.input.test,
    substitutions=sm.input.substitutions, out_summary=sm.output.summary,
    out_instances=sm.output.instances, out_perturbation=sm.output.perturbation,
    dataset=sm.wildcards.dataset, encoder=sm.wildcards.encoder, method=sm.wildcards.method,
    seed=int(sm.wildcards.seed), eval_cfg=sm.params.eval, topk=sm.params.topk,
    device=sm.params.device, threads=sm.threads,
)
