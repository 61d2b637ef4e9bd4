"""Figure: WP seed-variance violins (median JSD by max-attention bin and predicted class)."""

from seatlib.figures.wp_seed_variance import plot_seed_variance
from seatlib.logs import setup_logging
from seatlib.schema import read_table

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
plot_seed_variance(read_table(sm.input.instances, "wp_seed_variance"), sm.output.pdf,
                   sm.output.png)
