"""Figure: confusion matrix and max-attention distribution per predicted class (test split)."""

from seatlib.figures.models_test_summary import plot_test_summary
from seatlib.logs import setup_logging
from seatlib.schema import read_table

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
plot_test_summary(read_table(sm.input.predictions, "predictions"), sm.output.pdf, sm.output.png)
