"""Rule seat_results_table: dataset x model x method x metric (Parquet long, Markdown wide)."""

from seatlib.logs import setup_logging
from seatlib.seat.steps import results_table_from_files

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
results_table_from_files(list(sm.input), sm.output.parquet, sm.output.markdown,
                         list(sm.params.methods))
