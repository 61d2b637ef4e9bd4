"""Rule wp_adversary_table: mean JSD and TVD of each adversary from the base model, per lambda."""

from seatlib.logs import setup_logging
from seatlib.wp.steps import adversary_table

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
adversary_table(base=sm.input.base, predictions=list(sm.input.predictions),
                configs=list(sm.input.configs), out_parquet=sm.output.parquet,
                out_markdown=sm.output.markdown)
