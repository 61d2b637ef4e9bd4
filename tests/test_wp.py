"""Wiegreffe & Pinter's controls (seatlib.wp) on tiny models and hand-made frames."""

import json
import math
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.spatial.distance import jensenshannon

from seatlib.metrics import max_attention_bin_label as max_attention_bin
from seatlib.schema import read_table, to_arrow, write_table
from seatlib.train import TrainConfig
from seatlib.wp import steps
from seatlib.wp.common import attention_kl, compare_to_base, divergences
from seatlib.wp.consistent_adversary import (
    AdversaryConfig,
    base_targets,
    batch_objective,
    consistent_loss,
    train_consistent_adversary,
)
from seatlib.wp.guided import (
    check_guides,
    guided_predictions,
    model_guides,
    train_guided,
    uniform_guides,
)
from seatlib.wp.seeds import seed_variance, seed_variance_summary
from seatlib.wp.settings import PAPER_SEEDS, WPConfigError, check_wp, lambda_tag, wp_settings
from tests.conftest import REPO, tiny_batch, tiny_model

# ---------------------------------------------------------------- KL with padding


def test_attention_kl_masks_padding_before_any_log():
    ids, real = tiny_batch()  # lengths 6, 4, 3: SOS/EOS/PAD are exact zeros in both
    torch.manual_seed(0)
    scores = torch.randn(real.shape, requires_grad=True)
    att = torch.softmax(scores.masked_fill(~real, -1e9), -1) * real
    ref = torch.softmax(torch.randn(real.shape).masked_fill(~real, -1e9), -1) * real
    value = attention_kl(att, ref, real)
    value.sum().backward()
    assert torch.isfinite(value).all() and torch.isfinite(scores.grad).all()
    # equals sum p ln(p/q) over the real tokens only
    for b in range(3):
        p, q = att[b][real[b]].detach(), ref[b][real[b]]
        assert value[b].item() == pytest.approx(float((p * (p / q).log()).sum()), rel=1e-5)
    # the unmasked form WP's code used gives NaN here (0 * log 0 at the padding)
    naive = torch.nn.functional.kl_div(ref.log(), att.detach(), reduction="none")
    assert torch.isnan(naive[~real]).all()  # 0 * (log 0 - log 0)


def test_consistent_loss_is_finite_with_zero_or_nan_padding_and_underflow():
    ids, real = tiny_batch()
    model = tiny_model()
    out = model(ids, real)
    target_p = torch.tensor([[0.2, 0.8], [0.9, 0.1], [0.5, 0.5]])
    target_a = real.float() / real.sum(-1, keepdim=True)
    target_a[~real] = float("nan")  # anything outside the words must be ignored
    target_a[0, 1] = 0.0  # a real-token weight that underflowed: KL stays finite (floor)
    loss, d_tvd, d_kl = consistent_loss(out.logits, out.attention, target_p, target_a, real, 0.5)
    loss.sum().backward()
    assert torch.isfinite(loss).all() and (d_kl >= 0).all()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    p = torch.sigmoid(out.logits[:, 0]).detach()
    assert torch.allclose(d_tvd.detach(), (p - target_p[:, 1]).abs(), atol=1e-6)


def test_consistent_loss_is_wp_formula_by_hand():
    # WP's code, lambda in WP's unit: 1/2 |sigma(y_a) - y_b| - lambda KL(a_a || a_b).
    # Instance 0: sigma(0) = 0.5 vs 0.8 -> 0.15; attention (1/2, 1/2) vs (1/4, 3/4):
    # KL = ln(4/3) / 2. Instance 1: sigma(ln 3) = 0.75 vs 0.5 -> 0.125; (1/3, 1/3, 1/3) vs
    # (1/2, 1/4, 1/4): KL = ln(32/27) / 3. (The old objective TVD - lambda KL gave 0.3 and 0.25
    # for the TVD parts.)
    logits = torch.tensor([[0.0], [np.log(3.0)]], dtype=torch.float64)
    real = torch.tensor([[0, 1, 1, 0, 0], [0, 1, 1, 1, 0]], dtype=torch.bool)
    att = torch.tensor([[0, .5, .5, 0, 0], [0, 1 / 3, 1 / 3, 1 / 3, 0]], dtype=torch.float64)
    ref = torch.tensor([[0, .25, .75, 0, 0], [0, .5, .25, .25, 0]], dtype=torch.float64)
    target_p = torch.tensor([[0.2, 0.8], [0.5, 0.5]], dtype=torch.float64)
    lam = 0.1
    loss, d_tvd, d_kl = consistent_loss(logits, att, target_p, ref, real, lam)
    kl = np.array([np.log(4 / 3) / 2, np.log(32 / 27) / 3])
    np.testing.assert_allclose(d_kl.numpy(), kl, rtol=1e-9)
    np.testing.assert_allclose(d_tvd.numpy(), [0.3, 0.25], rtol=1e-12)  # the true TVD
    np.testing.assert_allclose(loss.numpy(), np.array([0.15, 0.125]) - lam * kl, rtol=1e-9)


@pytest.mark.parametrize("reduction, quirk, expected", [
    ("sum", False, 0.2), ("mean", False, 0.2 / 3),
    # WP's code: x sum of the class weights, 2 + 1 + 2 = 5 with pos_weight 2
    ("sum", True, 0.2 * 5), ("mean", True, 0.2 / 3 * 5)])
def test_batch_objective_and_class_weight_quirk(reduction, quirk, expected):
    per = torch.tensor([0.3, -0.2, 0.1], dtype=torch.float64)
    got = batch_objective(per, np.array([1, 0, 1]), 2.0, reduction, quirk)
    assert got.item() == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------- toy data


def toy_split(n=96, seed=0, vocab=30):
    """Label 1 iff token 5 occurs; sequences of 3-7 words among ids 6..vocab-1."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        words = list(rng.integers(6, vocab, size=int(rng.integers(3, 8))))
        label = i % 2
        if label:
            words[int(rng.integers(len(words)))] = 5
        rows.append({"example_id": f"x{i}", "text": "", "tokens": [str(w) for w in words],
                     "token_ids": [2, *map(int, words), 3], "label": label})
    return pd.DataFrame(rows)


CFG = TrainConfig(epochs=3, batch_size=16, lr=0.01, eval_batch_size=64)


@pytest.fixture(scope="module")
def toy():
    train, dev = toy_split(96, 0), toy_split(48, 1)
    base = tiny_model(seed=3)
    # a quickly trained base model, so its attention is not the initial one
    from seatlib.train import train_model

    state, _, _ = train_model(base, train, dev, CFG, 0, "cpu")
    base.load_state_dict(state)
    base.eval()
    targets = {k: base_targets(base, list(df["token_ids"]), "cpu") for k, df in
               (("train", train), ("dev", dev))}
    return train, dev, base, targets


def adversary_kl(toy, lam, epochs=4, seed=1, **kw):
    train, dev, _, targets = toy
    model = tiny_model(seed=seed)
    adv = AdversaryConfig(lam=lam, epochs=epochs, **kw)
    state, frame, best = train_consistent_adversary(model, train, dev, targets["train"],
                                                    targets["dev"], CFG, adv, seed, "cpu",
                                                    {"dataset": "toy", "model": "adv",
                                                     "seed": seed})
    return state, frame, best


def test_adversary_diverges_more_in_attention_as_lambda_grows(toy):
    kl, tvd = [], []
    for lam in (0.0, 0.1, 5.0):
        _, frame, best = adversary_kl(toy, lam)
        row = frame[frame["epoch"] == best].iloc[0]
        kl.append(row["dev_kl"])
        tvd.append(row["dev_tvd"])
        assert np.isfinite(frame[["train_loss", "dev_kl", "dev_jsd"]].to_numpy()).all()
    assert kl[0] < kl[1] < kl[2], kl
    assert kl[2] > 5 * max(kl[0], 1e-3), kl
    assert tvd[0] < 0.3  # lambda 0 is plain distillation of the base model's predictions


def test_adversary_is_seeded_and_early_stopping_and_selection_work(toy):
    s1, f1, _ = adversary_kl(toy, 0.01, epochs=2)
    s2, f2, _ = adversary_kl(toy, 0.01, epochs=2)
    assert all(torch.equal(s1[k], s2[k]) for k in s1)
    assert f1["dev_kl"].tolist() == f2["dev_kl"].tolist()
    _, frame, best = adversary_kl(toy, 0.01, epochs=6, selection="train_loss", patience=1)
    assert frame["train_loss"].iloc[best] == frame["train_loss"].min()
    assert frame["selected"].sum() == 1 and frame["selected"].iloc[best]
    # the stopping rule replayed on the recorded losses: stop at the first epoch that is not
    # better than every earlier one (patience 1), else run all 6
    losses = frame["train_loss"].to_list()
    stop = next((e for e in range(1, len(losses)) if losses[e] >= min(losses[:e])), 5)
    assert len(frame) == stop + 1 and best == int(np.argmin(losses))
    to_arrow(frame, "wp_adversary_epochs")


def test_adversary_config_rejects_unknown_selection_and_negative_lambda():
    with pytest.raises(ValueError, match="selection 'dev_loss' is unknown"):
        AdversaryConfig(lam=0.1, selection="dev_loss")
    with pytest.raises(ValueError, match="lambda is -1"):
        AdversaryConfig(lam=-1)


# ---------------------------------------------------------------- guided diagnostic


def test_guided_model_uses_the_guide_as_its_attention(toy):
    train, dev, base, _ = toy
    guides = {k: model_guides(base, list(df["token_ids"]), "cpu")
              for k, df in (("train", train), ("dev", dev))}
    model = tiny_model("average", "uniform", seed=4)
    state, frame, best = train_guided(model, train, dev, guides["train"], guides["dev"], CFG,
                                      0, "cpu", {"dataset": "toy", "model": "g", "seed": 0})
    model.load_state_dict(state)
    to_arrow(frame, "epoch_metrics")
    pred = guided_predictions(model, dev, guides["dev"], {"dataset": "toy", "model": "g",
                                                          "seed": 0}, "dev", "cpu")
    to_arrow(pred, "predictions")
    for used, guide in zip(pred["attention"], guides["dev"], strict=True):
        np.testing.assert_allclose(used, guide, atol=1e-7)
        assert not np.allclose(used[1:-1], used[1])  # the base guide is not uniform
    # another guide gives other outputs: the guide really drives the prediction
    other = guided_predictions(model, dev, uniform_guides(list(dev["token_ids"])),
                               {"dataset": "toy", "model": "g", "seed": 0}, "dev", "cpu")
    assert not np.allclose(np.stack(pred["prob"]), np.stack(other["prob"]))


def test_uniform_guides_and_guide_checks():
    ids = [[2, 7, 8, 9, 3], [2, 7, 3]]
    g = uniform_guides(ids)
    np.testing.assert_allclose(g[0], [0, 1 / 3, 1 / 3, 1 / 3, 0], rtol=1e-6)
    np.testing.assert_allclose(g[1], [0, 1, 0])
    check_guides(g, ids, "ok")
    with pytest.raises(ValueError, match="train guides: guide row 1 has 4 weights, the example "
                                         "has 3 positions"):
        check_guides([g[0], np.array([0, 1.0, 0, 0])], ids, "train guides")
    with pytest.raises(ValueError, match="dev: guide row 0 puts weight on SOS/EOS/PAD"):
        check_guides([np.array([0.5, 0.5, 0, 0, 0]), g[1]], ids, "dev")
    with pytest.raises(ValueError, match="dev: guide row 1 does not sum to 1"):
        check_guides([g[0], np.array([0, 0.5, 0])], ids, "dev")


# ---------------------------------------------------------------- seed variance


def pred_frame(seed, rows):
    """rows: (example_id, probs, attention over [SOS] w.. [EOS])."""
    return pd.DataFrame({
        "dataset": "hand", "model": "bilstm-tanh", "seed": seed, "split": "test",
        "example_id": [r[0] for r in rows], "label": 0,
        "pred": [int(np.argmax(r[1])) for r in rows],
        "prob": [np.array(r[1], dtype=np.float32) for r in rows],
        "tokens": [["<SOS>", *["w"] * (len(r[2]) - 2), "<EOS>"] for r in rows],
        "attention": [np.array(r[2], dtype=np.float32) for r in rows],
        "max_attention": [float(max(r[2])) for r in rows],
    })


BASE = pred_frame(1, [("a", [0.9, 0.1], [0, 0.8, 0.2, 0]),
                      ("b", [0.3, 0.7], [0, 0.5, 0.25, 0.25, 0])])
SEED2 = pred_frame(2, [("b", [0.4, 0.6], [0, 0.5, 0.25, 0.25, 0]),  # shuffled row order
                       ("a", [0.7, 0.3], [0, 0.2, 0.8, 0])])
SEED3 = pred_frame(3, [("a", [0.9, 0.1], [0, 1.0, 0.0, 0]),
                       ("b", [0.0, 1.0], [0, 0.0, 0.0, 1.0, 0])])


def js(p, q):
    return jensenshannon(p, q) ** 2  # natural log: JSD in nats


def test_seed_variance_on_hand_made_frames():
    per = seed_variance(BASE, {2: SEED2, 3: SEED3})
    to_arrow(per, "wp_seed_variance")
    assert per["example_id"].tolist() == ["a", "b"]
    ja = [js([0.8, 0.2], [0.2, 0.8]), js([0.8, 0.2], [1.0, 0.0])]
    jb = [0.0, js([0.5, 0.25, 0.25], [0, 0, 1])]
    np.testing.assert_allclose(per["median_jsd"], [np.median(ja), np.median(jb)], rtol=1e-5)
    np.testing.assert_allclose(per["mean_tvd"], [(0.2 + 0.0) / 2, (0.1 + 0.3) / 2], rtol=1e-5)
    assert per["max_attention"].tolist() == pytest.approx([0.8, 0.5])
    assert per["pred"].tolist() == [0, 1] and (per["n_seeds"] == 2).all()
    summary = seed_variance_summary(per)
    to_arrow(summary, "wp_seed_variance_summary")
    pooled = summary[(summary["pred_class"] == "all") & (summary["max_attention_bin"] == "all")]
    assert pooled["n"].item() == 2
    assert pooled["median_jsd"].item() == pytest.approx(per["median_jsd"].median())
    cell = summary[(summary["pred_class"] == "0") & (summary["max_attention_bin"] == "[0.75, 1]")]
    assert cell["n"].item() == 1


def test_seed_variance_refuses_other_examples_or_tokenisation():
    with pytest.raises(ValueError, match="seed 2: predictions cover different examples"):
        seed_variance(BASE, {2: SEED2.iloc[:1]})
    other = pred_frame(2, [("a", [0.5, 0.5], [0, 0.5, 0.5, 0, 0]),
                           ("b", [0.5, 0.5], [0, 0.5, 0.25, 0.25, 0])])
    with pytest.raises(ValueError, match="attention row 0 has length 5 in one model and 4"):
        seed_variance(BASE, {2: other})
    with pytest.raises(ValueError, match="at least one extra seed"):
        seed_variance(BASE, {})


def test_jsd_bounds_and_identity():
    d = compare_to_base(BASE, BASE)
    assert np.allclose(d[["jsd", "kl", "tvd"]].to_numpy(), 0)
    d = divergences([np.array([0, 1.0, 0, 0])], [np.array([0, 0, 1.0, 0])],
                    [[1.0, 0.0]], [[0.0, 1.0]])
    assert d["jsd"][0] == pytest.approx(math.log(2)) and d["tvd"][0] == pytest.approx(1.0)
    assert np.isfinite(d["kl"][0]) and d["kl"][0] > 20  # floored reference, not inf


def test_max_attention_bins_follow_jw():
    bins = max_attention_bin(np.array([0.1, 0.25, 0.5, 0.74, 0.75, 1.0]))
    assert bins.tolist() == ["[0, 0.25)", "[0.25, 0.5)", "[0.5, 0.75)", "[0.5, 0.75)",
                             "[0.75, 1]", "[0.75, 1]"]


# ---------------------------------------------------------------- settings


def wp_block(**over):
    wp = {"enabled": True, "paper": False, "datasets": None,
          "base": {"encoder": "bilstm", "attention": "tanh", "seed": 1},
          "uniform_encoders": ["bilstm"], "seeds": [2, 3],
          "adversary": {"lambdas": [0.001, 0.1], "epochs": 3, "patience": None,
                        "selection": "dev_objective", "seed": None,
                        "class_weight_quirk": False},
          "guided": {"guides": ["uniform", "own", "base", "adversary"],
                     "adversary_lambda": 0.001}}
    for k, v in over.items():
        wp[k] = v
    return {"experiments": {"datasets": ["sst"]}, "wp": wp}


def test_settings_paper_preset_and_checks():
    wp = wp_settings(wp_block())
    assert wp["datasets"] == ["sst"] and wp["base_model"] == "bilstm-tanh"
    assert wp["lambda_tags"] == ["0.001", "0.1"] and wp["adversary_seed"] == 1
    paper = wp_settings(wp_block(paper=True))
    assert paper["seeds"] == list(PAPER_SEEDS) and paper["adversary"]["epochs"] == 80
    assert paper["adversary"]["patience"] == 10
    assert paper["adversary"]["selection"] == "train_loss"
    assert lambda_tag(1e-5) == "1e-05" and lambda_tag(1.0) == "1"
    check_wp(wp_block())
    with pytest.raises(WPConfigError, match="config.yaml: key wp.seeds contains the base seed 1"):
        check_wp(wp_block(seeds=[1, 2]))
    bad = wp_block()
    bad["wp"]["guided"]["adversary_lambda"] = 0.5
    with pytest.raises(WPConfigError, match="wp.guided.adversary_lambda is 0.5, expected one of"):
        check_wp(bad)
    bad = wp_block()
    bad["wp"]["adversary"]["lambdas"] = [0.1, 0.10]
    with pytest.raises(WPConfigError, match="wp.adversary.lambdas has repeated values"):
        check_wp(bad)


# ---------------------------------------------------------------- figures


def test_figures_are_written(tmp_path):
    from seatlib.figures.wp_seed_variance import plot_seed_variance
    from seatlib.figures.wp_tradeoff import plot_tradeoff

    rng = np.random.default_rng(0)
    n = 200
    per = pd.DataFrame({"dataset": "hand", "model": "bilstm-tanh", "base_seed": 1,
                        "example_id": [str(i) for i in range(n)], "pred": rng.integers(0, 2, n),
                        "max_attention": rng.uniform(0.05, 1, n), "n_seeds": 2,
                        "median_jsd": rng.uniform(0, 0.6, n), "mean_tvd": rng.uniform(0, 1, n)})
    per.loc[0, "max_attention"] = 0.9  # a bin may hold a single instance
    plot_seed_variance(per, tmp_path / "s.pdf", tmp_path / "s.png")
    trade = pd.DataFrame({
        "dataset": "hand", "base_model": "bilstm-tanh", "base_seed": 1,
        "kind": ["seed", "seed", "uniform", "adversary", "adversary"],
        "label": ["seed 2", "seed 3", "uniform", "lambda 0.001", "lambda 0.1"],
        "model": "m", "seed": 1, "n": 10, "mean_jsd": [0.1, 0.12, 0.3, 0.2, 0.6],
        "median_jsd": 0.1, "mean_tvd": [0.05, 0.06, 0.1, 0.02, 0.2], "mean_kl": 0.1,
        "f1": 0.8})
    to_arrow(trade, "wp_tradeoff")
    plot_tradeoff(trade, tmp_path / "t.pdf", tmp_path / "t.png")
    for name in ("s", "t"):
        assert (tmp_path / f"{name}.pdf").read_bytes().startswith(b"%PDF")
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000




def jw_adversary_frame(n=50, model="bilstm-tanh", seed=1):
    rng = np.random.default_rng(1)
    return pd.DataFrame({"dataset": "hand", "model": model, "seed": seed,
                         "example_id": [str(i) for i in range(n)], "label": 0,
                         "pred": rng.integers(0, 2, n),
                         "max_attention": rng.uniform(0.05, 1, n).astype(np.float32),
                         "emax_jsd": rng.uniform(0, 0.69, n), "emax_tvd": rng.uniform(0, .05, n)})


def test_tradeoff_draws_the_jw_adversary_line_and_checks_the_model(monkeypatch, tmp_path):
    from seatlib.figures import wp_tradeoff

    figs = []
    monkeypatch.setattr(wp_tradeoff, "save_figure", lambda fig, pdf, png: figs.append(fig))
    trade = pd.DataFrame({
        "dataset": "hand", "base_model": "bilstm-tanh", "base_seed": 1,
        "kind": ["seed", "adversary"], "label": ["seed 2", "lambda 0.001"], "model": "m",
        "seed": 1, "n": 10, "mean_jsd": [0.1, 0.2], "median_jsd": 0.1,
        "mean_tvd": [0.05, 0.02], "mean_kl": 0.1, "f1": 0.8})
    adv = jw_adversary_frame()
    wp_tradeoff.plot_tradeoff(trade, tmp_path / "t.pdf", tmp_path / "t.png", adv)
    ax = figs[0].axes[0]
    vertical = [line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert vertical == [pytest.approx(adv["emax_jsd"].mean())]
    star = [c.get_offsets()[0] for c in ax.collections if len(c.get_offsets()) == 1]
    assert any(np.allclose(o, [adv["emax_jsd"].mean(), adv["emax_tvd"].mean()]) for o in star)
    with pytest.raises(ValueError, match="JW adversary of average-tanh seed 1, expected the "
                                         "base model bilstm-tanh seed 1"):
        wp_tradeoff.plot_tradeoff(trade, tmp_path / "t.pdf", tmp_path / "t.png",
                                  jw_adversary_frame(model="average-tanh"))


def test_seed_variance_against_jw_adversaries(monkeypatch, tmp_path):
    from seatlib.figures import wp_seed_variance as wsv

    figs = []
    monkeypatch.setattr(wsv, "save_figure", lambda fig, pdf, png: figs.append(fig))
    n = 50
    rng = np.random.default_rng(0)
    per = pd.DataFrame({"dataset": "hand", "model": "bilstm-tanh", "base_seed": 1,
                        "example_id": [str(i) for i in range(n)], "pred": rng.integers(0, 2, n),
                        "max_attention": rng.uniform(0.05, 1, n), "n_seeds": 2,
                        "median_jsd": rng.uniform(0, 0.6, n), "mean_tvd": rng.uniform(0, 1, n)})
    adv = jw_adversary_frame(n)
    wsv.plot_seed_variance_vs_adversary(per, adv, tmp_path / "s.pdf", tmp_path / "s.png")
    axes = figs[0].axes
    assert len(axes) == 4
    # bottom right: the adversaries' epsilon-max JSD against their output TVD, per class
    points = np.concatenate([c.get_offsets() for c in axes[3].collections])
    expected = adv[["emax_jsd", "emax_tvd"]].to_numpy()
    np.testing.assert_allclose(np.sort(points[:, 0]), np.sort(expected[:, 0]))
    np.testing.assert_allclose(np.sort(points[:, 1]), np.sort(expected[:, 1]))
    with pytest.raises(ValueError, match="JW adversary of bilstm-tanh seed 2, expected the base "
                                         "model bilstm-tanh seed 1"):
        wsv.plot_seed_variance_vs_adversary(per, jw_adversary_frame(n, seed=2),
                                            tmp_path / "s.pdf", tmp_path / "s.png")


# ---------------------------------------------------------------- steps (jobs as namespaces)


def job(tmp_path, inputs: dict, outputs: list, params=None, wildcards=None):
    """A job like Snakemake's: inputs written from frames, outputs under tmp_path."""
    written = {}
    for name, value in inputs.items():
        paths = []
        for i, (frame, schema) in enumerate(value if isinstance(value, list) else [value]):
            path = tmp_path / f"in_{name}_{i}.parquet"
            if schema == "json":
                path = path.with_suffix(".json")
                path.write_text(json.dumps(frame))
            else:
                write_table(frame, path, schema)
            paths.append(str(path))
        written[name] = paths if isinstance(value, list) else paths[0]
    out = {n: str(tmp_path / f"out_{n}.{'md' if n == 'markdown' else 'parquet'}")
           for n in outputs}
    return SimpleNamespace(input=SimpleNamespace(**written), output=SimpleNamespace(**out),
                           params=SimpleNamespace(**(params or {})),
                           wildcards=SimpleNamespace(**(wildcards or {})), threads=1, log=[])


def test_step_seed_variance_and_tradeoff_read_named_inputs(tmp_path):
    j = job(tmp_path, {"base": (BASE, "predictions"), "seed2": (SEED2, "predictions"),
                       "seed3": (SEED3, "predictions")},
            ["instances", "parquet", "markdown"], {"seeds": [2, 3]})
    steps.wp_seed_variance(j)
    per = read_table(j.output.instances, "wp_seed_variance")
    ja = [js([0.8, 0.2], [0.2, 0.8]), js([0.8, 0.2], [1.0, 0.0])]
    np.testing.assert_allclose(per["median_jsd"].iloc[0], np.median(ja), rtol=1e-5)
    summary = read_table(j.output.parquet, "wp_seed_variance_summary")
    assert summary["n"].iloc[-1] == 2 and "Seed variance" in open(j.output.markdown).read()

    uniform = pred_frame(9, [("a", [0.5, 0.5], [0, 0.5, 0.5, 0]),
                             ("b", [0.3, 0.7], [0, 0.5, 0.25, 0.25, 0])])
    j = job(tmp_path, {"base": (BASE, "predictions"), "seed2": (SEED2, "predictions"),
                       "uniform": (uniform, "predictions"),
                       "adversaries": [(SEED3, "predictions")]},
            ["parquet", "markdown"], {"seeds": [2], "lambdas": [0.01]})
    steps.wp_tradeoff(j)
    trade = read_table(j.output.parquet, "wp_tradeoff")
    assert trade["label"].tolist() == ["seed 2", "uniform", "lambda 0.01"]
    assert trade["kind"].tolist() == ["seed", "uniform", "adversary"]
    assert trade["mean_tvd"].tolist() == pytest.approx([(0.2 + 0.1) / 2, 0.4 / 2, 0.3 / 2])
    assert trade["mean_jsd"].iloc[1] == pytest.approx(js([0.8, 0.2], [0.5, 0.5]) / 2)


def metrics_frame(model, f1, accuracy, epoch=1):
    return pd.DataFrame([{"dataset": "hand", "model": model, "seed": 1, "split": "test",
                          "n": 10, "accuracy": accuracy, "f1": f1, "macro_f1": f1 / 2,
                          "roc_auc": 0.5, "selected_epoch": epoch}])


def test_step_tables_of_metrics_and_adversaries(tmp_path):
    j = job(tmp_path, {"trained": [(metrics_frame("bilstm-tanh", 0.8, 0.7), "test_metrics")],
                       "uniform": [(metrics_frame("bilstm-uniform", 0.6, 0.65), "test_metrics")]},
            ["parquet", "markdown"])
    steps.wp_table_uniform(j)
    uni = read_table(j.output.parquet, "wp_uniform").iloc[0]
    assert (uni["encoder"], uni["attention"]) == ("bilstm", "tanh")
    assert uni["f1_difference"] == pytest.approx(0.2)

    j = job(tmp_path, {"metrics": [(metrics_frame("average-uniform", 0.5, 0.5), "test_metrics"),
                                   (metrics_frame("average-guide-base", 0.9, 0.8, 3),
                                    "test_metrics")]},
            ["parquet", "markdown"], {"guides": [["uniform", "uniform"], ["base", "b seed 1"]]})
    steps.wp_table_guided(j)
    guided = read_table(j.output.parquet, "wp_guided")
    assert guided["guide_model"].tolist() == ["uniform", "b seed 1"]
    assert guided["selected_epoch"].tolist() == [1, 3]

    def adv_cfg(lam):
        return {"model_name": f"adv{lam:g}", "seed": 1, "epochs_run": 2, "selected_epoch": 1,
                "adversary": {"lam": lam, "selection": "dev_objective"}}

    j = job(tmp_path, {"base": (BASE, "predictions"),
                       "predictions": [(SEED3, "predictions"), (SEED2, "predictions")],
                       "configs": [(adv_cfg(1.0), "json"), (adv_cfg(0.1), "json")]},
            ["parquet", "markdown"])
    steps.wp_table_adversary(j)
    adv = read_table(j.output.parquet, "wp_adversary")
    assert adv["lam"].tolist() == [0.1, 1.0]  # sorted by lambda, each with its own predictions
    assert adv["model"].tolist() == ["adv0.1", "adv1"]
    assert adv["mean_jsd"].tolist() == pytest.approx(
        [js([0.8, 0.2], [0.2, 0.8]) / 2,
         (js([0.8, 0.2], [1.0, 0.0]) + js([0.5, 0.25, 0.25], [0, 0, 1])) / 2], rel=1e-5)


def test_table_and_figure_steps_do_not_import_torch(tmp_path):
    code = ("import sys; import seatlib.wp.steps, seatlib.wp.tables; "
            "print('torch' in sys.modules, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout
    assert out.split() == ["False", "False"]
