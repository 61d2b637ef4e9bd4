"""Rule permute_attention: output change when attention is permuted over the real tokens."""

from seatlib.checkpoint import load_model
from seatlib.counterfactual.permute import permutation_experiment
from seatlib.device import resolve_device, seed_everything
from seatlib.logs import setup_logging
from seatlib.schema import read_table, write_table

sm = snakemake  # noqa: F821
log = setup_logging(sm.log[0])
device = resolve_device(sm.params.device)
seed_everything(0, sm.threads)
model, _ = load_model(sm.input.weights, sm.input.config, device)
frame = permutation_experiment(
    model, read_table(sm.input.split, "split"), read_table(sm.input.predictions, "predictions"),
    n_permutations=sm.params.options["n_permutations"], seed=0, device=device,
)
write_table(frame, sm.output[0], "permutation")
log.info("median over instances of the median TVD: %.4f", frame["median_tvd"].median())
