"""Rule attack_attention: JW's per-instance adversarial attention (epsilon-max JSD)."""

from seatlib.checkpoint import load_model
from seatlib.counterfactual.adversary import adversarial_attention
from seatlib.device import resolve_device, seed_everything
from seatlib.logs import setup_logging
from seatlib.schema import read_table, write_table

sm = snakemake  # noqa: F821
log = setup_logging(sm.log[0])
opts = sm.params.options
device = resolve_device(sm.params.device)
seed_everything(0, sm.threads)
model, _ = load_model(sm.input.weights, sm.input.config, device)
frame, _ = adversarial_attention(
    model, read_table(sm.input.split, "split"), read_table(sm.input.predictions, "predictions"),
    k=opts["k"], epsilon=opts["epsilon"], hinge_weight=opts["hinge_weight"], lr=opts["lr"],
    steps=opts["steps"], selection_threshold=opts["selection_threshold"], seed=0, device=device,
    batch_size=opts["batch_size"],
)
write_table(frame, sm.output[0], "adversary")
log.info("median epsilon-max JSD: %.4f", frame["emax_jsd"].median())
