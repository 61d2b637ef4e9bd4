"""Rule wp_tradeoff: mean attention JSD and output TVD from the base model, one row per model."""

from seatlib.logs import setup_logging
from seatlib.wp.steps import tradeoff_from_files

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
tradeoff_from_files(
    base=sm.input.base, seeds={s: sm.input[f"seed{s}"] for s in sm.params.seeds},
    uniform=sm.input.uniform,
    adversaries=list(zip(sm.params.lambdas, sm.input.adversaries, strict=True)),
    out_parquet=sm.output.parquet, out_markdown=sm.output.markdown,
)
