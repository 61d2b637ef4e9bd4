"""SEAT (Hu et al., AAAI 2023): stable and explainable attention, its baselines and metrics.

One module per concern:

- ``settings``: the ``seat:`` block of config.yaml as dataclasses (paper values as defaults).
- ``metrics``: the Sens area and one-hot gold labels (TVD and the authors' JSD are
  ``seatlib.divergence.tvd`` / ``jsd_authors``).
- ``pgd``: l-inf / l2 projected gradient ascent, simplex projection, interpretable AT (iAT).
- ``topk``: the differentiable top-k surrogate and the true top-k overlap.
- ``objectives``: SEAT (paper / authors' development code), the released-code variant and the
  baselines, a registry by method name.
- ``train``: SEAT's batch loss and dev evaluation for the one loop ``seatlib.fit.fit``
  (vanilla targets, dev-only model selection, per-epoch log).
- ``substitution``: GloVe nearest-neighbour word substitution.
- ``evaluate``: F1, stability under embedding PGD, Sens, Comp/Suff, top-k overlap, substitution.
- ``steps``: one function per rule of workflow/rules/seat.smk, taking the job.
"""
