"""Rule train_seat: train SEAT (or a baseline) against the vanilla model, select on dev."""

from seatlib.logs import setup_logging
from seatlib.seat.steps import train_seat_from_files

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
train_seat_from_files(
    train=sm.input.train, dev=sm.input.dev, vanilla_weights=sm.input.vanilla_weights,
    vanilla_config=sm.input.vanilla_config, embeddings=sm.input.embeddings or None,
    out_weights=sm.output.weights, out_config=sm.output.config, out_epochs=sm.output.epochs,
    dataset=sm.wildcards.dataset, encoder=sm.wildcards.encoder, method=sm.wildcards.method,
    seed=int(sm.wildcards.seed), train_cfg=sm.params.train, seat_cfg=sm.params.seat,
    device=sm.params.device, threads=sm.threads,
)
