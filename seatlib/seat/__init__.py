"""SEAT (Hu et al., AAAI 2023): stable and explainable attention, its baselines and metrics.

One module per concern:

- ``config``: the ``seat:`` block of config.yaml as dataclasses (paper values as defaults).
- ``divergence``: per-instance TVD, JSD and the Sens area.
- ``pgd``: l-inf / l2 projected gradient ascent, simplex projection, interpretable AT (iAT).
- ``topk``: the differentiable top-k surrogate and the true top-k overlap.
- ``objectives``: SEAT (paper / authors' development code), the released-code variant and the
  baselines, a registry by method name.
- ``train``: the training loop (vanilla targets, dev-only model selection, per-epoch log).
- ``substitution``: GloVe nearest-neighbour word substitution.
- ``evaluate``: F1, stability under embedding PGD, Sens, Comp/Suff, top-k overlap, substitution.
- ``steps``: file-to-file steps the rule scripts call.
"""
