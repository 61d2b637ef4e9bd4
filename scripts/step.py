"""The one rule script: rule ``<track>_<verb>`` runs ``seatlib.<track>.steps.<track>_<verb>(job)``.

``job`` is Snakemake's own object (``input``, ``output``, ``params``, ``wildcards``, ``threads``,
``log``, ``resources``); a test passes a ``types.SimpleNamespace`` with the same attributes. No
logic lives here: see docs/architecture.md.
"""

from seatlib.steps import run_step

run_step(snakemake)  # noqa: F821
