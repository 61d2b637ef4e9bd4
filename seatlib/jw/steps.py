"""Steps of the Jain & Wallace rules: ``jw_<verb>(job)`` for rule ``jw_<verb>``.

``job`` has ``input``, ``output``, ``params``, ``wildcards``, ``threads`` (Snakemake's job, or a
``types.SimpleNamespace`` in tests). Each step reads its inputs, calls the library, writes its
outputs. torch-heavy modules are imported inside the steps that run a model, so table and figure
jobs do not import them.
"""

from __future__ import annotations

import logging

import pandas as pd

from seatlib.schema import read_table, write_table

log = logging.getLogger("seatlib.jw")


def _model_inputs(job):
    """(model, device, split, predictions) of a model job; torch seeded as every JW job is."""
    from seatlib.checkpoint import load_model
    from seatlib.device import resolve_device, seed_everything

    device = resolve_device(job.params.device)
    seed_everything(0, job.threads)
    model, _ = load_model(job.input.weights, job.input.config, device)
    return (model, device, read_table(job.input.split, "split"),
            read_table(job.input.predictions, "predictions"))


def jw_importance(job) -> None:
    """One importance method (``wildcards.method``) on the seeded test subset; params
    ``options`` hold only the ``jw.importance`` keys the method reads."""
    from seatlib.importance import importance_table

    model, device, split, pred = _model_inputs(job)
    method = job.wildcards.method
    frame = importance_table(model, split, pred, method, dict(job.params.options), device=device)
    write_table(frame, job.output[0], "importance")
    log.info("%s: %d scores for %d examples", method, len(frame), frame["example_id"].nunique())


def jw_agreement(job) -> None:
    """Per-instance Kendall tau-b between attention and every method, and every pair of methods,
    over the real tokens of the examples that have importance scores."""
    from seatlib.agreement import agreement_frame

    pred = read_table(job.input.predictions, "predictions")
    frames = {m: read_table(p, "importance")
              for m, p in zip(job.params.methods, job.input.importance, strict=True)}
    # importance may cover a seeded subset of the split (jw.importance.max_examples)
    pred = pred[pred["example_id"].isin(next(iter(frames.values()))["example_id"])]
    agreement = agreement_frame(pred, frames, scores=job.params.scores)
    write_table(agreement, job.output[0], "agreement")
    log.info("%d (example, pair) rows", len(agreement))


def jw_table2(job) -> None:
    """JW's Table 2 (mean, sd and significant fraction of tau per predicted class)."""
    from seatlib.jw.table2 import table2
    from seatlib.markdown import write_markdown

    summary = table2(pd.concat([read_table(p, "agreement") for p in job.input],
                               ignore_index=True))
    write_table(summary, job.output.parquet, "agreement_summary")
    write_markdown(summary, job.output.markdown,
                   "Kendall tau between attention and importance (Jain & Wallace, Table 2)")


def jw_permute(job) -> None:
    """Output change when attention is permuted over the real tokens."""
    from seatlib.counterfactual.permute import permutation_experiment

    model, device, split, pred = _model_inputs(job)
    frame = permutation_experiment(model, split, pred,
                                   n_permutations=job.params.options["n_permutations"], seed=0,
                                   device=device)
    write_table(frame, job.output[0], "permutation")
    log.info("median over instances of the median TVD: %.4f", frame["median_tvd"].median())


def jw_adversary(job) -> None:
    """JW's per-instance adversarial attention (epsilon-max JSD)."""
    from seatlib.counterfactual.adversary import adversarial_attention

    model, device, split, pred = _model_inputs(job)
    opts = job.params.options
    frame, _ = adversarial_attention(
        model, split, pred, k=opts["k"], epsilon=opts["epsilon"],
        hinge_weight=opts["hinge_weight"], lr=opts["lr"], steps=opts["steps"],
        selection_threshold=opts["selection_threshold"], seed=0, device=device,
        batch_size=opts["batch_size"], diversity=opts.get("diversity", "paper"))
    write_table(frame, job.output[0], "adversary")
    log.info("median epsilon-max JSD: %.4f", frame["emax_jsd"].median())


def jw_fig_tau_hist(job) -> None:
    from seatlib.figures.jw_tau_hist import plot_tau_hist

    plot_tau_hist(read_table(job.input[0], "agreement"), job.output.pdf, job.output.png)


def jw_fig_tau_density(job) -> None:
    from seatlib.figures.jw_tau_density import plot_tau_density

    plot_tau_density(read_table(job.input[0], "agreement"), job.output.pdf, job.output.png)


def jw_fig_tau_bars(job) -> None:
    from seatlib.figures.jw_tau_bars import plot_tau_bars

    plot_tau_bars(read_table(job.input[0], "agreement_summary"), job.output.pdf, job.output.png)


def jw_fig_permutation(job) -> None:
    from seatlib.figures.jw_permutation import plot_permutation

    plot_permutation(read_table(job.input[0], "permutation"), job.output.pdf, job.output.png)


def jw_fig_adversary(job) -> None:
    from seatlib.figures.jw_adversary import plot_adversary

    plot_adversary(read_table(job.input[0], "adversary"), job.output.pdf, job.output.png)


def jw_fig_adversary_example(job) -> None:
    from seatlib.figures.jw_adversary_example import plot_adversary_example

    plot_adversary_example(read_table(job.input.adversary, "adversary"),
                           read_table(job.input.predictions, "predictions"), job.output.pdf,
                           job.output.png)


def jw_corrgl(job) -> None:
    """JW's CorrGL table: gradient-vs-LOO agreement minus attention-vs-either, per model."""
    from seatlib.jw.corrgl import corrgl_summary
    from seatlib.markdown import write_markdown

    summary = corrgl_summary(pd.concat([read_table(p, "agreement") for p in job.input],
                                       ignore_index=True))
    write_table(summary, job.output.parquet, "jw_corrgl")
    write_markdown(summary, job.output.markdown,
                   "tau(gradient, LOO) minus tau(attention, gradient) / tau(attention, LOO), "
                   "per instance (Jain & Wallace, CorrGL)")


def jw_fig_corrgl(job) -> None:
    """Densities of the CorrGL differences of one dataset, one panel per model."""
    from seatlib.figures.jw_corrgl import plot_corrgl
    from seatlib.jw.corrgl import corrgl_instances

    agreement = pd.concat([read_table(p, "agreement") for p in job.input], ignore_index=True)
    plot_corrgl(corrgl_instances(agreement), job.output.pdf, job.output.png)


def jw_fig_corrgl_summary(job) -> None:
    from seatlib.figures.jw_corrgl import plot_corrgl_summary

    plot_corrgl_summary(read_table(job.input[0], "jw_corrgl"), job.output.pdf, job.output.png)
