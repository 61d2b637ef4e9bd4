"""Rule compute_importance: one feature-importance method on the test split (long format)."""

from seatlib.checkpoint import load_model
from seatlib.data.pipeline import sample_rows
from seatlib.device import resolve_device, seed_everything
from seatlib.importance import compute_importance, importance_frame
from seatlib.logs import setup_logging
from seatlib.schema import read_table, write_table

sm = snakemake  # noqa: F821
log = setup_logging(sm.log[0])
opts = dict(sm.params.options)
max_examples = opts.pop("max_examples")
shap_baseline = opts.pop("shap_baseline")
device = resolve_device(sm.params.device)
seed_everything(0, sm.threads)
model, _ = load_model(sm.input.weights, sm.input.config, device)
split = sample_rows(read_table(sm.input.split, "split"), max_examples)
pred = read_table(sm.input.predictions, "predictions")
method = sm.wildcards.method
if method in ("gradient_shap", "deeplift_shap"):
    opts["baseline"] = shap_baseline  # a distribution of references, not one vector
scores = compute_importance(
    model, split, method, device=device, batch_size=opts["batch_size"], target=opts["target"],
    baseline=opts["baseline"], n_steps=opts["n_steps"],
    internal_batch_size=opts["internal_batch_size"], n_samples=opts["n_samples"], seed=0,
)
frame = importance_frame(scores, split, pred, method, opts)
write_table(frame, sm.output[0], "importance")
log.info("%s: %d scores for %d examples", method, len(frame), len(split))
