"""Rule predict: test-split predictions and attention of a trained model."""

from seatlib.logs import setup_logging
from seatlib.workflow_steps import predict_from_files

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
predict_from_files(weights=sm.input.weights, config=sm.input.config, split_path=sm.input.test,
                   split="test", out_predictions=sm.output.predictions,
                   out_metrics=sm.output.metrics, device=sm.params.device, threads=sm.threads)
