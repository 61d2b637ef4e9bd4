"""Figure (Jain & Wallace): permutation, drawn from Parquet only."""

from seatlib.figures.jw_permutation import plot_permutation
from seatlib.logs import setup_logging
from seatlib.schema import read_table

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
plot_permutation(read_table(sm.input[0], "permutation"), sm.output.pdf, sm.output.png)
