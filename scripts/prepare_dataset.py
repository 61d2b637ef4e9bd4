"""Rule prepare_dataset: tokenise, filter, build the vocabulary, write splits and statistics."""

from pathlib import Path

from seatlib.data.pipeline import prepare_dataset
from seatlib.io import write_text
from seatlib.logs import setup_logging
from seatlib.schema import write_table

sm = snakemake  # noqa: F821
log = setup_logging(sm.log[0])
opts = sm.params.options
dataset = sm.wildcards.dataset
user = {dataset: opts["user"]} if opts["user"] else {}
prepared = prepare_dataset(dataset, Path(sm.input.raw), user, opts["max_train_examples"],
                           opts["max_eval_examples"])
for split in ("train", "dev", "test"):
    write_table(prepared.splits[split], sm.output[split], "split")
write_text("\n".join(prepared.vocab) + "\n", sm.output.vocab)
write_table(prepared.stats, sm.output.stats, "dataset_stats")
log.info("prepared %s: %s; vocabulary %d", dataset,
         {s: len(d) for s, d in prepared.splits.items()}, len(prepared.vocab))
