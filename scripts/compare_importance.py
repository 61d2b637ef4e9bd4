"""Rule compare_importance: per-instance Kendall tau-b between attention and every method,
and between every pair of methods, over real tokens."""

from seatlib.agreement import agreement_frame
from seatlib.logs import setup_logging
from seatlib.schema import read_table, write_table

sm = snakemake  # noqa: F821
log = setup_logging(sm.log[0])
pred = read_table(sm.input.predictions, "predictions")
frames = {m: read_table(p, "importance")
          for m, p in zip(sm.params.methods, sm.input.importance, strict=True)}
# importance may cover a seeded subset of the split (jw.importance.max_examples)
pred = pred[pred["example_id"].isin(next(iter(frames.values()))["example_id"])]
agreement = agreement_frame(pred, frames, scores=sm.params.scores)
write_table(agreement, sm.output[0], "agreement")
log.info("%d (example, pair) rows", len(agreement))
