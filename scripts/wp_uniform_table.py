"""Rule wp_uniform_table: test F1 of trained attention vs the uniform-attention baseline."""

from seatlib.logs import setup_logging
from seatlib.wp.steps import uniform_table

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
uniform_table(trained=list(sm.input.trained), uniform=list(sm.input.uniform),
              out_parquet=sm.output.parquet, out_markdown=sm.output.markdown)
