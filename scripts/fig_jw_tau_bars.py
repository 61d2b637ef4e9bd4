"""Figure (Jain & Wallace): mean tau per encoder and dataset, from Table 2."""

from seatlib.figures.jw_tau_bars import plot_tau_bars
from seatlib.logs import setup_logging
from seatlib.schema import read_table

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
plot_tau_bars(read_table(sm.input[0], "agreement_summary"), sm.output.pdf, sm.output.png)
