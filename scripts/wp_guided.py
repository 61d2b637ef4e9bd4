"""Rule wp_guided: the non-contextual model trained with a guide model's attention."""

from seatlib.logs import setup_logging
from seatlib.wp.steps import guided_from_files

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
guided_from_files(
    train=sm.input.train, dev=sm.input.dev, test=sm.input.test, vocab=sm.input.vocab,
    embeddings=sm.input.embeddings or None, guide=sm.wildcards.guide,
    guide_weights=sm.input.guide_weights, guide_config=sm.input.guide_config,
    out_weights=sm.output.weights, out_config=sm.output.config, out_epochs=sm.output.epochs,
    out_predictions=sm.output.predictions, out_metrics=sm.output.metrics,
    dataset=sm.wildcards.dataset, seed=sm.params.seed, train_cfg=sm.params.train,
    model_cfg=sm.params.model, embedding_cfg=sm.params.embedding, encoder=sm.params.encoder,
    device=sm.params.device, threads=sm.threads,
)
