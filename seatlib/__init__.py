"""seatlib: attention explanations (Jain & Wallace, Wiegreffe & Pinter), SEAT and AttAttr.

Library code only: nothing here imports snakemake. Rule scripts in ``scripts/`` are thin glue.
"""

__version__ = "0.1.0"
