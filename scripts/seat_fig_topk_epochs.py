"""Figure: top-k surrogate loss and true top-k overlap with vanilla attention vs epoch."""

import pandas as pd

from seatlib.figures.seat_topk import plot_topk_epochs
from seatlib.logs import setup_logging
from seatlib.schema import read_table

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
df = pd.concat([read_table(p, "seat_epochs") for p in sm.input], ignore_index=True)
plot_topk_epochs(df, sm.params.k, list(sm.params.methods), sm.output.pdf, sm.output.png)
