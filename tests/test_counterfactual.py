import math

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.spatial.distance import jensenshannon

from seatlib.batching import pad_batch
from seatlib.counterfactual import (
    adversarial_attention,
    permutation_experiment,
    permutation_indices,
    permute_real_tokens,
)
from seatlib.counterfactual.adversary import adversary_loss, diversity_weight
from seatlib.divergence import LN2, jsd, kl, tvd
from seatlib.models.base import probabilities
from seatlib.predict import predict_split
from seatlib.schema import to_arrow
from tests.conftest import tiny_model

META = {"dataset": "toy", "model": "bilstm-tanh", "seed": 7}


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny tensors: one thread avoids contention on the shared machine; restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def toy_split(n=24, seed=0, max_words=10):
    rng = np.random.default_rng(seed)
    rows = [[2, *rng.integers(4, 30, size=rng.integers(1, max_words + 1)).tolist(), 3]
            for _ in range(n)]
    return pd.DataFrame({"example_id": [f"ex{i}" for i in range(n)], "text": "",
                         "tokens": [["w"] * (len(r) - 2) for r in rows], "token_ids": rows,
                         "label": rng.integers(0, 2, n)})


def sensitive_model(attention="tanh", n_classes=2):
    """A tiny model whose output depends strongly on attention (scaled-up decoder)."""
    model = tiny_model("bilstm", attention, n_classes=n_classes)
    with torch.no_grad():
        model.decoder.weight.mul_(60.0)
    return model


def predictions(model, split):
    return predict_split(model, split, META, "test", "cpu")


# ---------------------------------------------------------------- divergences


def test_jsd_hand_values_and_scipy_agreement():
    p = torch.tensor([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]], dtype=torch.float64)
    q = torch.tensor([[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]], dtype=torch.float64)
    # by hand: m = [.25,.5,.25] -> 1/2 ln 2; m = [.75,.25] -> 1/2(ln 4/3 + 1/2 ln 2/3 + 1/2 ln 2)
    expected = [0.5 * LN2, 0.5 * (math.log(4 / 3) + 0.5 * math.log(2 / 3) + 0.5 * math.log(2))]
    torch.testing.assert_close(jsd(p, q), torch.tensor(expected, dtype=torch.float64))
    assert expected[1] == pytest.approx(0.215762, abs=1e-6)
    rng = np.random.default_rng(0)
    a, b = rng.dirichlet(np.ones(6), size=5), rng.dirichlet(np.ones(6), size=5)
    ref = jensenshannon(a, b, axis=1) ** 2  # natural log by default
    np.testing.assert_allclose(jsd(torch.tensor(a), torch.tensor(b)).numpy(), ref, rtol=1e-9)


def test_jsd_bounds_symmetry_and_broadcasting():
    disjoint = jsd(torch.tensor([0.3, 0.7, 0.0, 0.0]), torch.tensor([0.0, 0.0, 0.9, 0.1]))
    assert disjoint.item() == pytest.approx(LN2, abs=1e-6) and disjoint.item() <= LN2
    p = torch.softmax(torch.randn(4, 3, 9, generator=torch.Generator().manual_seed(0)), -1)
    same = jsd(p, p)
    assert torch.all(same == 0)
    q = p.flip(-1)
    d = jsd(p, q)
    assert d.shape == (4, 3) and torch.all(d >= 0) and torch.all(d <= LN2)
    torch.testing.assert_close(d, jsd(q, p))
    cross = jsd(p[:, :, None], p[:, None])  # (4, 3, 3)
    assert cross.shape == (4, 3, 3)
    torch.testing.assert_close(cross[:, 0, 1], jsd(p[:, 0], p[:, 1]))
    torch.testing.assert_close(cross.diagonal(dim1=1, dim2=2), torch.zeros(4, 3))


def test_jsd_has_finite_gradients_at_exact_zeros():
    logits = torch.randn(2, 5, requires_grad=True)
    mask = torch.tensor([[False, True, True, True, False], [False, True, False, False, False]])
    p = torch.softmax(logits.masked_fill(~mask, -1e9), -1) * mask
    q = mask / mask.sum(-1, keepdim=True)
    value = jsd(p, q.float()).sum()
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(logits.grad).all()


def test_kl_masked_and_infinite():
    p = torch.tensor([0.5, 0.5, 0.0])
    q = torch.tensor([0.25, 0.25, 0.5])
    assert kl(p, q).item() == pytest.approx(math.log(2))
    assert kl(q, torch.tensor([0.5, 0.5, 0.0])).item() == math.inf
    masked = kl(q, torch.tensor([0.5, 0.5, 0.0]), mask=torch.tensor([True, True, False]))
    assert masked.item() == pytest.approx(0.5 * math.log(0.5))


def test_tvd_hand_values():
    assert tvd(torch.tensor([0.2, 0.3, 0.5]), torch.tensor([0.5, 0.3, 0.2])).item() == \
        pytest.approx(0.3)
    logits = torch.tensor([[0.3], [-2.0]])
    other = torch.tensor([[1.1], [-2.0]])
    d = tvd(probabilities(logits), probabilities(other))  # binary: |p - p'|
    expected = (torch.sigmoid(other) - torch.sigmoid(logits)).abs().squeeze(-1)
    torch.testing.assert_close(d, expected)
    assert tvd(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])).item() == 1.0


# ---------------------------------------------------------------- permutations


def test_permutations_keep_weights_on_real_tokens():
    ids, real = pad_batch([[2, 5, 6, 7, 8, 9, 10, 11, 3], [2, 9, 10, 3], [2, 11, 3]])
    attn = torch.rand(ids.shape, generator=torch.Generator().manual_seed(1)) * real
    attn = attn / attn.sum(-1, keepdim=True)
    gen = torch.Generator().manual_seed(0)
    out = permute_real_tokens(attn, real, 50, gen)
    assert out.shape == (3, 50, ids.shape[1])
    assert torch.all(out[~real[:, None, :].expand_as(out)] == 0)  # nothing on SOS/EOS/PAD
    torch.testing.assert_close(out.sort(-1).values, attn[:, None].expand_as(out).sort(-1).values,
                               rtol=0, atol=0)  # same multiset per instance and draw
    assert torch.equal(out[2], attn[2, None].expand(50, -1))  # a single word cannot move
    first = out[0]
    assert len({tuple(r.tolist()) for r in first}) > 40  # draws differ (7! orders)
    assert not torch.equal(out[0, :, 1:8], attn[0, None, 1:8].expand(50, -1))
    again = permute_real_tokens(attn, real, 50, torch.Generator().manual_seed(0))
    assert torch.equal(out, again)


def test_permutation_indices_are_uniform_and_fix_masked_positions():
    _, real = pad_batch([[2, 5, 6, 7, 8, 3, ], [2, 5, 3]])
    perm = permutation_indices(real, 4000, torch.Generator().manual_seed(3))
    positions = torch.arange(real.shape[1])
    assert torch.equal(perm[1, :, [0, 2, 3, 4, 5]], positions[[0, 2, 3, 4, 5]].expand(4000, -1))
    assert torch.equal(perm[0, :, [0, 5]], positions[[0, 5]].expand(4000, -1))
    # each real source position lands on each real destination about 1/4 of the time
    counts = torch.stack([(perm[0, :, 1:5] == s).float().mean(0) for s in range(1, 5)])
    assert torch.all((counts - 0.25).abs() < 0.03), counts


def test_uniform_attention_permutations_change_nothing():
    split = toy_split()
    model = sensitive_model("uniform")
    frame = permutation_experiment(model, split, predictions(model, split), n_permutations=30)
    assert (frame["median_tvd"] == 0).all() and (frame["mean_tvd"] == 0).all()


def test_permutation_experiment_matches_a_direct_computation():
    split = toy_split()
    model = sensitive_model("tanh")
    pred = predictions(model, split)
    frame = permutation_experiment(model, split, pred, n_permutations=20, seed=5, batch_size=64)
    to_arrow(frame, "permutation")
    assert list(frame["example_id"]) == list(split["example_id"])
    assert frame[["dataset", "model", "seed", "split"]].iloc[0].tolist() == \
        ["toy", "bilstm-tanh", 7, "test"]
    one_word = split["token_ids"].map(len) == 3
    assert (frame.loc[one_word, "median_tvd"] == 0).all()
    assert (frame.loc[~one_word, "mean_tvd"] > 0).all()
    # independent reference: record the permuted weights the experiment drew (a spy on
    # permute_real_tokens and on its batches), check each draw is a permutation of the
    # instance's own attention, then recompute every draw's output with a separate forward per
    # instance and per draw (attention_override, no batching, no decode(B, K, L)), the TVD in
    # numpy and np.median / np.mean over the draws
    import seatlib.counterfactual.permute as permute_mod

    drawn, batch_rows = [], []
    real_permute, real_batches = permute_mod.permute_real_tokens, permute_mod.length_sorted_batches

    def spy_permute(attention, real_mask, k, generator):
        out = real_permute(attention, real_mask, k, generator)
        drawn.append(out.clone())
        return out

    def spy_batches(*args):
        for rows, ids, real in real_batches(*args):
            batch_rows.append(rows)
            yield rows, ids, real

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(permute_mod, "permute_real_tokens", spy_permute)
        mp.setattr(permute_mod, "length_sorted_batches", spy_batches)
        spied = permutation_experiment(model, split, pred, n_permutations=20, seed=5,
                                       batch_size=7)
    assert len(drawn) == len(batch_rows) == 4
    ref_median, ref_mean = np.full(len(split), np.nan), np.full(len(split), np.nan)
    with torch.no_grad():
        for rows, perms in zip(batch_rows, drawn, strict=True):
            for b, i in enumerate(rows):
                row = split["token_ids"].iat[i]
                n = len(row) - 2
                ids1, real1 = pad_batch([row])
                own = model(ids1, real1)
                p = probabilities(own.logits)[0].double().numpy()
                changes = []
                for j in range(20):
                    w = perms[b, j, : n + 2]
                    assert w[0] == 0 and w[-1] == 0 and (perms[b, j, n + 2:] == 0).all()
                    np.testing.assert_allclose(np.sort(w[1:-1].numpy()),
                                               np.sort(own.attention[0, 1:-1].numpy()),
                                               rtol=1e-5, atol=1e-7)
                    q = probabilities(model(ids1, real1, attention_override=w[None]).logits)
                    changes.append(0.5 * np.abs(q[0].double().numpy() - p).sum())
                ref_median[i], ref_mean[i] = np.median(changes), np.mean(changes)
    np.testing.assert_allclose(spied["median_tvd"], ref_median, rtol=1e-4, atol=2e-7)
    np.testing.assert_allclose(spied["mean_tvd"], ref_mean, rtol=1e-4, atol=2e-7)
    assert (ref_mean[~one_word.to_numpy()] > 1e-5).all()  # the draws do move the output
    same = permutation_experiment(model, split, pred, n_permutations=20, seed=5)
    pd.testing.assert_frame_equal(frame, same)
    other = permutation_experiment(model, split, pred, n_permutations=20, seed=6)
    assert not np.array_equal(other["median_tvd"], frame["median_tvd"])


def test_predictions_must_match_model_and_split():
    split = toy_split(6)
    model = sensitive_model("tanh")
    pred = predictions(model, split)
    other = predictions(sensitive_model("dot"), split)
    with pytest.raises(ValueError, match="expected predictions made by this model"):
        permutation_experiment(model, split, other, n_permutations=2)
    with pytest.raises(ValueError, match="predictions lack example_id 'ex5'"):
        permutation_experiment(model, split, pred.iloc[:5], n_permutations=2)
    with pytest.raises(ValueError, match="n_permutations must be >= 1"):
        permutation_experiment(model, split, pred, n_permutations=0)
    with pytest.raises(ValueError, match="adversary epsilon must be >= 0"):
        adversarial_attention(model, split, pred, epsilon=-0.1)


# ---------------------------------------------------------------- adversary


@pytest.fixture(scope="module")
def adversary_run():
    torch.set_num_threads(1)
    split = toy_split(40, seed=1)
    model = sensitive_model("tanh")
    pred = predict_split(model, split, META, "test", "cpu")
    runs = {steps: adversarial_attention(model, split, pred, steps=steps, seed=3)
            for steps in (0, 300)}
    return split, model, pred, runs


def test_adversary_selection_invariants(adversary_run):
    split, _, _, runs = adversary_run
    frame, advs = runs[300]
    to_arrow(frame, "adversary")
    assert list(frame["example_id"]) == list(split["example_id"])
    assert (frame["emax_tvd"] <= 0.05).all()
    assert (frame["emax_jsd"] >= 0).all() and (frame["emax_jsd"] <= LN2).all()
    lengths = split["token_ids"].map(len).to_numpy()
    for row, adv, n in zip(frame.itertuples(), advs, lengths, strict=True):
        chosen, orig = np.asarray(row.adversarial_attention), np.asarray(row.attention)
        assert chosen.shape == orig.shape == (n,) and adv.shape == (4, n)
        for a in (chosen, *adv):
            assert a[0] == 0 and a[-1] == 0 and a[1:-1].sum() == pytest.approx(1, abs=1e-5)
        ok = np.asarray(row.adversary_tvd) <= 0.05
        best = max(np.asarray(row.adversary_jsd)[ok], default=0.0)
        assert row.emax_jsd == pytest.approx(max(best, 0.0), abs=1e-12)
        ref = jensenshannon(chosen[1:-1], orig[1:-1]) ** 2 if row.emax_jsd > 0 else 0.0
        assert row.emax_jsd == pytest.approx(ref, abs=1e-5)
    multi = lengths > 3
    assert (frame.loc[multi, "emax_jsd"] > 0.05).mean() > 0.8


def test_adversary_optimisation_meets_the_output_constraint(adversary_run):
    _, _, _, runs = adversary_run
    start, end = (np.stack(runs[s][0]["adversary_tvd"]) for s in (0, 300))
    assert (start <= 0.05).mean() < 0.6  # random starting points often move the output
    assert (end <= 0.05).mean() > 0.9  # the hinge pulls them back within epsilon
    assert runs[300][0]["emax_jsd"].mean() > runs[0][0]["emax_jsd"].mean() + 0.05


def test_adversary_falls_back_to_the_original():
    split = toy_split(8, seed=2)
    model = sensitive_model("tanh")
    pred = predictions(model, split)
    frame, _ = adversarial_attention(model, split, pred, steps=5, selection_threshold=0.0)
    moved = np.stack(frame["adversary_tvd"]).min(1) > 0
    assert moved.sum() >= 6
    assert (frame.loc[moved, "emax_jsd"] == 0).all() and (frame.loc[moved, "emax_tvd"] == 0).all()
    for row in frame[moved].itertuples():
        assert np.array_equal(row.adversarial_attention, row.attention)


def test_adversary_batched_equals_per_instance_and_is_deterministic():
    split = toy_split(10, seed=4)
    model = sensitive_model("tanh")
    pred = predictions(model, split)
    kw = dict(steps=40, k=3, seed=11)
    batched, advs = adversarial_attention(model, split, pred, batch_size=64, **kw)
    single, advs1 = adversarial_attention(model, split, pred, batch_size=1, **kw)
    np.testing.assert_allclose(batched["emax_jsd"], single["emax_jsd"], atol=1e-5)
    for a, b in zip(advs, advs1, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    again, _ = adversarial_attention(model, split, pred, batch_size=64, **kw)
    pd.testing.assert_frame_equal(batched, again)
    other, _ = adversarial_attention(model, split, pred, batch_size=64, **{**kw, "seed": 12})
    assert not np.array_equal(np.stack(other["adversary_jsd"]), np.stack(batched["adversary_jsd"]))


def test_adversary_single_adversary_and_multiclass():
    split = toy_split(6, seed=5)
    split["label"] = np.arange(6) % 3
    model = sensitive_model("tanh", n_classes=3)
    pred = predictions(model, split)
    frame, advs = adversarial_attention(model, split, pred, k=1, steps=20)
    assert all(a.shape[0] == 1 for a in advs)
    assert (frame["emax_tvd"] <= 0.05).all()
    assert frame["adversary_jsd"].map(len).eq(1).all()


def _jsd_by_hand(p, q):
    m = [(a + b) / 2 for a, b in zip(p, q, strict=True)]
    kl = lambda x, y: sum(a * math.log(a / b) for a, b in zip(x, y, strict=True) if a > 0)  # noqa: E731
    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


@pytest.mark.parametrize("diversity", ["paper", "code"])
def test_adversary_loss_value_by_hand(diversity):
    # one instance, k = 3 adversaries over 2 tokens, a binary model
    attn = [0.5, 0.5]
    advs = [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]
    p_base = [0.3, 0.7]
    p_adv = [[0.3, 0.7], [0.25, 0.75], [0.32, 0.68]]  # TVD 0, 0.05, 0.02
    eps, hinge = 0.01, 500.0
    hinge_part = hinge * (0 + (0.05 - eps) + (0.02 - eps))
    to_attn = sum(_jsd_by_hand(a, attn) for a in advs)
    pairs = [(0, 1), (0, 2), (1, 2)]
    cross = sum(_jsd_by_hand(advs[i], advs[j]) for i, j in pairs)
    # paper: 1/(k(k-1)) sum_{i<j} = cross / 6; JW's code: mean over the 9 ordered pairs
    # (diagonal included) = 2 cross / 9. The old weight, sum over ordered pairs / (k(k-1)),
    # was 2 cross / 6.
    weight = {"paper": 1 / 6, "code": 2 / 9}[diversity]
    expected = hinge_part - to_attn - weight * cross
    t = lambda x: torch.tensor(x, dtype=torch.float64)  # noqa: E731
    got = adversary_loss(t([advs]), t([p_adv]), t([[attn]]), t([[p_base]]), epsilon=eps,
                         hinge_weight=hinge, diversity=diversity)
    assert got.item() == pytest.approx(expected, rel=1e-12)
    assert diversity_weight(3, diversity) == pytest.approx(weight, rel=1e-15)


def test_adversary_diversity_weights_and_unknown_name():
    assert diversity_weight(4) == pytest.approx(1 / 12)  # the paper's, k = 4
    assert diversity_weight(5, "code") == pytest.approx(2 / 25)  # JW's code, K = 5
    assert diversity_weight(1) == diversity_weight(1, "code") == 0.0
    with pytest.raises(ValueError, match="adversary diversity 'jw' is unknown"):
        diversity_weight(4, "jw")
