"""Rule wp_adversary: one model-consistent adversary of the base model at one lambda."""

from seatlib.logs import setup_logging
from seatlib.wp.steps import adversary_from_files

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
adversary_from_files(
    train=sm.input.train, dev=sm.input.dev, test=sm.input.test,
    embeddings=sm.input.embeddings or None,
    base_weights=sm.input.base_weights, base_config=sm.input.base_config,
    out_weights=sm.output.weights, out_config=sm.output.config, out_epochs=sm.output.epochs,
    out_predictions=sm.output.predictions, dataset=sm.wildcards.dataset,
    lam=float(sm.wildcards.lam), seed=sm.params.seed, adversary_cfg=sm.params.adversary,
    train_cfg=sm.params.train, embedding_cfg=sm.params.embedding, device=sm.params.device,
    threads=sm.threads,
)
