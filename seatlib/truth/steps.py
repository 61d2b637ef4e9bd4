"""Steps of the planted-evidence track: one function per rule of ``workflow/rules/truth.smk``.

``job`` is Snakemake's job object (or a ``types.SimpleNamespace`` with ``input``, ``output``,
``params``, ``wildcards``, ``threads``); see docs/architecture.md and docs/ground_truth.md.
"""

from __future__ import annotations

import logging

import pandas as pd

from seatlib.schema import read_table, write_table

log = logging.getLogger("seatlib.truth")
SPLITS = ("train", "dev", "test")


def truth_make(job) -> None:
    """The planted train/dev/test splits of one dataset and their marker sets."""
    from seatlib.data.prepare import read_vocab
    from seatlib.truth.generator import TruthSpec, draw_markers, marker_candidates, plant

    spec = TruthSpec.from_config(job.params.truth)
    dataset = job.wildcards.dataset
    vocab = read_vocab(job.input.vocab)
    source = {s: read_table(getattr(job.input, s), "split") for s in SPLITS}
    candidates = marker_candidates(source["train"], vocab, spec.min_count, spec.max_count,
                                   spec.balance)
    markers = draw_markers(candidates, spec, dataset)
    write_table(markers, job.output.markers, "truth_markers")
    for split in SPLITS:
        planted = plant(source[split], markers, vocab, spec, split)
        write_table(planted, getattr(job.output, split), "truth_split")
        log.info("%s %s: %d of %d sentences kept (no natural marker), variant %s", dataset,
                 split, len(planted), len(source[split]), spec.variant)


def truth_train(job) -> None:
    """A word model of the grid trained on the planted splits (the models track's code)."""
    from seatlib.models.steps import train_and_save

    train_and_save(job, read_table(job.input.train, "truth_split"),
                   read_table(job.input.dev, "truth_split"))


def truth_score(job) -> None:
    """The sanity check and every explainer's per-example scores of one trained model."""
    from seatlib.checkpoint import load_model
    from seatlib.data.pipeline import sample_rows
    from seatlib.device import resolve_device, seed_everything
    from seatlib.truth.evaluate import evaluate_model

    p = job.params
    device = resolve_device(p.device)
    seed = int(job.wildcards.seed)
    seed_everything(seed, job.threads)
    model, cfg = load_model(job.input.weights, job.input.config, device)
    test = sample_rows(read_table(job.input.test, "truth_split"), p.max_examples)
    checks, examples = evaluate_model(model, test, p.explainers, p.importance, p.fractions,
                                      device=device, seed=seed)
    key = {"dataset": job.wildcards.dataset, "model": cfg["model_name"], "seed": seed,
           "variant": p.variant}
    checks["passed"] = bool(checks["accuracy"] >= p.min_accuracy
                            and checks["accuracy_removed"] <= checks["chance"] + p.max_removed_gap)
    write_table(pd.DataFrame([{**key, **checks}]), job.output.checks, "truth_checks")
    write_table(examples.assign(**key), job.output.examples, "truth_example_scores")
    log.info("%s: accuracy %.3f with markers, %.3f without (chance %.3f): %s", key,
             checks["accuracy"], checks["accuracy_removed"], checks["chance"],
             "passed" if checks["passed"] else "FLAGGED (not scored)")


def truth_table_scores(job) -> None:
    """Every model's checks, and the explainers pooled over seeds, ranked (Parquet, Markdown)."""
    from seatlib.markdown import write_markdown
    from seatlib.truth.aggregate import markdown_frame, pooled_scores

    checks = pd.concat([read_table(f, "truth_checks") for f in job.input.checks],
                       ignore_index=True)
    examples = pd.concat([read_table(f, "truth_example_scores") for f in job.input.examples],
                         ignore_index=True)
    scores = pooled_scores(examples, checks, int(job.params.n_bootstrap),
                           int(job.params.bootstrap_seed))
    write_table(checks, job.output.checks, "truth_checks")
    write_markdown(checks, job.output.checks_markdown,
                   "Planted evidence: accuracy with and without the markers")
    write_table(scores, job.output.parquet, "truth_scores")
    write_markdown(markdown_frame(scores), job.output.markdown,
                   "Planted evidence: explainers against the truth (95% bootstrap intervals)")


def truth_fig_scores(job) -> None:
    """Precision@k per explainer and model, and comprehensiveness against it."""
    from seatlib.figures.truth_scores import plot_truth_scores

    plot_truth_scores(read_table(job.input.scores, "truth_scores"), job.output.pdf,
                      job.output.png)
