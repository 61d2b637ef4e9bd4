"""Figure (Jain & Wallace): tau density, drawn from Parquet only."""

from seatlib.figures.jw_tau_density import plot_tau_density
from seatlib.logs import setup_logging
from seatlib.schema import read_table

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
plot_tau_density(read_table(sm.input[0], "agreement"), sm.output.pdf, sm.output.png)
