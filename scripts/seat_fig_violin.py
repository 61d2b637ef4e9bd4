"""Figure: attention JSD under embedding PGD by max-attention bin, per method."""

import pandas as pd

from seatlib.figures.seat_violin import plot_violin
from seatlib.logs import setup_logging
from seatlib.schema import read_table

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
df = pd.concat([read_table(p, "seat_perturbation") for p in sm.input], ignore_index=True)
plot_violin(df, sm.params.radius, list(sm.params.methods), sm.output.pdf, sm.output.png)
