"""Rule train_model: train one attention classifier with JW's recipe, select on dev."""

from seatlib.logs import setup_logging
from seatlib.workflow_steps import train_from_files

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
train_from_files(
    train=sm.input.train, dev=sm.input.dev, vocab=sm.input.vocab,
    embeddings=sm.input.embeddings or None,
    out_weights=sm.output.weights, out_config=sm.output.config, out_epochs=sm.output.epochs,
    dataset=sm.wildcards.dataset, encoder=sm.wildcards.encoder,
    attention=sm.wildcards.attention, seed=int(sm.wildcards.seed),
    train_cfg=sm.params.train, model_cfg=sm.params.model, embedding_cfg=sm.params.embedding,
    device=sm.params.device, threads=sm.threads,
)
