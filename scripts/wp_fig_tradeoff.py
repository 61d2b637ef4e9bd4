"""Figure: WP JSD-vs-TVD trade-off (adversaries per lambda, seeds, uniform; JSD cap ln 2)."""

from seatlib.figures.wp_tradeoff import plot_tradeoff
from seatlib.logs import setup_logging
from seatlib.schema import read_table

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
plot_tradeoff(read_table(sm.input.tradeoff, "wp_tradeoff"), sm.output.pdf, sm.output.png)
