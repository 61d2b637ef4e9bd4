"""Rule dataset_table: all datasets' statistics in one Parquet and one Markdown table."""

from seatlib.logs import setup_logging
from seatlib.workflow_steps import concat_tables

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
concat_tables(list(sm.input), "dataset_stats", sm.output.parquet, sm.output.markdown,
              "Dataset statistics")
