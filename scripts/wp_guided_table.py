"""Rule wp_guided_table: test F1 of the non-contextual model per guide attention."""

from seatlib.logs import setup_logging
from seatlib.wp.steps import guided_table

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
entries = [(guide, guide_model, path)
           for (guide, guide_model), path in zip(sm.params.guides, sm.input, strict=True)]
guided_table(entries=entries, out_parquet=sm.output.parquet, out_markdown=sm.output.markdown)
