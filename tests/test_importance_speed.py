"""The fast importance paths against captum's own one-pass calls and the step-by-step
DeepLIFT graph they replace (the numbers must agree; speed is measured in bench/)."""

import warnings

import pytest
import torch
from captum.attr import DeepLiftShap, GradientShap, IntegratedGradients
from conftest import tiny_model
from test_importance import split_frame

from seatlib.batching import pad_batch
from seatlib.importance import METHODS, common, compute_importance
from seatlib.importance import deeplift as dl
from seatlib.importance import deeplift_shap as dls
from seatlib.importance import gradient_shap as gs
from seatlib.importance.common import (
    AttributionOptions,
    ProbabilityModel,
    reference_distribution,
    single_reference,
    true_embeddings,
)

ROWS = [[2, 5, 6, 7, 8, 3], [2, 9, 10, 3], [2, 11, 3], [2, 12, 13, 14, 5, 6, 9, 3],
        [2, 7, 7, 3]]


def batch():
    return pad_batch(ROWS)


def targets(model, ids, real):
    with torch.no_grad():
        return ProbabilityModel(model)(true_embeddings(model, ids), ids, real,
                                       true_embeddings(model, ids)).argmax(1)


@pytest.fixture
def small_passes(monkeypatch):
    """A pass of a handful of rows, so that every batch runs in several passes."""
    monkeypatch.setattr(common, "TOKENS_PER_PASS", 24)


@pytest.mark.parametrize("encoder", ["average", "bilstm"])
@pytest.mark.parametrize("baseline", ["random", "pad"])
def test_gradient_shap_equals_captum(encoder, baseline, small_passes):
    """The same draws as captum's GradientShap (numpy's generator seeded per batch), the
    points in passes of 3 rows: equal scores and deltas."""
    model = tiny_model(encoder, "tanh", seed=3).double()
    ids, real = batch()
    target = targets(model, ids, real)
    opts = AttributionOptions(baseline=baseline, n_samples=7, seed=123)
    emb = true_embeddings(model, ids)
    refs = reference_distribution(model, ids, real, emb, opts)
    torch.manual_seed(0)
    import numpy as np

    np.random.seed(opts.seed % 2**32)
    attr, delta = GradientShap(ProbabilityModel(model)).attribute(
        emb.clone().requires_grad_(True), baselines=refs, target=target, n_samples=7,
        stdevs=0.0, additional_forward_args=(ids, real, emb), return_convergence_delta=True)
    ours, our_delta = gs.attribute(model, ids, real, target, opts)
    torch.testing.assert_close(ours, attr.sum(-1) * real, rtol=1e-10, atol=1e-14)
    torch.testing.assert_close(our_delta, delta.reshape(len(ROWS), 7).mean(1), rtol=1e-9,
                               atol=1e-14)
    assert ours.abs().max() > 1e-4  # a real test: the scores are not all zero
    no_delta = gs.attribute(model, ids, real, target,
                            AttributionOptions(baseline=baseline, n_samples=7, seed=123,
                                               deltas=False))
    assert no_delta[1] is None
    torch.testing.assert_close(no_delta[0], ours, rtol=0, atol=0)


@pytest.mark.parametrize("encoder", ["cnn", "bilstm"])
def test_deeplift_shap_in_passes_equals_captum(encoder, small_passes):
    model = tiny_model(encoder, "tanh", seed=4).double()
    ids, real = batch()
    target = targets(model, ids, real)
    opts = AttributionOptions(baseline="random", n_samples=5, seed=9)
    emb = true_embeddings(model, ids)
    refs = reference_distribution(model, ids, real, emb, opts)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=dl._HOOK_WARNING)
        attr, delta = DeepLiftShap(dl.DeepLiftModel(model, fused=False)).attribute(
            emb.clone().requires_grad_(True), baselines=refs, target=target,
            additional_forward_args=(ids, real, emb), return_convergence_delta=True)
    ours, our_delta = dls.attribute(model, ids, real, target, opts)
    torch.testing.assert_close(ours, attr.sum(-1) * real, rtol=1e-10, atol=1e-14)
    torch.testing.assert_close(our_delta, delta.reshape(len(ROWS), 5).mean(1), rtol=0,
                               atol=1e-12)
    ref_scores, _ = dls.captum_reference(model, ids, real, target, opts)
    torch.testing.assert_close(ours, ref_scores, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_fused_lstm_deeplift_equals_the_step_by_step_graph(dtype):
    """``_LSTMDirection`` (one backward recursion) against the graph of secant_sigmoid /
    secant_tanh / secant_product it replaces, on a BiLSTM, references pad and random."""
    model = tiny_model("bilstm", "tanh", seed=5, hidden_size=10).to(dtype)
    for p in model.parameters():
        p.requires_grad_(False)
    ids, real = batch()
    target = targets(model, ids, real)
    for baseline in ("pad", "random"):
        opts = AttributionOptions(baseline=baseline, seed=2)
        emb = true_embeddings(model, ids)
        ref = single_reference(model, ids, real, emb, opts)
        fast, d_fast = dl.run_deeplift(dl.DeepLift, model, emb, ref, ids, real, target)
        slow, d_slow = dl.run_deeplift(dl.DeepLift, model, emb, ref, ids, real, target,
                                       fused=False)
        fast, slow, d_fast, d_slow = (x.detach() for x in (fast, slow, d_fast, d_slow))
        tol = 1e-12 if dtype == torch.float64 else 1e-6
        torch.testing.assert_close(fast, slow, rtol=tol, atol=tol * float(slow.abs().max()))
        torch.testing.assert_close(d_fast, d_slow, rtol=0, atol=tol)
        assert slow.abs().max() > 1e-4
    with torch.no_grad():  # the forward is the module's LSTM
        emb = true_embeddings(model, ids)
        ours = dl.DeepLiftModel(model)(emb, ids, real, emb)
        theirs = ProbabilityModel(model)(emb, ids, real, emb)
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("encoder", ["average", "bilstm"])
def test_integrated_gradients_in_passes_equals_one_captum_pass(encoder, small_passes):
    model = tiny_model(encoder, "tanh", seed=6).double()
    ids, real = batch()
    target = targets(model, ids, real)
    opts = AttributionOptions(baseline="unk", n_steps=9)
    emb = true_embeddings(model, ids)
    ref = single_reference(model, ids, real, emb, opts)
    attr, delta = IntegratedGradients(ProbabilityModel(model)).attribute(
        emb.clone().requires_grad_(True), baselines=ref, target=target, n_steps=9,
        additional_forward_args=(ids, real, emb), return_convergence_delta=True)
    ours, our_delta = METHODS["integrated_gradients"].attribute(model, ids, real, target, opts)
    torch.testing.assert_close(ours, attr.sum(-1) * real, rtol=1e-10, atol=1e-14)
    torch.testing.assert_close(our_delta, delta, rtol=0, atol=1e-12)


@pytest.mark.parametrize("method", ["integrated_gradients", "gradient_shap", "deeplift",
                                    "deeplift_shap"])
def test_scores_do_not_depend_on_return_deltas(method):
    model = tiny_model("bilstm", "tanh", seed=7)
    split = split_frame()
    opts = {"baseline": "random", "n_samples": 3} if "shap" in method else {"n_steps": 5} \
        if method == "integrated_gradients" else {}
    plain = compute_importance(model, split, method, device="cpu", batch_size=2, **opts)
    with_deltas, deltas = compute_importance(model, split, method, device="cpu", batch_size=2,
                                             return_deltas=True, **opts)
    for a, b in zip(plain, with_deltas, strict=True):
        assert (a == b).all()
    assert torch.isfinite(torch.as_tensor(deltas)).all()


@pytest.mark.parametrize("encoder", ["average", "bilstm"])
def test_saliency_equals_captum_and_picks_the_predicted_class(encoder):
    from seatlib.importance import saliency

    model = tiny_model(encoder, "dot", seed=8, n_classes=3).double()
    ids, real = batch()
    target = targets(model, ids, real)
    captum_scores, _ = saliency.captum_reference(model, ids, real, target, AttributionOptions())
    ours, _ = saliency.attribute(model, ids, real, target, AttributionOptions())
    torch.testing.assert_close(ours, captum_scores, rtol=1e-12, atol=0)
    own, _ = saliency.attribute(model, ids, real, None, AttributionOptions())
    torch.testing.assert_close(own, captum_scores, rtol=1e-12, atol=0)
    assert captum_scores.abs().max() > 1e-4


@pytest.mark.parametrize("method", ["gradient", "saliency"])
def test_predicted_target_of_the_own_forward_equals_a_separate_forward(method):
    """``picks_target``: the scores for target "predicted" equal those for the argmax class of
    a separate no-grad forward, passed explicitly."""
    model = tiny_model("bilstm", "tanh", seed=9, n_classes=3)
    split = split_frame()
    own = compute_importance(model, split, method, device="cpu", batch_size=2)
    ids, real = pad_batch(list(split["token_ids"]))
    with torch.no_grad():
        predicted = model(ids, real).logits.argmax(1)
    gold = compute_importance(model, split.assign(label=predicted.numpy()), method,
                              device="cpu", batch_size=2, target="gold")
    for a, b in zip(own, gold, strict=True):
        assert (a == b).all()
    other = compute_importance(model, split.assign(label=(predicted.numpy() + 1) % 3), method,
                               device="cpu", batch_size=2, target="gold")
    assert any((a != b).any() for a, b in zip(own, other, strict=True))
