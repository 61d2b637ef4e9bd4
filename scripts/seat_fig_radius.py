"""Figure: attention JSD and prediction TVD vs embedding-PGD radius, one line per method."""

import pandas as pd

from seatlib.figures.seat_radius import plot_radius
from seatlib.logs import setup_logging
from seatlib.schema import read_table

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
df = pd.concat([read_table(p, "seat_perturbation") for p in sm.input], ignore_index=True)
plot_radius(df, list(sm.params.methods), sm.output.pdf, sm.output.png)
