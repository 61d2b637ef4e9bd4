"""Rule wp_seed_variance: per-instance attention JSD and output TVD across random seeds."""

from seatlib.logs import setup_logging
from seatlib.wp.steps import seed_variance_from_files

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
seed_variance_from_files(base=sm.input.base,
                         seeds={s: sm.input[f"seed{s}"] for s in sm.params.seeds},
                         out_instances=sm.output.instances, out_summary=sm.output.summary,
                         out_markdown=sm.output.markdown)
