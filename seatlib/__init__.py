"""seatlib: attention explanations (Jain & Wallace, Wiegreffe & Pinter), SEAT and AttAttr.

Library code only: nothing here imports snakemake. Rule scripts in ``scripts/`` are thin glue.
"""

__version__ = "0.1.0"

# the studies of the pipeline (docs/architecture.md): rule <track>_<verb> runs
# seatlib.<track>.steps.<track>_<verb>; seatlib/schema/<track>.py declares its tables
TRACKS = ("data", "models", "jw", "wp", "seat", "attattr", "truth")
