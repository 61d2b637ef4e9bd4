"""Figure (Jain & Wallace): tau hist, drawn from Parquet only."""

from seatlib.figures.jw_tau_hist import plot_tau_hist
from seatlib.logs import setup_logging
from seatlib.schema import read_table

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
plot_tau_hist(read_table(sm.input[0], "agreement"), sm.output.pdf, sm.output.png)
