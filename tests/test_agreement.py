import logging
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import kendalltau

from seatlib.agreement import (
    agreement_frame,
    kendall_tau_b,
    kendall_tau_b_ragged,
)
from seatlib.jw.table2 import table2
from seatlib.schema import read_table, to_arrow, write_table


def scipy_rows(xs, ys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns on too-small / constant input
        res = [kendalltau(a, b) for a, b in zip(xs, ys, strict=True)]
    return np.array([r.statistic for r in res]), np.array([r.pvalue for r in res])


def random_rows(rng, count, max_len, ties):
    xs, ys = [], []
    for _ in range(count):
        n = int(rng.integers(0, max_len))
        if ties:
            xs.append(rng.integers(0, 4, n).astype(float))
            ys.append(rng.integers(0, 6, n).astype(float))
        else:
            x = rng.normal(size=n)
            xs.append(x)
            ys.append(x * rng.uniform(-1, 1) + rng.normal(size=n))
    return xs, ys


@pytest.mark.parametrize("ties", [False, True])
def test_matches_scipy_on_random_rows(ties):
    rng = np.random.default_rng(7 + ties)
    xs, ys = random_rows(rng, 400, 70, ties)  # n from 0 to 69: exact and asymptotic branches
    tau, p = kendall_tau_b_ragged(xs, ys)
    ref_tau, ref_p = scipy_rows(xs, ys)
    np.testing.assert_allclose(tau, ref_tau, rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(p, ref_p, rtol=1e-6, equal_nan=True)
    assert np.isnan(tau).sum() >= 2  # n = 0 and 1 occur, and give NaN like scipy


def test_scipy_edge_cases():
    x40 = np.arange(40.0)
    swapped = x40.copy()
    swapped[[3, 4]] = swapped[[4, 3]]
    two_swaps = swapped.copy()
    two_swaps[[10, 11]] = two_swaps[[11, 10]]
    rows = [
        (np.array([]), np.array([])),  # empty
        (np.array([1.0]), np.array([2.0])),  # n = 1
        (np.array([1.0, 2.0]), np.array([3.0, 1.0])),  # n = 2, exact p = 1
        (np.array([1.0, 1.0, 1.0]), np.array([1.0, 2.0, 3.0])),  # constant x
        (np.array([1.0, 2.0, np.nan]), np.array([1.0, 2.0, 3.0])),  # NaN propagates
        (x40, x40), (x40, -x40), (x40, swapped),  # n > 33, min(dis, tot-dis) <= 1: exact
        (x40, two_swaps),  # n > 33, two discordant pairs: asymptotic
        (np.arange(200.0), np.arange(200.0)),  # exact p underflows to 0 as in scipy
        (np.arange(33.0), np.arange(33.0)[::-1]),  # exact at the n = 33 boundary
        (np.array([1.0, 2, 2, 3, 3, 3]), np.array([1.0, 1, 2, 2, 3, 3])),  # ties: asymptotic
        (np.array([-0.0, 0.0, 1.0]), np.array([1.0, 2.0, 3.0])),  # -0 ties with 0
    ]
    xs, ys = [r[0] for r in rows], [r[1] for r in rows]
    tau, p = kendall_tau_b_ragged(xs, ys)
    ref_tau, ref_p = scipy_rows(xs, ys)
    np.testing.assert_allclose(tau, ref_tau, rtol=1e-10, equal_nan=True)
    np.testing.assert_allclose(p, ref_p, rtol=1e-10, equal_nan=True)
    undefined = [0, 1, 3, 4]
    assert np.isnan(tau[undefined]).all() and np.isnan(p[undefined]).all()
    assert (tau[2], p[2]) == (-1.0, 1.0) and p[9] == 0.0


@pytest.mark.parametrize("ties", [False, True])
def test_sorted_method_matches_scipy_on_documents(ties):
    """Knight's O(L log L) path (every row here is longer than SORTED_MIN_N, plus short rows
    forced through it) against scipy row by row: document lengths up to 500, with ties."""
    rng = np.random.default_rng(11 + ties)
    xs, ys = random_rows(rng, 30, 500, ties)
    xs += [np.array([1.0, 2.0]), np.array([3.0, 1.0, 2.0]), np.array([])]
    ys += [np.array([2.0, 1.0]), np.array([3.0, 1.0, 2.0]), np.array([])]
    ref_tau, ref_p = scipy_rows(xs, ys)
    for method in ("sorted", "auto"):
        tau, p = kendall_tau_b_ragged(xs, ys, method=method)
        np.testing.assert_allclose(tau, ref_tau, rtol=1e-10, atol=1e-14, equal_nan=True)
        np.testing.assert_allclose(p, ref_p, rtol=1e-10, atol=1e-300, equal_nan=True)


def test_inversion_count_by_hand():
    from seatlib.agreement import _inversions

    rows = torch.tensor([[3.0, 1.0, 2.0, 0.0, 5.0], [0.0, 1.0, 2.0, 3.0, 4.0],
                         [4.0, 3.0, 2.0, 1.0, 0.0], [1.0, 1.0, 0.0, 1.0, 0.0]])
    # row 0: (3,1) (3,2) (3,0) (1,0) (2,0) = 5; sorted: 0; reversed: 10; ties are not inversions:
    # row 3: the three 1s before each later 0 -> 1,1 before pos 2 (2) + 1,1,1 before pos 4 (3)
    assert _inversions(rows).tolist() == [5, 0, 10, 5]
    rng = np.random.default_rng(0)
    v = rng.integers(0, 7, (6, 37)).astype(float)
    brute = [sum(int(r[i] > r[j]) for i in range(37) for j in range(i + 1, 37)) for r in v]
    assert _inversions(torch.as_tensor(v)).tolist() == brute


def test_chunking_and_padding_do_not_change_results():
    rng = np.random.default_rng(3)
    xs, ys = random_rows(rng, 60, 40, ties=True)
    tau, p = kendall_tau_b_ragged(xs, ys)
    # tiny budget: one row per chunk and a few rows of pairs per block
    tau2, p2 = kendall_tau_b_ragged(xs, ys, max_elements=50)
    np.testing.assert_array_equal(tau, tau2)
    np.testing.assert_array_equal(p, p2)
    # padded input with a scattered mask, as tensors
    width = 50
    x = torch.full((60, width), 9.0, dtype=torch.float64)
    y = torch.full((60, width), -4.0, dtype=torch.float64)
    mask = torch.zeros((60, width), dtype=torch.bool)
    for i, (a, b) in enumerate(zip(xs, ys, strict=True)):
        cols = torch.as_tensor(rng.choice(width, len(a), replace=False)).sort().values
        x[i, cols], y[i, cols], mask[i, cols] = torch.as_tensor(a), torch.as_tensor(b), True
    tau3, p3 = kendall_tau_b(x, y, mask)
    np.testing.assert_allclose(tau3, tau, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(p3, p, rtol=1e-12, equal_nan=True)


def test_shape_errors():
    with pytest.raises(ValueError, match=r"two \(B, L\) arrays of one shape"):
        kendall_tau_b(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="mask has shape"):
        kendall_tau_b(np.zeros((2, 3)), np.zeros((2, 3)), np.ones((3, 3), bool))


def toy_predictions():
    return pd.DataFrame({
        "dataset": "toy", "model": "m", "seed": 1, "split": "test",
        "example_id": ["a", "b", "c"],
        "label": [0, 1, 1],
        "pred": [0, 1, 0],
        "attention": [np.array([0, .1, .2, .3, .4, 0]), np.array([0, .5, .3, .2, 0]),
                      np.array([0, 1.0, 0])],
    })


def toy_importance(pred, values, method):
    rows = []
    for eid, att, vals in zip(pred["example_id"], pred["attention"], values, strict=True):
        for t in range(len(att)):
            rows.append({"example_id": eid, "token_index": t, "score": vals[t],
                         "method": method})
    return pd.DataFrame(rows).sample(frac=1.0, random_state=0)  # order must not matter


def test_agreement_frame_uses_real_tokens_only(caplog):
    pred = toy_predictions()
    # huge values at SOS/EOS would change tau if they were included
    grad = toy_importance(pred, [[99, 1, 2, 3, 4, -99], [99, 3, 1, 2, -99], [5, 1, 5]], "grad")
    loo = toy_importance(pred, [[0, 4, 3, 2, 1, 0], [0, 1, 1, 2, 0], [0, 2, 0]], "loo")
    with caplog.at_level(logging.WARNING, logger="seatlib.agreement"):
        out = agreement_frame(pred, {"grad": grad, "loo": loo})
    assert "3 undefined Kendall tau row(s)" in caplog.text  # example c has one real token
    # undefined rows are kept (JW count them in Table 2), flagged, with tau 0 and p 1
    assert list(zip(out["method_a"], out["method_b"], strict=True)) == [
        ("attention", "grad")] * 3 + [("attention", "loo")] * 3 + [("grad", "loo")] * 3
    assert out.loc[~out["defined"], "example_id"].tolist() == ["c"] * 3
    assert (out.loc[~out["defined"], "p_value"] == 1.0).all()
    assert out.loc[out["defined"], "example_id"].tolist() == ["a", "b"] * 3
    to_arrow(out, "agreement")
    row = out[(out["example_id"] == "a") & (out["method_b"] == "grad")].iloc[0]
    assert row["tau"] == pytest.approx(1.0) and row["n_tokens"] == 4
    ref = kendalltau([.5, .3, .2], [3, 1, 2])
    row = out[(out["example_id"] == "b") & (out["method_b"] == "grad")].iloc[0]
    assert row["tau"] == pytest.approx(ref.statistic) and row["p_value"] == \
        pytest.approx(ref.pvalue)
    ref = kendalltau([3, 1, 2], [1, 1, 2])  # grad vs loo on b, with a tie
    row = out[(out["example_id"] == "b") & (out["method_a"] == "grad")].iloc[0]
    assert row["tau"] == pytest.approx(ref.statistic) and row["pred"] == 1
    assert row["label"] == 1


def test_signed_attributions_rank_by_magnitude_or_sign():
    pred = toy_predictions().iloc[:1]  # attention over the real tokens: .1 .2 .3 .4
    ig = toy_importance(pred, [[0, 1, 2, 3, -9, 0]], "ig")  # strong negative evidence last
    mag = agreement_frame(pred, {"ig": ig})
    signed = agreement_frame(pred, {"ig": ig}, scores="signed")
    assert mag["scores"].tolist() == ["magnitude"] and signed["scores"].tolist() == ["signed"]
    assert mag["tau"].iat[0] == pytest.approx(1.0)
    assert signed["tau"].iat[0] == pytest.approx(kendalltau([.1, .2, .3, .4], [1, 2, 3, -9])
                                                 .statistic)  # 0.0
    assert table2(signed)["scores"].tolist() == ["signed"] * 2  # class 0 and overall
    with pytest.raises(ValueError, match="key jw.agreement.scores: 'abs' is not one of "
                                         "\\['magnitude', 'signed'\\]"):
        agreement_frame(pred, {"ig": ig}, scores="abs")


def test_agreement_frame_errors():
    pred = toy_predictions()
    good = toy_importance(pred, [[0] * 6, [0] * 5, [0] * 3], "grad")
    with pytest.raises(ValueError, match="has 5 row\\(s\\) for example 'a', expected one per "
                                         "token \\(6\\)"):
        agreement_frame(pred, {"grad": good[~((good.example_id == "a") &
                                              (good.token_index == 2))]})
    extra = pd.concat([good, pd.DataFrame({"example_id": ["z"], "token_index": [0],
                                           "score": [1.0]})])
    with pytest.raises(ValueError, match="has example 'z' that is not in the predictions"):
        agreement_frame(pred, {"grad": extra})


def test_table2_on_a_hand_made_frame(tmp_path):
    base = {"dataset": "toy", "model": "m", "seed": 1, "split": "test", "label": 0,
            "method_a": "attention", "method_b": "grad", "scores": "signed", "n_tokens": 5}
    taus = [0.2, 0.4, -0.3, 0.5, 0.1]
    ps = [0.01, 0.20, 0.05, 0.5, 0.04]
    preds = [0, 0, 1, 1, 1]
    df = pd.DataFrame([{**base, "example_id": f"e{i}", "pred": c, "tau": t, "p_value": p,
                        "defined": True}
                       for i, (t, p, c) in enumerate(zip(taus, ps, preds, strict=True))])
    # two instances of class 1 with an undefined tau (placeholders tau 0, p 1): JW count them
    # in the denominator, as not significant; they stay out of the mean and sd
    undef = pd.DataFrame([{**base, "example_id": f"u{i}", "pred": 1, "tau": 0.0,
                           "p_value": 1.0, "defined": False} for i in range(2)])
    df = pd.concat([df, undef], ignore_index=True)
    out = table2(df)
    assert out["group"].tolist() == ["0", "1", "overall"]
    np.testing.assert_allclose(out["mean_tau"], [0.3, 0.1, 0.18])
    np.testing.assert_allclose(out["std_tau"], [0.1, np.std([-0.3, 0.5, 0.1]),
                                                np.std(taus)])
    np.testing.assert_allclose(out["sig_frac"], [1 / 2, 2 / 5, 3 / 7])  # not 2/3 and 3/5
    assert out["n"].tolist() == [2, 5, 7]
    assert out["n_undefined"].tolist() == [0, 2, 2]
    write_table(df[["dataset", "model", "seed", "split", "example_id", "pred", "label",
                    "method_a", "method_b", "scores", "tau", "p_value", "n_tokens", "defined"]],
                tmp_path / "a.parquet", "agreement")
    write_table(out, tmp_path / "s.parquet", "agreement_summary")
    pd.testing.assert_frame_equal(read_table(tmp_path / "s.parquet", "agreement_summary"), out)


def _agreement_rows(model, taus, defined=None):
    """Hand-made agreement rows: taus = {example: (ag, al, gl)}."""
    base = {"dataset": "toy", "model": model, "seed": 1, "split": "test", "label": 0,
            "scores": "magnitude", "n_tokens": 4, "p_value": 0.5}
    pairs = [("attention", "gradient"), ("attention", "loo"), ("gradient", "loo")]
    rows = []
    for i, (eid, values) in enumerate(taus.items()):
        for (a, b), t in zip(pairs, values, strict=True):
            ok = defined is None or (eid, a, b) not in defined
            rows.append({**base, "example_id": eid, "pred": i % 2, "method_a": a,
                         "method_b": b, "tau": t if ok else 0.0, "defined": ok})
    return pd.DataFrame(rows)


def test_corrgl_differences_by_hand():
    from seatlib.jw.corrgl import corrgl_instances, corrgl_summary

    # (tau(att, grad), tau(att, loo), tau(grad, loo)) per example; e3's tau(att, loo) is
    # undefined, so e3 enters gl - ag only
    df = pd.concat([
        _agreement_rows("m", {"e0": (0.2, 0.1, 0.8), "e1": (0.5, 0.6, 0.4),
                              "e2": (-0.2, 0.0, 0.6), "e3": (0.1, 0.0, 0.3)},
                        defined={("e3", "attention", "loo")}),
        _agreement_rows("n", {"f0": (1.0, 1.0, 1.0)})], ignore_index=True)
    inst = corrgl_instances(df)
    m = inst[inst["model"] == "m"]
    ag = m[m["difference"] == "gl - ag"].set_index("example_id")["value"]
    al = m[m["difference"] == "gl - al"].set_index("example_id")["value"]
    np.testing.assert_allclose(ag.loc[["e0", "e1", "e2", "e3"]], [0.6, -0.1, 0.8, 0.2])
    np.testing.assert_allclose(al.loc[["e0", "e1", "e2"]], [0.7, -0.2, 0.6])
    assert "e3" not in al.index
    out = corrgl_summary(df)
    assert out["difference"].tolist() == ["gl - ag", "gl - al"] * 2
    row = out[(out["model"] == "m") & (out["difference"] == "gl - ag")].iloc[0]
    assert row["mean"] == pytest.approx(0.375) and row["n"] == 4
    assert row["std"] == pytest.approx(np.std([0.6, -0.1, 0.8, 0.2]))
    assert row["positive_share"] == pytest.approx(0.75)
    row = out[(out["model"] == "m") & (out["difference"] == "gl - al")].iloc[0]
    assert row["mean"] == pytest.approx(1.1 / 3) and row["n"] == 3
    assert row["positive_share"] == pytest.approx(2 / 3)
    row = out[(out["model"] == "n") & (out["difference"] == "gl - al")].iloc[0]
    assert row["mean"] == 0 and row["positive_share"] == 0  # equal agreement: not > 0
    to_arrow(out, "jw_corrgl")
    with pytest.raises(ValueError, match="no defined tau\\('gradient', 'loo'\\)"):
        corrgl_instances(df[df["method_a"] == "attention"])


def test_corrgl_figures_draw_the_table_numbers(monkeypatch, tmp_path):
    from seatlib.figures import jw_corrgl
    from seatlib.jw.corrgl import corrgl_instances, corrgl_summary

    figs = []
    monkeypatch.setattr(jw_corrgl, "save_figure", lambda fig, pdf, png: figs.append(fig))
    df = pd.concat([_agreement_rows("m", {"e0": (0.2, 0.1, 0.8), "e1": (0.5, 0.6, 0.4),
                                          "e2": (-0.2, 0.0, 0.6)}),
                    _agreement_rows("n", {"f0": (0.1, 0.3, 0.2), "f1": (0.0, 0.2, 0.9)})],
                   ignore_index=True)
    summary = corrgl_summary(df)
    jw_corrgl.plot_corrgl_summary(summary, tmp_path / "s.pdf", tmp_path / "s.png")
    bars = [p.get_width() for p in figs[0].axes[0].patches]
    # bars per difference, models in (dataset, model) order: m, n
    expected = [summary[(summary["model"] == mdl) & (summary["difference"] == d)]["mean"].item()
                for d in ("gl - ag", "gl - al") for mdl in ("m", "n")]
    np.testing.assert_allclose(bars, expected)
    jw_corrgl.plot_corrgl(corrgl_instances(df), tmp_path / "c.pdf", tmp_path / "c.png")
    assert [ax.get_title() for ax in figs[1].axes] == ["m", "n"]
    legend = [t.get_text() for t in figs[1].axes[0].get_legend().get_texts()]
    assert legend[0].startswith("gl - ag: mean 0.43, >0 67% (n=3)")


def _ordered_model(sign: int, vocab: int = 14):
    """A binary Average-tanh model whose JW gradient importance is, in every sentence, ordered
    as its attention (sign 1) or reversed (sign -1), by construction.

    Word w has embedding (1, c_w, d_w); the encoder is diag(a, 1, 1) then tanh, so
    h_t = (tanh a, tanh c_t, tanh d_t); attention reads tanh c only: alpha_t ~ exp(s(c_t)).
    Gradient x embedding (attention detached) of p = sigma(u . sum_t alpha_t h_t):
    sign 1, u = (1, 0, 0): p(1-p) alpha_t a sech^2(a), proportional to alpha_t (tau 1);
    sign -1, u = (0, 0, 1): p(1-p) alpha_t d_t sech^2(d_t), with d_t solved so that
    d sech^2 d = K exp(-2 s(c_t)): proportional to exp(-s(c_t)), reversed (tau -1).
    """
    from seatlib.models.classifier import ModelConfig, build_model

    model = build_model(ModelConfig(vocab_size=vocab, embed_dim=3, encoder="average",
                                    attention="tanh", hidden_size=3, n_classes=2))
    c = np.linspace(-1.5, 1.5, vocab)
    score = 3.0 * np.tanh(np.tanh(c))
    target = 0.4 * np.exp(-2 * score) / np.exp(-2 * score).max()
    d = np.empty(vocab)
    for w, goal in enumerate(target):  # d sech^2 d is increasing on [0, 0.77]
        lo, hi = 0.0, 0.77
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if mid / np.cosh(mid) ** 2 < goal else (lo, mid)
        d[w] = (lo + hi) / 2
    a = 0.8
    with torch.no_grad():
        emb = torch.tensor(np.stack([np.ones(vocab), c, d], 1), dtype=torch.float32)
        emb[0] = 0.0
        model.embedding.weight.copy_(emb)
        model.encoder.proj.weight.copy_(torch.diag(torch.tensor([a, 1.0, 1.0])))
        model.encoder.proj.bias.zero_()
        model.attention.proj.weight.copy_(torch.tensor([[0.0, 1.0, 0.0]]))
        model.attention.proj.bias.zero_()
        model.attention.v.weight.fill_(3.0)
        u = [1.0, 0.0, 0.0] if sign > 0 else [0.0, 0.0, 1.0]
        model.decoder.weight.copy_(torch.tensor([u]))
        model.decoder.bias.fill_(0.3)
    return model.eval()


@pytest.mark.parametrize("sign", [1, -1])
def test_table2_of_a_model_built_to_agree_or_disagree(sign):
    from seatlib.importance import compute_importance, importance_frame
    from seatlib.predict import predict_split

    model = _ordered_model(sign)
    # distinct words (no ties): sentences of 4 words (exact p of tau +-1 is 2/4! = 0.083),
    # 5 words (2/5! = 0.017 <= 0.05) and one word (undefined tau)
    rows = [[2, 4, 7, 5, 9, 3], [2, 13, 6, 11, 8, 3], [2, 10, 12, 4, 6, 13, 3],
            [2, 5, 8, 7, 11, 9, 3], [2, 6, 3]]
    split = pd.DataFrame({"example_id": [f"s{i}" for i in range(len(rows))], "text": "x",
                          "tokens": [[str(t) for t in r[1:-1]] for r in rows],
                          "token_ids": rows, "label": [0, 1, 0, 1, 0]})
    pred = predict_split(model, split, {"dataset": "toy", "model": "average-tanh", "seed": 1},
                         "test", "cpu")
    scores = compute_importance(model, split, "gradient", device="cpu")
    frame = importance_frame(scores, split, pred, "gradient", {"target": "predicted"})
    agreement = agreement_frame(pred, {"gradient": frame})
    defined = agreement[agreement["defined"]]
    assert len(defined) == 4
    np.testing.assert_allclose(defined["tau"], sign, rtol=1e-12)
    out = table2(agreement)
    overall = out[out["group"] == "overall"].iloc[0]
    assert overall["mean_tau"] == pytest.approx(sign, rel=1e-12)
    assert overall["std_tau"] == pytest.approx(0, abs=1e-12)
    assert overall["n"] == 5 and overall["n_undefined"] == 1
    assert overall["sig_frac"] == pytest.approx(2 / 5)  # the two 5-word sentences
