"""The fast paths of the counterfactual stages against independent computations: the cached
decoder projection vs ``model.decode``, the per-step search loss vs ``adversary_loss``, the
search chunks, and the chunked adversary vs a per-instance search with ``model.decode``."""

import numpy as np
import pandas as pd
import pytest
import torch

from seatlib.batching import pad_batch
from seatlib.counterfactual import adversarial_attention, initial_log_weights, initial_noise
from seatlib.counterfactual.adversary import adversary_loss, search_chunks, search_loss
from seatlib.counterfactual.common import cached_decoder, length_sorted_batches
from seatlib.models.attention import masked_softmax
from seatlib.models.base import probabilities
from seatlib.predict import predict_split
from tests.conftest import tiny_model

META = {"dataset": "toy", "model": "bilstm-tanh", "seed": 7}


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def toy_split(n, seed, max_words=10):
    rng = np.random.default_rng(seed)
    rows = [[2, *rng.integers(4, 30, size=rng.integers(1, max_words + 1)).tolist(), 3]
            for _ in range(n)]
    return pd.DataFrame({"example_id": [f"ex{i}" for i in range(n)], "text": "",
                         "tokens": [["w"] * (len(r) - 2) for r in rows], "token_ids": rows,
                         "label": rng.integers(0, 2, n)})


@pytest.mark.parametrize("encoder", ["bilstm", "cnn", "average", "rnn"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_cached_decoder_equals_model_decode(encoder, n_classes):
    model = tiny_model(encoder, "tanh", n_classes=n_classes)
    ids, real = pad_batch([[2, 5, 6, 7, 8, 3], [2, 9, 10, 3], [2, 11, 12, 13, 3]])
    with torch.no_grad():
        hidden = model(ids, real).hidden
    attn = masked_softmax(torch.randn(3, 5, ids.shape[1]), real[:, None, :])
    got = cached_decoder(model, hidden)(attn)
    want = model.decode(hidden, attn)
    assert got.shape == want.shape == (3, 5, 1 if n_classes == 2 else n_classes)
    torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)
    # by hand for one instance and one attention: W (sum_l a_l h_l) + b
    ctx = (attn[1, 2, :, None] * hidden[1]).sum(0)
    by_hand = model.decoder.weight @ ctx + model.decoder.bias
    torch.testing.assert_close(got[1, 2], by_hand, atol=1e-6, rtol=1e-5)


def test_cached_decoder_falls_back_to_an_overridden_decode():
    model = tiny_model()

    class Squared(type(model)):
        def decode(self, hidden, attention):  # not affine in the attention
            return super().decode(hidden, attention ** 2)

    other = Squared(model.cfg).eval()
    other.load_state_dict(model.state_dict())
    ids, real = pad_batch([[2, 5, 6, 7, 3]])
    hidden = other(ids, real).hidden.detach()
    attn = masked_softmax(torch.randn(1, 2, ids.shape[1]), real[:, None, :])
    assert torch.equal(cached_decoder(other, hidden)(attn), other.decode(hidden, attn))


@pytest.mark.parametrize("k", [1, 3, 4])
@pytest.mark.parametrize("diversity", ["paper", "code"])
def test_search_loss_equals_adversary_loss_and_its_gradient(k, diversity):
    gen = torch.Generator().manual_seed(k)
    b, length = 5, 9
    real = torch.zeros(b, length, dtype=torch.bool)
    for i, n in enumerate([7, 3, 1, 5, 7]):
        real[i, 1:1 + n] = True
    mask = real[:, None, :]
    target = masked_softmax(torch.randn(b, 1, length, generator=gen, dtype=torch.float64), mask)
    base = torch.softmax(torch.randn(b, 1, 2, generator=gen, dtype=torch.float64), -1)
    log_w = torch.randn(b, k, length, generator=gen, dtype=torch.float64)
    probs = torch.softmax(torch.randn(b, k, 2, generator=gen, dtype=torch.float64), -1)
    kw = dict(epsilon=0.01, hinge_weight=500.0, diversity=diversity)
    grads, values = [], []
    for fn in (lambda a, p: adversary_loss(a, p, target, base, **kw),
               search_loss(target, base, k, **kw)):
        w = log_w.clone().requires_grad_(True)
        value = fn(masked_softmax(w, mask), probs)
        value.backward()
        values.append(value.detach())
        grads.append(w.grad)
    torch.testing.assert_close(values[1], values[0], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(grads[1], grads[0], rtol=1e-9, atol=1e-12)


def test_search_chunks_respect_the_budget_and_keep_the_order():
    split = toy_split(50, seed=3, max_words=20)
    token_ids = list(split["token_ids"])
    batches = list(length_sorted_batches(token_ids, 4, "cpu"))
    for budget in (1, 200, 600, 10 ** 9):
        chunks = search_chunks(batches, 3, budget)
        flat = [b for c in chunks for b in c]
        assert [id(b) for b in flat] == [id(b) for b in batches]
        for c in chunks:
            size = sum(len(b[0]) for b in c) * 3 * max(b[1].shape[1] for b in c)
            assert size <= budget or len(c) == 1
        if budget == 1:
            assert len(chunks) == len(batches)
        if budget == 10 ** 9:
            assert len(chunks) == 1


def _reference_search(model, split, k, steps, seed):
    """One instance at a time, ``model.decode`` and ``adversary_loss`` at every step."""
    token_ids = list(split["token_ids"])
    noise = initial_noise(token_ids, k, seed)
    out_adv = []
    for i, toks in enumerate(token_ids):
        ids, real = pad_batch([toks])
        with torch.no_grad():
            out = model(ids, real)
            base = probabilities(out.logits)
        log_w = initial_log_weights(noise[i:i + 1, :, :ids.shape[1]], real).requires_grad_(True)
        optim = torch.optim.Adam([log_w], lr=0.01, amsgrad=True)
        for _ in range(steps):
            adv = masked_softmax(log_w, real[:, None, :])
            probs = probabilities(model.decode(out.hidden, adv))
            loss = adversary_loss(adv, probs, out.attention[:, None], base[:, None],
                                  epsilon=0.01, hinge_weight=500.0)
            optim.zero_grad()
            loss.backward()
            optim.step()
        out_adv.append(masked_softmax(log_w, real[:, None, :])[0].detach().numpy())
    return out_adv


def test_chunked_adversary_equals_a_per_instance_search_with_model_decode():
    split = toy_split(12, seed=4)
    model = tiny_model("bilstm", "tanh")
    with torch.no_grad():
        model.decoder.weight.mul_(60.0)  # the output depends strongly on attention
    pred = predict_split(model, split, META, "test", "cpu")
    kw = dict(steps=40, k=3, seed=11)
    chunked, advs = adversarial_attention(model, split, pred, batch_size=4, **kw)
    alone, advs1 = adversarial_attention(model, split, pred, batch_size=1, max_elements=1, **kw)
    reference = _reference_search(model, split, 3, 40, 11)
    for a, b, r in zip(advs, advs1, reference, strict=True):
        np.testing.assert_allclose(a, r, atol=1e-5)
        np.testing.assert_allclose(b, r, atol=1e-5)
    np.testing.assert_allclose(chunked["emax_jsd"], alone["emax_jsd"], atol=1e-5)
    assert (chunked["emax_jsd"] > 0).mean() > 0.5  # the search did move
    again, advs2 = adversarial_attention(model, split, pred, batch_size=4, **kw)
    pd.testing.assert_frame_equal(chunked, again)  # same config + seed = same values
    assert all(np.array_equal(a, b) for a, b in zip(advs, advs2, strict=True))
