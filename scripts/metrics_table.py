"""Rule metrics_table: test scores of every model in one Parquet and one Markdown table."""

from seatlib.logs import setup_logging
from seatlib.workflow_steps import concat_tables

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
concat_tables(list(sm.input), "test_metrics", sm.output.parquet, sm.output.markdown,
              "Test metrics")
