"""Rule seat_seed_stability: attention JSD, prediction TVD and top-k overlap across seeds."""

from seatlib.logs import setup_logging
from seatlib.seat.steps import seed_stability_from_files

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
seed_stability_from_files(list(sm.input), sm.output.parquet, sm.output.markdown, sm.params.k)
