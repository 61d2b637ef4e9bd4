"""Figure (Jain & Wallace): adversary, drawn from Parquet only."""

from seatlib.figures.jw_adversary import plot_adversary
from seatlib.logs import setup_logging
from seatlib.schema import read_table

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
plot_adversary(read_table(sm.input[0], "adversary"), sm.output.pdf, sm.output.png)
