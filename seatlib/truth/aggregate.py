"""Explainers pooled over training seeds, with bootstrap 95% intervals, and ranked.

Only the (model, seed) runs whose check passed are pooled; a model without one is absent. The
point value is the mean over seeds of the per-seed mean over examples (the same test subset
for every seed). The interval resamples both levels, seeds and examples, with replacement,
``n_boot`` times from a generator seeded with ``seed`` and the group's position; every
explainer and metric of a model shares the draws (paired), and the percentile interval is
reported. Ranks are within (dataset, variant, model), 1 = best.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from seatlib.schema.truth import METRICS, TABLES

KEY = ["dataset", "variant", "model"]


def pooled_scores(examples: pd.DataFrame, checks: pd.DataFrame, n_boot: int,
                  seed: int) -> pd.DataFrame:
    """Tables "truth_example_scores" and "truth_checks" -> table "truth_scores"."""
    run = [*KEY, "seed"]
    ok = checks.loc[checks["passed"], run]
    ex = examples.merge(ok, on=run, how="inner")
    out = []
    for g, (key, grp) in enumerate(ex.groupby(KEY, sort=True)):
        seeds = np.sort(grp["seed"].unique())
        ids = np.sort(grp["example_id"].unique())
        explainers = sorted(grp["explainer"].unique())
        full = pd.MultiIndex.from_product([explainers, seeds, ids],
                                          names=["explainer", "seed", "example_id"])
        cube = grp.set_index(["explainer", "seed", "example_id"])[list(METRICS)]
        if len(cube) != len(full) or cube.index.duplicated().any():
            where = dict(zip(KEY, key, strict=True))
            raise ValueError(f"{where}: every seed needs the same examples and explainers "
                             "(one row each)")
        cube = cube.reindex(full).to_numpy().reshape(len(explainers), len(seeds), len(ids),
                                                     len(METRICS))
        values = np.moveaxis(cube, 3, 1).reshape(-1, len(seeds), len(ids))  # (E*M, S, N)
        rng = np.random.default_rng([seed, g])
        s_count = _counts(rng.integers(0, len(seeds), (n_boot, len(seeds))), len(seeds))
        n_count = _counts(rng.integers(0, len(ids), (n_boot, len(ids))), len(ids))
        # mean over the resampled (seed, example) pairs, for every draw at once
        boot = np.einsum("bs,esn,bn->eb", s_count, values, n_count) / (len(seeds) * len(ids))
        point = values.mean((1, 2)).reshape(len(explainers), len(METRICS))
        lo, hi = (np.percentile(boot, q, axis=1).reshape(len(explainers), len(METRICS))
                  for q in (2.5, 97.5))
        frame = pd.DataFrame({**dict(zip(KEY, key, strict=True)), "explainer": explainers,
                              "n_seeds": len(seeds), "n_examples": len(ids)})
        for j, m in enumerate(METRICS):
            frame[m], frame[f"{m}_lo"], frame[f"{m}_hi"] = point[:, j], lo[:, j], hi[:, j]
        order = np.lexsort((frame["explainer"], -frame["auprc"], -frame["precision_at_k"]))
        frame["rank_truth"] = np.empty(len(frame), dtype=np.int64)
        frame.loc[order, "rank_truth"] = np.arange(1, len(frame) + 1)
        frame["rank_comprehensiveness"] = frame["comprehensiveness_aopc"].rank(
            ascending=False, method="min").astype(np.int64)
        frame["rank_sufficiency"] = frame["sufficiency_aopc"].rank(
            ascending=True, method="min").astype(np.int64)
        out.append(frame.sort_values("rank_truth", kind="stable"))
    if not out:  # no model passed its check
        return TABLES["truth_scores"].empty_table().to_pandas()
    return pd.concat(out, ignore_index=True)


def _counts(draws: np.ndarray, n: int) -> np.ndarray:
    """(B, n) indices -> (B, n) how often each index was drawn."""
    counts = np.zeros((len(draws), n))
    np.add.at(counts, (np.repeat(np.arange(len(draws)), draws.shape[1]), draws.ravel()), 1)
    return counts


def markdown_frame(scores: pd.DataFrame) -> pd.DataFrame:
    """The Markdown view: each metric as 'mean [lo, hi]'."""
    view = scores[[*KEY, "explainer", "n_seeds", "n_examples"]].copy()
    for m in METRICS:
        view[m] = [f"{v:.3f} [{lo:.3f}, {hi:.3f}]" for v, lo, hi in
                   zip(scores[m], scores[f"{m}_lo"], scores[f"{m}_hi"], strict=True)]
    for r in ("rank_truth", "rank_comprehensiveness", "rank_sufficiency"):
        view[r] = scores[r]
    return view
