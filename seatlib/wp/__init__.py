"""Wiegreffe & Pinter 2019's controls for the Jain & Wallace study.

- ``settings``: the ``wp:`` config block, its paper preset and its checks.
- ``common``: per-instance divergences of one model's outputs from another's.
- ``seeds``: per-instance variance of attention and output across random seeds (WP section 3.2).
- ``consistent_adversary``: a model trained to match the base model's predictions while its
  attention diverges (WP section 4), loss TVD - lambda * KL on real tokens only.
- ``guided``: the non-contextual ``average`` encoder trained with a fixed guide attention
  (WP section 3.3, the diagnostic).
- ``tables``: the frames of the study's tables, from other frames.
- ``steps``: one function per ``wp_*`` rule, taking the job (``seatlib.steps`` dispatches).

Training goes through ``seatlib.train.fit_recipe`` (the one loop, ``seatlib.fit``).
"""
