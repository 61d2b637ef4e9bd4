"""Steps of the data track: one function per rule of ``workflow/rules/data.smk``.

``job`` is Snakemake's job object (or a ``types.SimpleNamespace`` with ``input``, ``output``,
``params``, ``wildcards``); see docs/architecture.md. Torch is imported only where needed.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from seatlib.markdown import write_markdown
from seatlib.schema import read_table, write_table

log = logging.getLogger("seatlib.data")


def job_mirror(job) -> str | None:
    """The mirror folder of a download job: config ``data.mirror``, else ``SEAT_DATA_MIRROR``
    (read by ``fetch_dataset``), else None (download). Read from the job's config, not from a
    rule param, so that where the files came from (their SHA-256 is pinned) never re-runs what
    was built from them (Snakemake re-runs a job whose params changed)."""
    mirror = ((getattr(job, "config", None) or {}).get("data") or {}).get("mirror")
    return str(Path(mirror).expanduser().absolute()) if mirror else None


def data_download(job) -> None:
    """A built-in dataset's files into ``output[0]``, from the mirror or the web."""
    from seatlib.data.download import fetch_dataset

    out = fetch_dataset(job.wildcards.dataset, Path(job.output[0]), mirror=job_mirror(job),
                        timeout=job.params.timeout)
    log.info("dataset %s ready in %s", job.wildcards.dataset, out)


def data_prepare(job) -> None:
    """Tokenise, filter, build the vocabulary; write the splits, vocab.txt and the statistics."""
    from seatlib.data.pipeline import prepare_dataset
    from seatlib.io import write_text

    opts = job.params.options
    dataset = job.wildcards.dataset
    user = {dataset: opts["user"]} if opts["user"] else {}
    prepared = prepare_dataset(dataset, Path(job.input.raw), user, opts["max_train_examples"],
                               opts["max_eval_examples"])
    for split in ("train", "dev", "test"):
        write_table(prepared.splits[split], job.output[split], "split")
    write_text("\n".join(prepared.vocab) + "\n", job.output.vocab)
    write_table(prepared.stats, job.output.stats, "dataset_stats")
    log.info("prepared %s: %s; vocabulary %d", dataset,
             {s: len(d) for s, d in prepared.splits.items()}, len(prepared.vocab))


def data_embed(job) -> None:
    """Pretrained vectors (GloVe 6B 50d) for the dataset's vocabulary."""
    from seatlib.data.prepare import read_vocab
    from seatlib.embeddings import load_glove_6b_50d, save_embeddings, vocab_matrix

    vocab = read_vocab(job.input.vocab)
    words, vectors = load_glove_6b_50d()
    matrix, coverage = vocab_matrix(vocab, words, vectors)
    save_embeddings(matrix, job.output[0], job.params.source, coverage)
    log.info("%s: %d words, %.1f%% found in %s", job.wildcards.dataset, len(vocab),
             100 * coverage, job.params.source)


def concat_tables(paths, table: str, out_parquet, out_markdown, title: str) -> pd.DataFrame:
    """Tables ``paths`` (each of schema ``table``) stacked in order, as Parquet and Markdown."""
    df = pd.concat([read_table(p, table) for p in paths], ignore_index=True)
    write_table(df, out_parquet, table)
    write_markdown(df, out_markdown, title)
    return df


def data_table_stats(job) -> None:
    """Every dataset's statistics in one table."""
    concat_tables(list(job.input), "dataset_stats", job.output.parquet, job.output.markdown,
                  "Dataset statistics")


def data_table_html(job) -> None:
    """A result table's Markdown as a self-contained HTML page, for the report (inline)."""
    from seatlib.io import write_text
    from seatlib.report_tables import markdown_table_html

    text = Path(job.input[0]).read_text()
    try:
        page = markdown_table_html(text)
    except ValueError as err:
        raise ValueError(f"{job.input[0]}: {err}") from None
    write_text(page, job.output[0])
