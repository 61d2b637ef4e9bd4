"""Figure (Jain & Wallace): original vs adversarial attention over one test sentence."""

from seatlib.figures.jw_adversary_example import plot_adversary_example
from seatlib.logs import setup_logging
from seatlib.schema import read_table

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
plot_adversary_example(read_table(sm.input.adversary, "adversary"),
                       read_table(sm.input.predictions, "predictions"), sm.output.pdf,
                       sm.output.png)
