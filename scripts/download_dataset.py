"""Rule download_dataset: fetch a public dataset (or copy it from a local mirror)."""

from pathlib import Path

from seatlib.data.download import fetch_dataset
from seatlib.logs import setup_logging

log = setup_logging(snakemake.log[0])  # noqa: F821
sm = snakemake  # noqa: F821
out = fetch_dataset(sm.wildcards.dataset, Path(sm.output[0]), mirror=sm.params.mirror,
                    timeout=sm.params.timeout)
log.info("dataset %s ready in %s", sm.wildcards.dataset, out)
