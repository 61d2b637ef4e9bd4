"""Jain & Wallace's study (docs/jain_wallace.md): the steps of its rules (``seatlib.jw.steps``).

The algorithms live beside it: ``seatlib.importance`` (feature importance), ``seatlib.agreement``
(Kendall tau, Table 2), ``seatlib.counterfactual`` (permutation, adversary) and the figures in
``seatlib.figures.jw_*``.
"""
