"""Figures a reviewer accepts (issue 16): each figure is drawn from a small table made here and
checked on its matplotlib objects before saving (labels, legends, colour bars, limits, colours).

Expected strings are written out literally (the SST label names, the bin notation), not taken
from the code under test."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

BINS = ["[0, 0.25)", "[0.25, 0.5)", "[0.5, 0.75)", "[0.75, 1]"]  # the one notation
SST = ["negative", "positive"]  # seatlib.data.sources: sst's label names


@pytest.fixture
def capture(monkeypatch):
    """Draw a figure function with its module's save_figure replaced: returns the figure,
    drawn (so that window extents are known), not saved."""

    def run(module, func, *args, **kwargs):
        figs = []

        def keep(fig, *_a, **_k):
            fig.canvas.draw()
            figs.append(fig)

        monkeypatch.setattr(module, "save_figure", keep)
        getattr(module, func)(*args, "x.pdf", "x.png", **kwargs)
        assert len(figs) == 1
        return figs[0]

    yield run
    plt.close("all")


def _texts(fig) -> list[str]:
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        out += [t.get_text() for t in ax.texts]
        leg = ax.get_legend()
        if leg is not None:
            out += [t.get_text() for t in leg.get_texts()]
    for leg in fig.legends:
        out += [t.get_text() for t in leg.get_texts()]
    return out


def _legend_texts(fig) -> list[str]:
    legs = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] + fig.legends
    return [t.get_text() for leg in legs for t in leg.get_texts()]


def _bin_ticks(ax, axis: str) -> list[str]:
    labels = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    return [t.get_text() for t in labels]


def _colorbars(fig) -> int:
    return sum(ax.get_label() == "<colorbar>" for ax in fig.axes)


def _instances(n=40, seed=0) -> pd.DataFrame:
    """JW-style per-instance rows: pred 0/1, max attention spread over all four bins."""
    rng = np.random.default_rng(seed)
    max_att = np.tile([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.95], n // 8)
    pred = np.repeat([0, 1], n // 2)
    return pd.DataFrame({"dataset": "sst", "model": "bilstm-tanh", "seed": 1, "split": "test",
                         "example_id": [f"test-{i:05d}" for i in range(n)],
                         "label": pred, "pred": pred, "max_attention": max_att,
                         "v": rng.uniform(0.01, 0.6, n)})


def _expected_bin_ticks(df) -> list[str]:
    edges = [0, 0.25, 0.5, 0.75, 1.0001]
    counts = [int(((df["max_attention"] >= lo) & (df["max_attention"] < hi)).sum())
              for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    return [f"{b}\nn={c}" for b, c in zip(BINS, counts, strict=True)]


# ---- JW ---------------------------------------------------------------------------------------

def test_permutation_label_names_bins_n_and_tvd_note(capture):
    from seatlib.figures import jw_permutation

    perm = _instances().rename(columns={"v": "median_tvd"})
    perm["mean_tvd"] = perm["median_tvd"]
    fig = capture(jw_permutation, "plot_permutation", perm)
    ax = fig.axes[0]
    assert _bin_ticks(ax, "y") == _expected_bin_ticks(perm)
    assert _legend_texts(fig) == ["predicted negative (n=20)", "predicted positive (n=20)"]
    assert "[0, 1]" in ax.get_xlabel() and "TVD" in ax.get_xlabel()
    assert "n=40" in ax.get_title()


def test_adversary_jsd_in_nats_on_every_jsd_axis(capture):
    from seatlib.figures import jw_adversary

    adv = _instances().rename(columns={"v": "emax_jsd"})
    adv["emax_tvd"] = 0.01
    fig = capture(jw_adversary, "plot_adversary", adv)
    jsd_axes = [ax for ax in fig.axes if "JSD" in ax.get_xlabel()]
    assert len(jsd_axes) == 2
    assert all("(nats)" in ax.get_xlabel() for ax in jsd_axes)
    assert _bin_ticks(fig.axes[1], "y") == _expected_bin_ticks(adv)
    assert "predicted negative (n=20)" in _legend_texts(fig)
    assert not any("predicted 0" in t or "predicted 1" in t for t in _texts(fig))


def test_tau_hist_label_names_and_n(capture):
    from seatlib.figures import jw_tau_hist

    rows = []
    rng = np.random.default_rng(1)
    for method in ("gradient", "loo"):
        for i in range(30):
            rows.append({"dataset": "sst", "model": "bilstm-tanh", "seed": 1,
                         "method_a": "attention", "method_b": method, "pred": i % 2,
                         "tau": rng.uniform(-1, 1), "defined": True})
    fig = capture(jw_tau_hist, "plot_tau_hist", pd.DataFrame(rows))
    legend = _legend_texts(fig)
    assert sum(t.startswith("predicted negative (n=15,") for t in legend) == 2
    assert sum(t.startswith("predicted positive (n=15,") for t in legend) == 2


def test_adversary_example_colour_bar_and_readable_title(capture):
    from seatlib.figures import jw_adversary_example

    toks = ["<SOS>", *[f"w{i}" for i in range(9)], "<EOS>"]
    att = np.r_[0, np.full(9, 1 / 9), 0]
    adv = pd.DataFrame({"dataset": "sst", "model": "bilstm-tanh", "seed": 1, "split": "test",
                        "example_id": ["test-01192", "test-00007"], "label": [1, 0],
                        "pred": [1, 0], "max_attention": [0.2, 0.2], "emax_jsd": [0.5, 0.1],
                        "emax_tvd": [0.01, 0.01], "attention": [att, att],
                        "adversarial_attention": [att[::-1], att]})
    pred = pd.DataFrame({"example_id": ["test-01192", "test-00007"], "tokens": [toks, toks],
                         "prob": [np.array([0.2, 0.8]), np.array([0.7, 0.3])]})
    fig = capture(jw_adversary_example, "plot_adversary_example", adv, pred)
    assert _colorbars(fig) == 1
    title = fig.axes[0].get_title()
    assert title.startswith("sst, test split, example 1192")
    assert "test-01192" not in title
    assert "P(positive) = 0.80" in title and "nats" in title


# ---- models ------------------------------------------------------------------------------------

def test_test_summary_label_names_and_colour_bar(capture):
    from seatlib.figures import models_test_summary

    n = 12
    pred = pd.DataFrame({"dataset": "sst", "model": "bilstm-tanh", "seed": 1,
                         "label": np.arange(n) % 2, "pred": (np.arange(n) // 3) % 2,
                         "prob": [np.array([0.4, 0.6])] * n,
                         "max_attention": np.linspace(0.1, 0.9, n)})
    fig = capture(models_test_summary, "plot_test_summary", pred)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == SST
    assert [t.get_text() for t in ax.get_yticklabels()] == SST
    assert _colorbars(fig) == 1
    assert "n=12" in fig.texts[0].get_text()


# ---- SEAT --------------------------------------------------------------------------------------

def _perturbation(methods=("vanilla", "seat")) -> pd.DataFrame:
    base = _instances(48)
    rows = []
    for m in methods:
        d = base.drop(columns=["model", "split", "v"]).assign(
            encoder="bilstm", method=m, radius=0.01,
            jsd=np.random.default_rng(len(m)).uniform(1e-5, 1e-2, len(base)), tvd=0.01)
        rows.append(d)
    return pd.concat(rows, ignore_index=True)


def test_seat_violin_lines_in_method_colour_bins_and_names(capture):
    from seatlib.figures import seat_violin
    from seatlib.figures.seat_common import method_color

    df = _perturbation()
    fig = capture(seat_violin, "plot_violin", df, 0.01, ["vanilla", "seat"])
    for ax, method in zip(fig.axes, ("vanilla", "seat"), strict=True):
        want = mcolors.to_rgba(method_color(method))
        lines = [c for c in ax.collections if isinstance(c, matplotlib.collections.LineCollection)]
        assert len(lines) >= 3 * 8  # medians, mins, maxes, bars of 8 violins
        for coll in lines:
            for rgba in coll.get_colors():
                assert tuple(rgba) == pytest.approx(want)
        assert _bin_ticks(ax, "x") == _expected_bin_ticks(df[df["method"] == method])
        assert "(nats)" in fig.axes[0].get_ylabel()
        assert "n=48" in ax.get_title()
    assert _legend_texts(fig) == ["predicted negative (n=48)", "predicted positive (n=48)"]


def test_seat_heatmap_colour_bar_names_and_title(capture):
    from seatlib.figures import seat_heatmap

    words = ["a", "haphazard", "film", "about", "love"]
    test = pd.DataFrame({"example_id": ["test-01192", "test-00003"],
                         "tokens": [words, words[:4]]})
    subst = pd.DataFrame({"example_id": ["test-01192", "test-00003"], "n_changed": [1, 1],
                          "positions": [[2], [1]], "replacement": [["chaotic"], ["an"]]})
    att = np.r_[0, 0.1, 0.5, 0.2, 0.1, 0.1, 0]
    inst = pd.DataFrame({"dataset": "sst", "encoder": "bilstm", "method": "vanilla", "seed": 1,
                         "example_id": ["test-01192", "test-00003"], "label": [0, 1],
                         "pred": [0, 1], "prob": [np.array([0.9, 0.1])] * 2,
                         "attention": [att, att[:6]], "subst_attention": [att, att[:6]],
                         "subst_prob": [np.array([0.8, 0.2])] * 2, "subst_jsd": [1e-3, 1e-3],
                         "subst_tvd": [0.1, 0.01]})
    fig = capture(seat_heatmap, "plot_heatmap", test, subst, [inst])
    assert _colorbars(fig) == 1
    ax = fig.axes[0]
    title = ax.get_title()
    assert title.startswith("sst, test split, example 1192")
    assert "true label negative" in title and "test test-" not in title
    ylab = [t.get_text() for t in ax.get_yticklabels()]
    assert ylab[0] == "Vanilla: clean  P(positive)=0.100"
    assert "nats" in ylab[1]


def test_seat_topk_overlap_axis_from_data(capture):
    from seatlib.figures import seat_topk

    rows = [{"dataset": "sst", "encoder": "bilstm", "method": m, "seed": 1, "epoch": e,
             "train_topk_loss": 1.0 / (e + 1), "dev_topk_loss": 1.0 / (e + 2),
             "train_topk_overlap": 0.05 + 0.02 * e, "dev_topk_overlap": 0.04 + 0.03 * e}
            for m in ("vanilla", "seat") for e in range(4)]
    fig = capture(seat_topk, "plot_topk_epochs", pd.DataFrame(rows), 4, ["vanilla", "seat"])
    for ax, (bottom, top) in zip(fig.axes[2:4], ((0.05, 0.11), (0.04, 0.13)), strict=True):
        lo, hi = ax.get_ylim()
        assert top < hi < 0.2  # not 0-1 when the points lie below 0.2
        assert 0 <= lo < bottom


def test_seat_radius_units(capture):
    from seatlib.figures import seat_radius

    df = pd.concat([_perturbation().assign(radius=r) for r in (0.01, 0.1)], ignore_index=True)
    fig = capture(seat_radius, "plot_radius", df, ["vanilla", "seat"])
    assert "(nats)" in fig.axes[0].get_ylabel()
    assert "[0, 1]" in fig.axes[1].get_ylabel()


# ---- Wiegreffe & Pinter ------------------------------------------------------------------------

def test_wp_seed_variance_names_bins_and_tvd_axis(capture):
    from seatlib.figures import wp_seed_variance

    base = _instances()
    per = pd.DataFrame({"dataset": "sst", "model": "bilstm-tanh", "base_seed": 1,
                        "example_id": base["example_id"], "pred": base["pred"],
                        "max_attention": base["max_attention"], "n_seeds": 4,
                        "median_jsd": base["v"] / 2, "mean_tvd": np.linspace(0.01, 0.12, 40)})
    fig = capture(wp_seed_variance, "plot_seed_variance", per)
    ax1, ax2 = fig.axes
    assert _bin_ticks(ax1, "y") == _expected_bin_ticks(per)
    assert "predicted negative (n=20)" in _legend_texts(fig)
    lo, hi = ax2.get_ylim()
    assert 0.12 < hi < 0.2 and 0 <= lo < 0.01
    assert "[0, 1]" in ax2.get_ylabel()
    assert "(nats)" in ax1.get_xlabel() and "(nats)" in ax2.get_xlabel()


def _tradeoff() -> pd.DataFrame:
    key = {"dataset": "sst", "base_model": "bilstm-tanh", "base_seed": 1, "n": 500}
    pts = [("adversary", "lambda 0.0001", 0.08, 0.010), ("adversary", "lambda 0.001", 0.25, 0.03),
           ("adversary", "lambda 0.01", 0.45, 0.06), ("adversary", "lambda 0.1", 0.62, 0.09),
           ("seed", "seed 2", 0.20, 0.012), ("seed", "seed 3", 0.22, 0.011),
           ("uniform", "uniform", 0.03, 0.10)]  # top left: where the old legend sat
    return pd.DataFrame([{**key, "kind": k, "label": lab, "mean_jsd": x, "mean_tvd": y}
                         for k, lab, x, y in pts])


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _tradeoff_drawn(capture):
    from matplotlib.transforms import Bbox

    from seatlib.figures import wp_tradeoff

    df = _tradeoff()
    fig = capture(wp_tradeoff, "plot_tradeoff", df)
    ax = fig.axes[0]
    half = (10 + 2) / 2 * fig.dpi / 72  # "+" markers: ms 10, mew 2 (points); others smaller

    def box(x, y):
        px, py = ax.transData.transform((x, y))
        return Bbox([[px - half, py - half], [px + half, py + half]])

    markers = [box(x, y) for x, y in zip(df["mean_jsd"], df["mean_tvd"], strict=True)]
    return fig, ax, fig.canvas.get_renderer(), markers


def test_wp_tradeoff_legend_outside_clear_of_markers(capture):
    fig, ax, renderer, markers = _tradeoff_drawn(capture)
    legend = ax.get_legend().get_window_extent(renderer)
    for m in markers:
        assert not _overlaps(legend, m)
    assert not _overlaps(legend, ax.get_window_extent(renderer))  # outside the axes
    assert "(nats)" in ax.get_xlabel() and "[0, 1]" in ax.get_ylabel()
    assert "n=500" in ax.get_title()
    assert math.isclose(ax.get_xlim()[1], math.log(2) * 1.05)


def test_wp_tradeoff_lambda_labels_clear_of_markers(capture):
    fig, ax, renderer, markers = _tradeoff_drawn(capture)
    labels = [t for t in ax.texts if t.get_text().startswith("λ=")]
    assert [t.get_text() for t in labels] == ["λ=0.0001", "λ=0.001", "λ=0.01", "λ=0.1"]
    for t in labels:
        ext = t.get_window_extent(renderer)
        for m in markers:
            assert not _overlaps(ext, m), t.get_text()
