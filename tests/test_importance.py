import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from captum.attr import DeepLift
from conftest import tiny_batch, tiny_model
from torch import nn

from seatlib.batching import pad_batch
from seatlib.importance import (
    METHODS,
    compute_importance,
    importance_frame,
    importance_options,
    importance_table,
    loo,
    method_options,
)
from seatlib.importance import deeplift as dl
from seatlib.importance import deeplift_shap as dls
from seatlib.importance.common import (
    AttributionOptions,
    ProbabilityModel,
    reference_distribution,
    single_reference,
    true_embeddings,
)
from seatlib.models.base import probabilities
from seatlib.schema import read_table, write_table

ENCODERS = ["average", "cnn", "bilstm", "rnn"]


def split_frame(rows=None, labels=None):
    rows = rows or [[2, 5, 6, 7, 8, 3], [2, 9, 10, 3], [2, 11, 3], [2, 12, 13, 14, 5, 6, 9, 3],
                    [2, 7, 7, 3]]
    labels = labels if labels is not None else [i % 2 for i in range(len(rows))]
    return pd.DataFrame({
        "example_id": [f"e{i}" for i in range(len(rows))],
        "text": ["x"] * len(rows),
        "tokens": [[f"w{t}" for t in r[1:-1]] for r in rows],
        "token_ids": rows,
        "label": labels,
    })


def probs_of(model, ids, real, emb):
    with torch.no_grad():
        return ProbabilityModel(model)(emb, ids, real, emb)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_shapes_zeros_and_batch_invariance(method):
    model = tiny_model("bilstm", "tanh").double()
    df = split_frame()
    kw = dict(device="cpu", n_steps=8, n_samples=3)
    scores = compute_importance(model, df, method, batch_size=2, **kw)
    assert len(scores) == len(df)
    for s, ids in zip(scores, df["token_ids"], strict=True):
        assert s.shape == (len(ids),) and s.dtype == np.float64
        assert s[0] == 0 and s[-1] == 0
        assert np.abs(s[1:-1]).sum() > 0
    if method != "gradient_shap":  # random draws depend on the batch composition
        alone = compute_importance(model, df, method, batch_size=1, **kw)
        for a, b in zip(scores, alone, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_pad_positions_get_zero():
    model = tiny_model("cnn", "dot").double()
    ids, real = tiny_batch()
    target = torch.zeros(3, dtype=torch.long)
    for name, m in METHODS.items():
        s, _ = m.attribute(model, ids, real, target, AttributionOptions(n_steps=4, n_samples=2))
        assert s.shape == ids.shape
        assert (s[~real] == 0).all(), name


@pytest.mark.parametrize("n_classes", [2, 3])
def test_gradient_is_the_one_hot_gradient(n_classes):
    model = tiny_model("bilstm", "tanh", n_classes=n_classes).double()
    ids, real = tiny_batch()
    target = torch.tensor([0, 1, n_classes - 1])
    scores, _ = METHODS["gradient"].attribute(model, ids, real, target, AttributionOptions())
    # reference: autograd on a one-hot input, attention detached, gradient at the present word
    one_hot = nn.functional.one_hot(ids, model.embedding.num_embeddings).double()
    one_hot.requires_grad_(True)
    emb = one_hot @ model.embedding.weight
    out = model(ids, real, embedding_override=emb, detach_attention=True)
    probabilities(out.logits).gather(1, target[:, None]).sum().backward()
    ref = one_hot.grad.gather(2, ids[..., None])[..., 0].abs() * real
    torch.testing.assert_close(scores, ref, rtol=1e-10, atol=1e-12)
    # attention is detached: letting gradients flow through it gives other numbers
    emb = true_embeddings(model, ids).requires_grad_(True)
    p = probabilities(model(ids, real, embedding_override=emb).logits)
    (g,) = torch.autograd.grad(p.gather(1, target[:, None]).sum(), emb)
    assert not torch.allclose((g * emb).sum(-1).abs() * real, scores)


def test_gradient_finite_difference_on_every_word():
    model = tiny_model("average", "tanh").double()
    ids, real = tiny_batch()
    target = torch.tensor([1, 0, 1])
    scores, _ = METHODS["gradient"].attribute(model, ids, real, target, AttributionOptions())
    # scaling word t's embedding by (1 + h) changes p by about h * g_t (attention fixed);
    # central differences (error O(h^2)), compared at a relative tolerance
    emb = true_embeddings(model, ids)
    with torch.no_grad():
        attn = model(ids, real).attention
        h = 1e-5

        def p(e):
            out = model(ids, real, attention_override=attn, embedding_override=e)
            return probabilities(out.logits).gather(1, target[:, None])[:, 0]

        for b, t in real.nonzero().tolist():
            up, down = emb.clone(), emb.clone()
            up[b, t] *= 1 + h
            down[b, t] *= 1 - h
            fd = (p(up)[b] - p(down)[b]).item() / (2 * h)
            assert scores[b, t].item() > 1e-4  # a real check, not 0 against 0
            assert abs(fd) == pytest.approx(scores[b, t].item(), rel=1e-7), (b, t)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("encoder", ENCODERS)
def test_loo_batched_equals_a_loop(encoder, n_classes):
    model = tiny_model(encoder, "tanh", n_classes=n_classes).double()
    rows = [[2, 5, 6, 7, 8, 3], [2, 9, 10, 3], [2, 11, 3], [2, 12, 13, 14, 5, 6, 9, 3]]
    ids, real = pad_batch(rows)
    target = torch.tensor([1, 0, 1, 0])
    scores, _ = loo.attribute(model, ids, real, target, AttributionOptions(internal_batch_size=5))
    # independent reference: one instance and one deletion at a time, by list slicing, with
    # the TVD written out in numpy
    ref = np.zeros(tuple(scores.shape))
    with torch.no_grad():
        for b, row in enumerate(rows):
            p = probabilities(model(*pad_batch([row])).logits)[0].numpy()
            for t in range(1, len(row) - 1):
                q = probabilities(model(*pad_batch([row[:t] + row[t + 1:]])).logits)[0].numpy()
                ref[b, t] = 0.5 * np.abs(q - p).sum()
    np.testing.assert_allclose(scores.numpy(), ref, rtol=1e-10, atol=1e-14)


class BagOfWords(nn.Module):
    """Three-class logits = sum of a per-word row over the real tokens (closed-form outputs)."""

    def __init__(self, rows):
        super().__init__()
        self.table = nn.Parameter(torch.tensor(rows, dtype=torch.float64), requires_grad=False)

    def forward(self, ids, real):
        from types import SimpleNamespace

        return SimpleNamespace(logits=(self.table[ids] * real[..., None]).sum(1))


def test_loo_is_the_tvd_of_the_output_distribution_on_three_classes():
    # word 4 (A) adds (0, ln 3, -ln 3), word 5 (B) adds (0, 0, ln 3): with both the
    # probabilities are (1, 3, 1) / 5; without A (1, 1, 3) / 5: class 0 does not move, so
    # |delta p| of class 0 (the old score) is 0, while the TVD is (0 + 0.4 + 0.4) / 2 = 0.4.
    # Without B: (1, 3, 1/3) / (13/3) = (3, 9, 1) / 13, TVD = (2 + 6 + 8) / 65 / 2 = 8/65.
    ln3 = float(np.log(3.0))
    table = [[0.0, 0.0, 0.0]] * 4 + [[0.0, ln3, -ln3], [0.0, 0.0, ln3]]
    ids, real = pad_batch([[2, 4, 5, 3]])
    scores, _ = loo.attribute(BagOfWords(table), ids, real, torch.tensor([0]),
                              AttributionOptions())
    np.testing.assert_allclose(scores[0].numpy(), [0.0, 0.4, 8 / 65, 0.0], rtol=1e-12,
                               atol=1e-15)
    # the same for any target class: the TVD does not depend on it
    again, _ = loo.attribute(BagOfWords(table), ids, real, torch.tensor([2]),
                             AttributionOptions())
    torch.testing.assert_close(again, scores, rtol=0, atol=0)


def test_deletion_batch_removes_one_token_each():
    ids, real = pad_batch([[2, 5, 6, 7, 3], [2, 9, 3]])
    rows, pos, dels, dreal = loo.deletion_batch(ids, real)
    assert rows.tolist() == [0, 0, 0, 1] and pos.tolist() == [1, 2, 3, 1]
    assert dels.tolist() == [[2, 6, 7, 3], [2, 5, 7, 3], [2, 5, 6, 3], [2, 3, 0, 0]]
    assert dreal.sum(1).tolist() == [2, 2, 2, 0]


@pytest.mark.parametrize("encoder", ENCODERS)
@pytest.mark.parametrize("attention", ["tanh", "dot", "uniform"])
def test_deeplift_model_reproduces_the_model(encoder, attention):
    model = tiny_model(encoder, attention).double()
    ids, real = tiny_batch()
    emb = true_embeddings(model, ids)
    with torch.no_grad():
        ours = dl.DeepLiftModel(model)(emb, ids, real, emb)
    torch.testing.assert_close(ours, probs_of(model, ids, real, emb), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("encoder", ENCODERS)
@pytest.mark.parametrize(("attention", "baseline"), [("tanh", "pad"), ("dot", "unk")])
def test_deeplift_completeness(encoder, attention, baseline):
    """Attributions sum exactly to p(x) - p(reference) on every encoder (secant rules for the
    softmax, the attention product and the unrolled LSTM/RNN gates)."""
    model = tiny_model(encoder, attention, seed=1).double()
    ids, real = tiny_batch()
    emb = true_embeddings(model, ids)
    opts = AttributionOptions(baseline=baseline)
    target = probs_of(model, ids, real, emb).argmax(1)
    scores, delta = dl.attribute(model, ids, real, target, opts)
    ref = single_reference(model, ids, real, emb, opts)
    p_x = probs_of(model, ids, real, emb).gather(1, target[:, None])[:, 0]
    p_ref = probs_of(model, ids, real, ref).gather(1, target[:, None])[:, 0]
    torch.testing.assert_close(scores.sum(1), p_x - p_ref, rtol=0, atol=1e-12)
    assert delta.abs().max() < 1e-12
    assert (p_x - p_ref).abs().min() > 1e-6  # a real test: the output does move


def test_deeplift_matches_captum_where_captum_alone_is_exact():
    """average + uniform attention: every non-linearity is an nn.Tanh/nn.Sigmoid module, so
    captum's own Rescale rule is exact; our secant softmax head must give the same numbers."""
    model = tiny_model("average", "uniform").double()
    ids, real = tiny_batch()
    emb = true_embeddings(model, ids)
    ref = single_reference(model, ids, real, emb, AttributionOptions())

    class SigmoidHead(nn.Module):
        def __init__(self):
            super().__init__()
            self.model, self.sigmoid = model, nn.Sigmoid()

        def forward(self, e, ids, real, true_emb):
            e = torch.where(real.unsqueeze(-1), e, true_emb)
            return self.sigmoid(self.model(ids, real, embedding_override=e).logits)

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Setting forward, backward hooks")
        captum_attr = DeepLift(SigmoidHead()).attribute(
            emb.clone().requires_grad_(True), ref, target=0,
            additional_forward_args=(ids, real, emb))
    scores, _ = dl.attribute(model, ids, real, torch.ones(3, dtype=torch.long),
                             AttributionOptions())
    torch.testing.assert_close(scores, captum_attr.sum(-1) * real, rtol=1e-10, atol=1e-14)


def test_secant_rules_need_a_paired_batch():
    x = torch.randn(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match="paired"):
        dl.secant_tanh(x).sum().backward()


@pytest.mark.parametrize("encoder", ["cnn", "bilstm"])
def test_deeplift_shap_completeness_over_random_words(encoder):
    model = tiny_model(encoder, "tanh", seed=2).double()
    ids, real = tiny_batch()
    emb = true_embeddings(model, ids)
    opts = AttributionOptions(baseline="random", n_samples=4, seed=11)
    target = torch.tensor([1, 0, 1])
    scores, _ = dls.attribute(model, ids, real, target, opts)
    refs = reference_distribution(model, ids, real, emb, opts)  # (S, L, E)
    p_x = probs_of(model, ids, real, emb).gather(1, target[:, None])[:, 0]
    refs = torch.where(real[None, ..., None], refs[:, None], emb[None])  # (S, B, L, E)
    p_refs = torch.stack([probs_of(model, ids, real, r).gather(1, target[:, None])[:, 0]
                          for r in refs]).mean(0)
    torch.testing.assert_close(scores.sum(1), p_x - p_refs, rtol=0, atol=1e-12)
    # a one-point distribution is DeepLIFT itself
    pad = AttributionOptions(baseline="pad")
    torch.testing.assert_close(dls.attribute(model, ids, real, target, pad)[0],
                               dl.attribute(model, ids, real, target, pad)[0])


@pytest.mark.parametrize("encoder", ["average", "bilstm"])
def test_integrated_gradients_completeness(encoder):
    model = tiny_model(encoder, "tanh").double()
    ids, real = tiny_batch()
    emb = true_embeddings(model, ids)
    target = torch.tensor([1, 1, 0])
    gaps = []
    for steps in (2, 200):
        opts = AttributionOptions(n_steps=steps, baseline="unk")
        scores, delta = METHODS["integrated_gradients"].attribute(model, ids, real, target, opts)
        ref = single_reference(model, ids, real, emb, opts)
        p_x = probs_of(model, ids, real, emb).gather(1, target[:, None])[:, 0]
        p_ref = probs_of(model, ids, real, ref).gather(1, target[:, None])[:, 0]
        gap = (scores.sum(1) - (p_x - p_ref)).abs().max().item()
        assert gap == pytest.approx(delta.abs().max().item(), abs=1e-12)
        gaps.append(gap)
    assert gaps[1] < 1e-6 and gaps[1] < gaps[0]


def test_target_gold_vs_predicted():
    model = tiny_model("bilstm", "tanh").double()
    df = split_frame()
    ids, real = pad_batch(list(df["token_ids"]))
    with torch.no_grad():
        pred = probabilities(model(ids, real).logits).argmax(1).numpy()
    flipped = df.assign(label=1 - pred)
    kw = dict(device="cpu", batch_size=2, n_steps=16)
    ig_pred = compute_importance(model, flipped, "integrated_gradients", target="predicted", **kw)
    ig_gold = compute_importance(model, flipped, "integrated_gradients", target="gold", **kw)
    for a, b in zip(ig_pred, ig_gold, strict=True):  # p(0) = 1 - p(1): attributions change sign
        np.testing.assert_allclose(b, -a, rtol=1e-9, atol=1e-14)
    same = compute_importance(model, df.assign(label=pred), "integrated_gradients",
                              target="gold", **kw)
    for a, b in zip(ig_pred, same, strict=True):
        np.testing.assert_allclose(a, b)
    # three classes: the gradient of another class's probability is another explanation
    model3 = tiny_model("bilstm", "tanh", n_classes=3).double()
    with torch.no_grad():
        pred3 = probabilities(model3(ids, real).logits).argmax(1).numpy()
    g_pred = compute_importance(model3, df, "gradient", device="cpu")
    g_gold = compute_importance(model3, df.assign(label=(pred3 + 1) % 3), "gradient",
                                device="cpu", target="gold")
    assert all(not np.allclose(a, b) for a, b in zip(g_pred, g_gold, strict=True))
    with pytest.raises(ValueError, match="label outside 0..2"):
        compute_importance(model3, df.assign(label=3), "gradient", device="cpu", target="gold")


def test_random_draws_follow_the_seed():
    model = tiny_model("average", "dot").double()
    df = split_frame()
    run = lambda seed: compute_importance(model, df, "gradient_shap", device="cpu",  # noqa: E731
                                          n_samples=4, seed=seed)
    a, b, c = run(0), run(0), run(1)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.allclose(x, z) for x, z in zip(a, c, strict=True))
    state = np.random.get_state()[1].copy()
    run(5)
    assert np.array_equal(np.random.get_state()[1], state)  # numpy's global RNG restored


def test_model_parameters_are_left_as_they_were():
    model = tiny_model("bilstm", "dot")
    model.decoder.bias.requires_grad_(False)
    compute_importance(model, split_frame(), "saliency", device="cpu")
    assert [p.requires_grad for p in model.parameters()] == \
        [p is not model.decoder.bias for p in model.parameters()]
    assert all(p.grad is None for p in model.parameters())


def test_return_deltas():
    model = tiny_model("cnn", "tanh").double()
    df = split_frame()
    _, deltas = compute_importance(model, df, "deeplift", device="cpu", return_deltas=True)
    assert deltas.shape == (len(df),) and np.abs(deltas).max() < 1e-12
    _, none = compute_importance(model, df, "loo", device="cpu", return_deltas=True)
    assert np.isnan(none).all()


def test_importance_frame_and_schema(tmp_path):
    model = tiny_model("bilstm", "tanh")
    df = split_frame()
    opts = {"target": "predicted", "baseline": "unk", "n_steps": 7, "n_samples": 3}
    scores = compute_importance(model, df, "integrated_gradients", device="cpu", **opts)
    meta = {"dataset": "toy", "model": "bilstm-tanh", "seed": 1, "split": "test"}
    frame = importance_frame(scores, df, meta, "integrated_gradients", opts)
    assert len(frame) == sum(len(t) for t in df["token_ids"])
    first = frame[frame["example_id"] == "e1"]
    assert first["token"].tolist() == ["<SOS>", "w9", "w10", "<EOS>"]
    assert first["token_index"].tolist() == [0, 1, 2, 3]
    np.testing.assert_array_equal(first["score"].to_numpy(), scores[1])
    row = frame.iloc[0]
    assert (row["target"], row["baseline"], row["n_steps"], row["n_samples"]) == \
        ("predicted", "unk", 7, 0)
    write_table(frame, tmp_path / "imp.parquet", "importance")
    back = read_table(tmp_path / "imp.parquet", "importance")
    pd.testing.assert_frame_equal(back, frame)
    # options that do not apply are stored as none / 0
    grad = importance_frame(scores, df, meta, "gradient", opts)
    assert set(grad["baseline"]) == {"none"} and set(grad["n_steps"]) == {0}
    # from a predictions frame
    pred = pd.DataFrame({**meta, "example_id": df["example_id"]})
    assert importance_frame(scores, df, pred, "loo", {}).shape[0] == len(frame)


def test_errors_name_what_was_expected():
    model = tiny_model()
    df = split_frame()
    with pytest.raises(ValueError, match="method 'lime' is unknown"):
        compute_importance(model, df, "lime", device="cpu")
    with pytest.raises(ValueError, match="baseline 'mask' is unknown"):
        compute_importance(model, df, "deeplift", device="cpu", baseline="mask")
    with pytest.raises(ValueError, match="target 'true' is unknown"):
        method_options("loo", target="true")
    with pytest.raises(ValueError, match="n_steps must be a positive integer"):
        method_options("integrated_gradients", n_steps=0)
    meta = {"dataset": "toy", "model": "m", "seed": 1, "split": "test"}
    scores = compute_importance(model, df, "gradient", device="cpu")
    with pytest.raises(ValueError, match="example 'e0': 5 scores for 6 tokens"):
        importance_frame([s[:-1] for s in scores], df, meta, "gradient", {})
    with pytest.raises(ValueError, match=r"meta lacks key\(s\) \['split'\]"):
        importance_frame(scores, df, {k: meta[k] for k in list(meta)[:3]}, "gradient", {})
    with pytest.raises(ValueError, match=r"options \['steps'\] are unknown"):
        importance_frame(scores, df, meta, "gradient", {"steps": 3})


JW_OPTIONS = {"target": "predicted", "baseline": "pad", "shap_baseline": "random",
              "max_examples": 2, "n_steps": 5, "n_samples": 3, "internal_batch_size": None,
              "batch_size": 2}


def test_registry_gives_each_method_only_its_options():
    assert importance_options("integrated_gradients", JW_OPTIONS) == {
        "target": "predicted", "batch_size": 2, "max_examples": 2, "baseline": "pad",
        "n_steps": 5, "internal_batch_size": None}
    assert importance_options("gradient_shap", JW_OPTIONS) == {
        "target": "predicted", "batch_size": 2, "max_examples": 2, "shap_baseline": "random",
        "n_samples": 3}
    assert set(importance_options("saliency", JW_OPTIONS)) == {"target", "batch_size",
                                                               "max_examples"}
    assert set(importance_options("loo", JW_OPTIONS)) == {"target", "batch_size",
                                                          "max_examples", "internal_batch_size"}
    with pytest.raises(ValueError, match=r"key jw.importance: lacks \['n_steps'\]"):
        importance_options("integrated_gradients",
                           {k: v for k, v in JW_OPTIONS.items() if k != "n_steps"})


@pytest.mark.parametrize("method", sorted(METHODS))
def test_options_a_method_does_not_read_leave_its_scores_alone(method):
    """The registry's capabilities against the code: an option outside ``reads`` changes
    nothing; baseline, n_steps and n_samples inside it change the scores."""
    model = tiny_model("bilstm", "tanh", vocab_size=30).double()
    df = split_frame()
    base = {"baseline": "random", "n_steps": 3, "n_samples": 2}
    run = lambda **kw: compute_importance(model, df, method, device="cpu",  # noqa: E731
                                          **{**base, **kw})
    ref = run()
    reads = METHODS[method].reads
    for key, other in (("baseline", "unk"), ("n_steps", 4), ("n_samples", 3)):
        got = run(**{key: other})
        changed = any(not np.array_equal(a, b) for a, b in zip(ref, got, strict=True))
        assert changed == (key in reads), (method, key)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_importance_table_equals_the_call_with_every_option(method):
    """What a rule runs (only the method's options) equals the call given every option, the
    SHAP methods taking shap_baseline as their baseline; stored columns as before."""
    model = tiny_model("cnn", "tanh").double()
    df = split_frame()
    meta = {"dataset": "toy", "model": "cnn-tanh", "seed": 1, "split": "test"}
    pred = pd.DataFrame({**meta, "example_id": df["example_id"]})
    got = importance_table(model, df, pred, method, importance_options(method, JW_OPTIONS),
                           device="cpu")
    opts = {k: v for k, v in JW_OPTIONS.items() if k not in ("max_examples", "shap_baseline")}
    if method in ("gradient_shap", "deeplift_shap"):
        opts["baseline"] = JW_OPTIONS["shap_baseline"]
    sub = df.iloc[np.sort(np.random.default_rng(0).choice(len(df), 2, replace=False))]
    sub = sub.reset_index(drop=True)
    scores = compute_importance(model, sub, method, device="cpu", seed=0, **opts)
    pd.testing.assert_frame_equal(got, importance_frame(scores, sub, pred, method, opts),
                                  check_exact=True)
    stored = got[["baseline", "n_steps", "n_samples"]].drop_duplicates().values.tolist()
    expected = {"integrated_gradients": ["pad", 5, 0], "deeplift": ["pad", 0, 0],
                "gradient_shap": ["random", 0, 3], "deeplift_shap": ["random", 0, 3]}
    assert stored == [expected.get(method, ["none", 0, 0])]
    assert got["example_id"].nunique() == 2
