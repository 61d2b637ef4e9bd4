"""Tests against closed forms and hand computations that share no code with what they test
(issue 10): the embedding override and the K-attention decode of the classifier against a hand
forward, saliency / GradientSHAP / integrated gradients / JW's gradient on models whose
probability is linear or quadratic in the embeddings, the JW adversary loss on a padded
two-instance batch, and the WP adversary's class-weight quirk as wired into its training loss."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from seatlib.batching import pad_batch
from seatlib.counterfactual.adversary import adversary_loss
from seatlib.importance import METHODS
from seatlib.importance.common import AttributionOptions
from seatlib.models.base import probabilities
from seatlib.train import TrainConfig
from seatlib.wp import consistent_adversary as wpca
from tests.conftest import tiny_batch, tiny_model

ENCODERS = ["average", "cnn", "bilstm", "rnn"]


# ---------------------------------------------------------------- the classifier contract


def _hand_average_tanh(model, emb, real):
    """Average encoder + tanh attention + linear decoder written out in numpy from the weights:
    h_t = tanh(P e_t + b), s_t = v . tanh(A h_t + c), alpha = softmax over the real tokens,
    logit = D . sum_t alpha_t h_t + d."""
    P, b = (x.detach().double().numpy() for x in (model.encoder.proj.weight,
                                                   model.encoder.proj.bias))
    A, c = (x.detach().double().numpy() for x in (model.attention.proj.weight,
                                                   model.attention.proj.bias))
    v = model.attention.v.weight.detach().double().numpy()[0]
    D, d = (x.detach().double().numpy() for x in (model.decoder.weight, model.decoder.bias))
    logits = []
    for e, m in zip(emb.double().numpy(), real.numpy(), strict=True):
        h = np.tanh(e @ P.T + b)  # (L, H)
        s = np.tanh(h @ A.T + c) @ v
        w = np.where(m, np.exp(s - s[m].max()), 0.0)
        alpha = w / w.sum()
        logits.append(D @ (alpha @ h) + d)
    return np.array(logits)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_embedding_override_is_the_lookup_and_a_perturbation_acts_like_a_new_table(encoder):
    model = tiny_model(encoder, "tanh").double()
    ids, real = tiny_batch()
    with torch.no_grad():
        plain = model(ids, real)
        own = model(ids, real, embedding_override=model.embedding.weight[ids])
        torch.testing.assert_close(own.logits, plain.logits, rtol=0, atol=0)
        # perturb word 6 (once, in sentence 0, position 2) through the override ...
        delta = torch.linspace(-0.7, 0.9, model.embedding.embedding_dim, dtype=torch.float64)
        emb = model.embedding.weight[ids].clone()
        emb[0, 2] += delta
        via_override = model(ids, real, embedding_override=emb).logits
        # ... and independently through a copy of the model whose table row 6 moved
        other = tiny_model(encoder, "tanh").double()
        other.embedding.weight[6] += delta
        via_table = other(ids, real).logits
    torch.testing.assert_close(via_override, via_table, rtol=1e-12, atol=1e-14)
    assert (via_override[0] - plain.logits[0]).abs().item() > 1e-4  # it does move sentence 0
    # sentences 1 and 2 do not contain word 6: their logits are untouched
    torch.testing.assert_close(via_override[1:], plain.logits[1:], rtol=0, atol=0)


def test_embedding_override_matches_a_hand_forward():
    model = tiny_model("average", "tanh", seed=4).double()
    ids, real = tiny_batch()
    gen = torch.Generator().manual_seed(9)
    emb = torch.randn(ids.shape + (model.embedding.embedding_dim,), generator=gen,
                      dtype=torch.float64)  # not any row of the table
    with torch.no_grad():
        got = model(ids, real, embedding_override=emb).logits.numpy()
        own = model(ids, real).logits.numpy()
    np.testing.assert_allclose(got, _hand_average_tanh(model, emb, real), rtol=1e-12,
                               atol=1e-14)
    np.testing.assert_allclose(own, _hand_average_tanh(model, model.embedding.weight[ids].detach(),
                                                       real), rtol=1e-12, atol=1e-14)
    assert np.abs(got - own).min() > 1e-3


@pytest.mark.parametrize("encoder", ["bilstm", "average"])
def test_decode_every_slice_of_k_attentions_by_a_hand_loop(encoder):
    model = tiny_model(encoder, "tanh", n_classes=3).double()
    ids, real = tiny_batch()
    k = 4
    gen = torch.Generator().manual_seed(2)
    raw = torch.rand((ids.shape[0], k, ids.shape[1]), generator=gen, dtype=torch.float64)
    att = raw * real[:, None, :]
    att = att / att.sum(-1, keepdim=True)
    with torch.no_grad():
        out = model(ids, real)
        got = model.decode(out.hidden, att)
    assert got.shape == (3, k, 3)
    W, bias = model.decoder.weight.detach(), model.decoder.bias.detach()
    hidden = out.hidden.detach()
    for b in range(ids.shape[0]):
        for j in range(k):
            context = sum(float(att[b, j, t]) * hidden[b, t] for t in range(ids.shape[1]))
            ref = [float((W[c] * context).sum() + bias[c]) for c in range(W.shape[0])]
            np.testing.assert_allclose(got[b, j].numpy(), ref, rtol=1e-12, atol=1e-14)
    # each slice is its own forward with that attention as the override
    for j in range(k):
        with torch.no_grad():
            alone = model(ids, real, attention_override=att[:, j]).logits
        torch.testing.assert_close(got[:, j], alone, rtol=1e-12, atol=1e-14)
    assert (got[:, 0] - got[:, 1]).abs().max() > 1e-3  # the slices differ


# ---------------------------------------------------------------- closed-form attributions


class PolynomialProbability(nn.Module):
    """A binary "classifier" whose class-1 probability is, exactly,

        z = 0.5 + sum_t real_t (w_t . e_t + u_t . e_t^2)

    (logit = log z - log(1 - z), so sigmoid(logit) = z): dz/de_t = w_t + 2 u_t * e_t in
    closed form; with u = 0 it is linear in the embeddings. It follows the model contract
    (``embedding``, ``embedding_override``, ``detach_attention``)."""

    def __init__(self, vocab=20, dim=5, max_len=8, quadratic=False, seed=0):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.embedding = nn.Embedding(vocab, dim, padding_idx=0).double()
        with torch.no_grad():
            self.embedding.weight.copy_(torch.randn(vocab, dim, generator=gen,
                                                    dtype=torch.float64))
        self.w = torch.randn(max_len, dim, generator=gen, dtype=torch.float64) * 0.02
        self.u = (torch.randn(max_len, dim, generator=gen, dtype=torch.float64) * 0.01
                  if quadratic else torch.zeros(max_len, dim, dtype=torch.float64))

    def z(self, emb, real):
        n = emb.shape[1]
        m = real[..., None].to(emb.dtype)
        return 0.5 + (m * (emb * self.w[:n] + emb ** 2 * self.u[:n])).sum((1, 2))

    def forward(self, input_ids, real_mask, attention_override=None, embedding_override=None,
                detach_attention=False):
        emb = self.embedding(input_ids) if embedding_override is None else embedding_override
        z = self.z(emb, real_mask)
        assert bool(((z > 0) & (z < 1)).all())
        logits = (torch.log(z) - torch.log1p(-z))[:, None]
        att = real_mask.to(emb.dtype) / real_mask.sum(-1, keepdim=True)
        return SimpleNamespace(logits=logits, attention=att, embeddings=emb)


def _batch():
    ids, real = pad_batch([[2, 5, 6, 7, 8, 9, 3], [2, 10, 11, 3], [2, 12, 3]])
    return ids, real


def _np(model):
    return (model.embedding.weight.detach().numpy(), model.w.numpy(), model.u.numpy())


def test_the_closed_form_model_is_what_it_says():
    model = PolynomialProbability(quadratic=True)
    ids, real = _batch()
    E, w, u = _np(model)
    with torch.no_grad():
        p = probabilities(model(ids, real).logits)[:, 1].numpy()
    for b in range(3):
        z = 0.5 + sum(w[t] @ E[ids[b, t]] + u[t] @ E[ids[b, t]] ** 2
                      for t in range(ids.shape[1]) if real[b, t])
        assert p[b] == pytest.approx(z, rel=1e-14)


@pytest.mark.parametrize("target_class", [0, 1])
def test_saliency_and_jw_gradient_are_the_closed_form_gradient(target_class):
    model = PolynomialProbability(quadratic=True)
    ids, real = _batch()
    E, w, u = _np(model)
    sign = 1.0 if target_class == 1 else -1.0  # p(0) = 1 - z
    target = torch.full((3,), target_class)
    sal, _ = METHODS["saliency"].attribute(model, ids, real, target, AttributionOptions())
    grad, _ = METHODS["gradient"].attribute(model, ids, real, target, AttributionOptions())
    ref_sal, ref_grad = np.zeros(ids.shape), np.zeros(ids.shape)
    for b in range(3):
        for t in range(ids.shape[1]):
            if real[b, t]:
                e = E[ids[b, t]]
                g = sign * (w[t] + 2 * u[t] * e)  # dp_target / de_t
                ref_sal[b, t] = np.abs(g).sum()
                ref_grad[b, t] = abs(g @ e)
    np.testing.assert_allclose(sal.numpy(), ref_sal, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(grad.numpy(), ref_grad, rtol=1e-9, atol=1e-15)
    # the point of evaluation matters (u != 0): |w| alone is not the saliency
    assert np.abs(sal.numpy() - np.where(real, np.abs(w[: ids.shape[1]]).sum(-1), 0)).max() > 1e-3


@pytest.mark.parametrize("baseline", ["pad", "unk", "zero"])
@pytest.mark.parametrize("target_class", [0, 1])
def test_gradient_shap_and_ig_of_a_linear_model_are_x_minus_reference_dot_w(baseline,
                                                                           target_class):
    """For a linear p, GradientSHAP is (x - E[reference]) . w per token whatever the random
    points on the segments; with a one-point reference that is exact for every draw."""
    model = PolynomialProbability()
    ids, real = _batch()
    E, w, _ = _np(model)
    ref_vec = {"pad": E[0], "unk": E[1], "zero": np.zeros(E.shape[1])}[baseline]
    sign = 1.0 if target_class == 1 else -1.0
    expected = np.zeros(ids.shape)
    for b in range(3):
        for t in range(ids.shape[1]):
            if real[b, t]:
                expected[b, t] = sign * (E[ids[b, t]] - ref_vec) @ w[t]
    target = torch.full((3,), target_class)
    opts = AttributionOptions(baseline=baseline, n_samples=7, n_steps=3, seed=5)
    shap, _ = METHODS["gradient_shap"].attribute(model, ids, real, target, opts)
    np.testing.assert_allclose(shap.numpy(), expected, rtol=1e-9, atol=1e-15)
    # integrated gradients: exact too, up to captum's quadrature weights, which it casts to
    # float32 (their sum is 1 to about 3e-8)
    ig, _ = METHODS["integrated_gradients"].attribute(model, ids, real, target, opts)
    np.testing.assert_allclose(ig.numpy(), expected, rtol=1e-7, atol=1e-15)


def test_gradient_shap_over_random_words_is_x_minus_the_mean_word_dot_w():
    """baseline random: references are uniformly drawn words (ids >= 4), so the expectation is
    (x_t - mean_{v >= 4} E_v) . w_t. With 4000 references and draws the estimate's standard
    error is below sqrt(2 / 4000) sd_v(E_v . w_t); the test allows 5 of them."""
    model = PolynomialProbability(vocab=20)
    ids, real = _batch()
    E, w, _ = _np(model)
    words = E[4:]
    n = 4000
    opts = AttributionOptions(baseline="random", n_samples=n, seed=3)
    shap, _ = METHODS["gradient_shap"].attribute(model, ids, real, torch.ones(3, dtype=torch.long),
                                                 opts)
    for b in range(3):
        for t in range(ids.shape[1]):
            if not real[b, t]:
                assert shap[b, t] == 0
                continue
            expected = (E[ids[b, t]] - words.mean(0)) @ w[t]
            se = np.sqrt(2 / n) * (words @ w[t]).std()
            assert abs(shap[b, t].item() - expected) < 5 * se, (b, t)
    # a wrong reference mean (the PAD row, i.e. the pad baseline) is far outside that band
    pad = AttributionOptions(baseline="pad", n_samples=3)
    other, _ = METHODS["gradient_shap"].attribute(model, ids, real, torch.ones(3, dtype=torch.long),
                                                  pad)
    se_all = np.sqrt(2 / n) * max((words @ w[t]).std() for t in range(ids.shape[1]))
    assert (other - shap).abs().max().item() > 20 * se_all


# ---------------------------------------------------------------- JW adversary loss


def _jsd(p, q):
    p, q = np.asarray(p, float), np.asarray(q, float)
    m = (p + q) / 2
    kl = lambda x: sum(a * np.log(a / c) for a, c in zip(x, m, strict=True) if a > 0)  # noqa: E731
    return 0.5 * kl(p) + 0.5 * kl(q)


@pytest.mark.parametrize("diversity", ["paper", "code"])
def test_adversary_loss_on_a_padded_batch_of_two_by_hand(diversity):
    """k = 4 adversaries (the paper's k) for two instances of 3 and 2 words; positions past an
    instance's words hold exact zeros (SOS/EOS/PAD), a three-class output. The loss is summed
    over the batch; the diversity term is w * sum_{i<j} JSD with w = 1/(k(k-1)) = 1/12
    (paper) or 2/k^2 = 1/8 (JW's code: mean over the 16 ordered pairs, diagonal included)."""
    eps, hinge = 0.01, 500.0
    attn = [[0, 0.2, 0.3, 0.5, 0], [0, 0.6, 0.4, 0, 0]]
    advs = [[[0, 0.7, 0.2, 0.1, 0], [0, 0.1, 0.1, 0.8, 0], [0, 1 / 3, 1 / 3, 1 / 3, 0],
             [0, 0.05, 0.9, 0.05, 0]],
            [[0, 0.9, 0.1, 0, 0], [0, 0.1, 0.9, 0, 0], [0, 0.5, 0.5, 0, 0],
             [0, 0.6, 0.4, 0, 0]]]
    base = [[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]]
    probs = [[[0.2, 0.5, 0.3], [0.25, 0.45, 0.3], [0.2, 0.52, 0.28], [0.1, 0.6, 0.3]],
             [[0.6, 0.3, 0.1], [0.5, 0.35, 0.15], [0.605, 0.3, 0.095], [0.6, 0.2, 0.2]]]
    expected = 0.0
    weight = {"paper": 1 / 12, "code": 1 / 8}[diversity]
    for b in range(2):
        for i in range(4):
            change = 0.5 * sum(abs(x - y) for x, y in zip(probs[b][i], base[b], strict=True))
            expected += hinge * max(0.0, change - eps) - _jsd(advs[b][i], attn[b])
        for i in range(4):
            for j in range(i + 1, 4):
                expected -= weight * _jsd(advs[b][i], advs[b][j])
    t = lambda x: torch.tensor(x, dtype=torch.float64)  # noqa: E731
    got = adversary_loss(t(advs), t(probs), t(attn)[:, None], t(base)[:, None], epsilon=eps,
                         hinge_weight=hinge, diversity=diversity)
    assert got.item() == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------- WP class-weight quirk


def _wp_split(labels, rows):
    return pd.DataFrame({"example_id": [f"x{i}" for i in range(len(rows))], "text": "",
                         "tokens": [[str(t) for t in r[1:-1]] for r in rows],
                         "token_ids": rows, "label": labels})


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("quirk", [False, True])
def test_wp_training_loss_applies_the_class_weight_quirk_to_the_batch(monkeypatch, reduction,
                                                                      quirk):
    """The batch loss the WP adversary trains on, taken from the training loop itself, against
    WP's objective written out by hand: sum (or mean) over the batch of 1/2 |sigma(y_a) - y_b|
    - lambda KL(a_a || a_b), times sum_i w_i (w_i = N_neg/N_pos for label 1, else 1) with the
    quirk. Train labels 1, 0, 0, 0, 1, 0: pos_weight 4 / 2 = 2."""
    rows = [[2, 5, 6, 7, 3], [2, 8, 9, 3], [2, 10, 11, 12, 13, 3], [2, 5, 3], [2, 6, 9, 3],
            [2, 7, 8, 3]]
    labels = [1, 0, 0, 0, 1, 0]
    train = _wp_split(labels, rows)
    model = tiny_model(seed=2).double()
    gen = torch.Generator().manual_seed(1)
    t_probs = torch.rand(6, generator=gen, dtype=torch.float64)
    t_probs = torch.stack([1 - t_probs, t_probs], 1).numpy()
    t_attn = []
    for r in rows:
        a = np.zeros(len(r))
        a[1:-1] = torch.rand(len(r) - 2, generator=gen, dtype=torch.float64).numpy() + 0.1
        t_attn.append(a / a.sum())
    captured = {}

    def fake_fit_recipe(model_, lengths, cfg, seed, device, **kw):
        captured.update(kw)
        return None, None, None

    monkeypatch.setattr(wpca, "fit_recipe", fake_fit_recipe)
    lam = 0.3
    cfg = TrainConfig(loss_reduction=reduction)
    adv = wpca.AdversaryConfig(lam=lam, epochs=1, class_weight_quirk=quirk)
    wpca.train_consistent_adversary(model, train, train, (t_probs, t_attn), (t_probs, t_attn),
                                    cfg, adv, 0, "cpu")
    idx = np.array([0, 2, 3, 4])  # two positives (w = 2 each) and two negatives: sum w = 6
    loss, _ = captured["batch_loss"](idx)
    per = []
    with torch.no_grad():
        for i in idx:
            out = model(*pad_batch([rows[i]]))
            p1 = torch.sigmoid(out.logits[0, 0]).item()
            a = out.attention[0].double().numpy()[1:-1]
            q = t_attn[i][1:-1]
            # the adversary's weights are float32-cast targets inside the loop
            kl = float(np.sum(a * np.log(a / q.astype(np.float32))))
            per.append(0.5 * abs(p1 - float(np.float32(t_probs[i, 1]))) - lam * kl)
    expected = sum(per) if reduction == "sum" else sum(per) / len(per)
    if quirk:
        expected *= 2 + 1 + 1 + 2
    assert loss.item() == pytest.approx(expected, rel=1e-5)
