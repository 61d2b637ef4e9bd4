"""Rule jw_table2: JW's Table 2 (mean, sd and significant fraction of tau per predicted class)."""

import pandas as pd

from seatlib.agreement import table2
from seatlib.logs import setup_logging
from seatlib.markdown import write_markdown
from seatlib.schema import read_table, write_table

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
summary = table2(pd.concat([read_table(p, "agreement") for p in sm.input], ignore_index=True))
write_table(summary, sm.output.parquet, "agreement_summary")
write_markdown(summary, sm.output.markdown, "Kendall tau between attention and importance "
               "(Jain & Wallace, Table 2)")
