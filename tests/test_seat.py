"""SEAT: adversaries, top-k surrogate, objectives, metrics and substitution on tiny inputs."""

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from seatlib.divergence import jsd_authors as jsd
from seatlib.divergence import tvd
from seatlib.models.attention import masked_softmax
from seatlib.predict import run_split
from seatlib.schema import read_table, write_table
from seatlib.seat import attacks
from seatlib.seat.evaluate import embedding_stability, erasure, evaluate_model
from seatlib.seat.metrics import sens
from seatlib.seat.objectives import OBJECTIVES, PERTURBS, Batch, bce_per_instance
from seatlib.seat.pgd import attention_constraint, iat, pgd, simplex_projection
from seatlib.seat.settings import AttackConfig, IATConfig, SeatEvalConfig, SeatTrainConfig
from seatlib.seat.substitution import nearest_neighbours, substitute, substitution_frame
from seatlib.seat.topk import topk_overlap_loss, true_topk_overlap
from seatlib.seat.train import train_seat
from seatlib.train import TrainConfig, classification_loss
from tests.conftest import tiny_batch, tiny_model

# --------------------------------------------------------------------------- PGD


def linear_objective(w):
    return lambda x: (x * w).flatten(1).sum(1)


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_pgd_stays_in_its_ball_and_climbs(norm):
    g = torch.Generator().manual_seed(0)
    x = 5.0 + torch.randn(4, 6, 3, generator=g)  # far outside [0, 1]
    w = torch.randn(4, 6, 3, generator=g)
    r = 0.05
    attack = AttackConfig(radius=r, steps=10, norm=norm, projection="none")
    x_adv = pgd(linear_objective(w), x, r, attack, generator=g)
    delta = (x_adv - x).flatten(1)
    size = delta.abs().amax(1) if norm == "linf" else delta.norm(dim=1)
    assert torch.all(size <= r * (1 + 1e-5))
    best = (w.abs().flatten(1).sum(1) * r if norm == "linf"
            else w.flatten(1).norm(dim=1) * r)  # max of <w, delta> over the ball
    gain = linear_objective(w)(x_adv) - linear_objective(w)(x)
    assert torch.all(gain > 0.9 * best), (gain, best)
    assert x_adv.min() > 1.0  # no [0, 1] clamp on non-attention inputs


def test_pgd_per_instance_radius_and_mask():
    x = torch.zeros(3, 5)
    w = torch.ones(3, 5)
    radius = torch.tensor([0.1, 0.01, 0.001])
    mask = torch.tensor([[1, 1, 0, 1, 0]] * 3, dtype=torch.bool)
    x_adv = pgd(linear_objective(w), x, radius, AttackConfig(radius=1.0, steps=4,
                                                             projection="none"), mask=mask)
    assert torch.allclose(x_adv.abs().amax(1), radius)
    assert torch.all(x_adv[:, [2, 4]] == 0)


def test_pgd_step_size_defaults_to_two_r_over_steps():
    assert AttackConfig(radius=0.01, steps=10).alpha == pytest.approx(0.002)
    assert AttackConfig(radius=0.01, steps=10, step_size=0.5).alpha == 0.5


def attention_batch():
    scores = torch.tensor([[0.0, 2.0, 1.0, 0.5, 0.0], [0.0, 0.3, 0.1, 0.0, 0.0]])
    real = torch.tensor([[0, 1, 1, 1, 0], [0, 1, 1, 0, 0]], dtype=torch.bool)
    return masked_softmax(scores, real), real


@pytest.mark.parametrize("projection", ["clamp", "simplex"])
def test_attention_pgd_is_feasible(projection):
    att, real = attention_batch()
    w = torch.tensor([[0.0, -1.0, 3.0, 2.0, 7.0], [0.0, 2.0, -5.0, 0.0, 9.0]])
    r = 0.2
    attack = AttackConfig(radius=r, steps=5, projection=projection)
    con = attention_constraint(projection, r, "linf", real)
    adv = pgd(linear_objective(w), att, r, attack, mask=real, constrain=con,
              generator=torch.Generator().manual_seed(1))
    assert torch.all((adv - att).abs() <= r + 1e-6)
    assert torch.all(adv >= 0) and torch.all(adv <= 1)
    assert torch.all(adv[~real] == 0)  # only the real tokens are perturbed
    assert not torch.allclose(adv, att)
    if projection == "simplex":
        assert torch.allclose(adv.sum(1), torch.ones(2), atol=1e-6)


def test_simplex_projection_by_hand():
    mask = torch.tensor([[1, 1, 1], [1, 1, 0], [1, 1, 1]], dtype=torch.bool)
    v = torch.tensor([[0.5, 0.5, 0.5], [0.6, 0.6, 3.0], [2.0, 0.0, -1.0]])
    out = simplex_projection(v, mask)
    expected = torch.tensor([[1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
    assert torch.allclose(out, expected, atol=1e-6)


def test_iat_moves_along_its_directions_within_radius():
    x = torch.zeros(2, 4)
    dirs = torch.eye(4)[None].repeat(2, 1, 1)[:, :2]  # (B, J=2, L): only e0 and e1
    w = torch.tensor([[1.0, -2.0, 5.0, 5.0], [3.0, 1.0, 5.0, 5.0]])
    adv = iat(linear_objective(w), x, dirs, "bj,bjl->bl", 0.1, 5, 0.01, "linf")
    assert torch.all(adv[:, 2:] == 0)  # nothing outside the span of the directions
    assert torch.all(adv.abs().amax(1) <= 0.1 + 1e-6)
    assert torch.all((adv * w).sum(1) > 0)


# ------------------------------------------------------------------ divergences, top-k


def test_tvd_jsd_sens_by_hand():
    p = torch.tensor([[0.9, 0.1], [0.5, 0.5]])
    q = torch.tensor([[0.6, 0.4], [0.5, 0.5]])
    assert torch.allclose(tvd(p, q), torch.tensor([0.3, 0.0]))
    a = torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    b = torch.tensor([[0.0, 1.0], [0.5, 0.5]])
    assert torch.allclose(jsd(a, b), torch.tensor([math.log(2), 0.0]), atol=1e-6)
    a2, b2 = torch.tensor([[0.75, 0.25]]), torch.tensor([[0.25, 0.75]])
    m = 0.5
    by_hand = 0.5 * (0.75 * math.log(0.75 / m) + 0.25 * math.log(0.25 / m)) * 2
    assert jsd(a2, b2).item() == pytest.approx(by_hand, abs=1e-6)
    assert sens([0.1, 0.05], [0.4, 0.2]) == pytest.approx((0.05 * 0.4 + 0.025 * 0.2) / 2)
    with pytest.raises(ValueError, match="radii"):
        sens([0.1], [0.1, 0.2])


def test_topk_surrogate_zero_iff_same_top_weights():
    att, real = attention_batch()
    assert torch.all(topk_overlap_loss(att, att, real, 2) == 0)
    w_ref = torch.tensor([[0.0, 0.5, 0.3, 0.2, 0.0]])
    w = torch.tensor([[0.0, 0.2, 0.3, 0.5, 0.0]])
    mask = torch.tensor([[0, 1, 1, 1, 0]], dtype=torch.bool)
    # k=1: T(w_ref)={1}: |0.2-0.5|; T(w)={3}: |0.5-0.2|; (0.3+0.3)/(2*1)
    assert topk_overlap_loss(w_ref, w, mask, 1).item() == pytest.approx(0.3)
    # k=2: {1,2} and {3,2}: (0.3 + 0 + 0.3 + 0) / 4
    assert topk_overlap_loss(w_ref, w, mask, 2).item() == pytest.approx(0.15)


def test_topk_surrogate_passes_gradient_to_the_values_only():
    w_ref = torch.tensor([[0.0, 0.5, 0.3, 0.2, 0.0]])
    w = torch.tensor([[0.0, 0.2, 0.3, 0.5, 0.0]], requires_grad=True)
    mask = torch.tensor([[0, 1, 1, 1, 0]], dtype=torch.bool)
    topk_overlap_loss(w_ref, w, mask, 1).backward()
    assert torch.allclose(w.grad, torch.tensor([[0.0, -0.5, 0.0, 0.5, 0.0]]))


def test_true_topk_overlap_by_hand():
    mask = torch.tensor([[0, 1, 1, 1, 1, 0], [0, 1, 0, 0, 0, 0]], dtype=torch.bool)
    a = torch.tensor([[0, 0.4, 0.3, 0.2, 0.1, 0], [0, 1, 0, 0, 0, 0]])
    b = torch.tensor([[0, 0.1, 0.4, 0.3, 0.2, 0], [0, 1, 0, 0, 0, 0]])
    # top-2 {1,2} vs {2,3} -> 1/2; the second row has one real token: k becomes 1
    assert torch.allclose(true_topk_overlap(a, b, mask, 2), torch.tensor([0.5, 1.0]))
    assert torch.allclose(true_topk_overlap(a, b, mask, 4), torch.tensor([1.0, 1.0]))


# ------------------------------------------------------------------ objectives


def seat_batch(seed=0):
    ids, real = tiny_batch()
    van = tiny_model(seed=seed + 100)
    with torch.no_grad():
        out = van(ids, real)
    from seatlib.models.base import probabilities

    return Batch(ids, real, torch.tensor([1, 0, 1]), probabilities(out.logits), out.attention,
                 pos_weight=1.0)


def test_bce_matches_the_foundation_loss():
    logits = torch.tensor([[0.3], [-1.2], [2.0]])
    labels = torch.tensor([1, 0, 1])
    ours = bce_per_instance(logits, labels, 1.7).sum()
    assert ours.item() == pytest.approx(classification_loss(logits, labels, 1.7, "sum").item())


def test_gradients_reach_every_seat_parameter():
    model = tiny_model(seed=1).train()
    parts = OBJECTIVES["seat"](model, seat_batch(), SeatTrainConfig(), "sum",
                               torch.Generator().manual_seed(0))
    parts.total.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    assert parts.adv.shape == (3,) and torch.all(parts.topk[:2] > 0)
    assert parts.topk[2] == 0  # a one-word sentence: both attentions put 1 on it


def attention_grads(adv_through_attention, lambda1):
    model = tiny_model(seed=1).train()
    cfg = SeatTrainConfig(lambda1=lambda1, lambda2=0.0,
                          adv_through_attention=adv_through_attention)
    OBJECTIVES["seat"](model, seat_batch(), cfg, "sum",
                       torch.Generator().manual_seed(0)).total.backward()
    return torch.cat([p.grad.flatten() for p in model.attention.parameters()])


def test_adversarial_term_reaches_attention_only_through_algorithm_1_option():
    base = attention_grads(False, 0.0)
    assert torch.allclose(attention_grads(False, 1.0), base)  # authors: a* detached
    assert not torch.allclose(attention_grads(True, 1.0), base)  # Algorithm 1


class Spy:
    """Records the attention given to decode() and the embedding overrides given to forward()."""

    def __init__(self, model, monkeypatch):
        self.decoded, self.overrides = [], []
        decode, forward = model.decode, model.forward

        def spy_decode(hidden, attention):
            self.decoded.append(attention.detach().clone())
            return decode(hidden, attention)

        def spy_forward(input_ids, real_mask, attention_override=None, embedding_override=None,
                        detach_attention=False):
            if embedding_override is not None:
                self.overrides.append(embedding_override.detach().clone())
            return forward(input_ids, real_mask, attention_override, embedding_override,
                           detach_attention)

        monkeypatch.setattr(model, "decode", spy_decode)
        monkeypatch.setattr(model, "forward", spy_forward)


@pytest.mark.parametrize("method", [m for m in OBJECTIVES if m != "vanilla"])
def test_each_method_perturbs_where_the_spec_says(method, monkeypatch):
    model = tiny_model(seed=2).train()
    with torch.no_grad():  # embeddings far outside [0, 1]: a clamp would show
        model.embedding.weight.add_(3.0)
    batch = seat_batch()
    with torch.no_grad():
        clean = model(batch.input_ids, batch.real_mask)
    spy = Spy(model, monkeypatch)
    cfg = SeatTrainConfig(attention_pgd=AttackConfig(radius=0.05, steps=3),
                          embedding_pgd=AttackConfig(radius=0.02, steps=3, projection="none"),
                          iat=IATConfig(directions=4, step=0.05))
    OBJECTIVES[method](model, batch, cfg, "sum", torch.Generator().manual_seed(0))
    real = batch.real_mask
    perturbed_att = [a for a in spy.decoded if not torch.allclose(a, clean.attention)]
    if PERTURBS[method] == "attention":
        assert spy.overrides == []  # embeddings untouched
        assert perturbed_att, "no decoder call on perturbed attention"
        for a in perturbed_att:
            assert torch.all((a - clean.attention).abs() <= 0.05 + 1e-6)
            assert torch.all(a[~real] == 0) and torch.all((a >= 0) & (a <= 1))
    else:
        for a in spy.decoded:  # every attention is the model's own softmax over real tokens
            assert torch.allclose(a.sum(1), torch.ones(3), atol=1e-5)
            assert torch.all(a[~real] == 0)
        assert spy.overrides, "no forward pass on perturbed embeddings"
        for e in spy.overrides:
            d = e - clean.embeddings
            assert d.abs().max() <= 0.02 + 1e-5
            assert torch.all(d[batch.input_ids == 0] == 0)
            assert e.max() > 1.5  # unclamped
        assert (spy.overrides[-1] - clean.embeddings).abs().max() > 0.005  # the adversary
    if method == "attention-rp":  # random noise: no gradient step, a single noisy decode
        assert len(perturbed_att) == 1


# ------------------------------------------------------------------ training


def toy_split(n=48, seed=0, prefix="train"):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        words = rng.integers(6, 30, size=rng.integers(3, 9)).tolist()
        label = int(i % 2)
        words[0] = 4 if label else 5  # a signal word
        rows.append({"example_id": f"{prefix}-{i:03d}", "text": " ".join(map(str, words)),
                     "tokens": [str(w) for w in words], "token_ids": [2, *words, 3],
                     "label": label})
    return pd.DataFrame(rows)


def targets(model, df):
    return run_split(model, list(df["token_ids"]), 16, "cpu")


@pytest.mark.parametrize("method", list(OBJECTIVES))
def test_every_method_trains_and_logs(method, tmp_path):
    train_df, dev_df = toy_split(32), toy_split(12, 1, "dev")
    van = tiny_model(seed=5)
    cfg = SeatTrainConfig(epochs=2, embedding_pgd=AttackConfig(radius=0.01, steps=1,
                                                               projection="none"))
    torch.manual_seed(0)
    model = tiny_model(seed=0).train()
    state, epochs, best = train_seat(model, method, train_df, dev_df, targets(van, train_df),
                                     targets(van, dev_df), TrainConfig(batch_size=8), cfg, 3,
                                     "cpu", {"dataset": "toy", "encoder": "bilstm",
                                             "method": method, "seed": 3})
    assert list(epochs["epoch"]) == [0, 1] and epochs["selected"].sum() == 1
    assert 0 <= best <= 1 and set(state) == set(model.state_dict())
    assert epochs["train_topk_overlap"].between(0, 1).all()
    write_table(epochs, tmp_path / "e.parquet", "seat_epochs")


def test_training_is_deterministic():
    train_df, dev_df = toy_split(24), toy_split(8, 1, "dev")
    van = tiny_model(seed=5)
    states = []
    for _ in range(2):
        model = tiny_model(seed=0).train()
        state, _, _ = train_seat(model, "seat", train_df, dev_df, targets(van, train_df),
                                 targets(van, dev_df), TrainConfig(batch_size=8),
                                 SeatTrainConfig(epochs=1), 7, "cpu")
        states.append(state)
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])


def test_seat_needs_vanilla_targets():
    batch = seat_batch()
    batch.vanilla_probs = None
    with pytest.raises(ValueError, match="vanilla model's predictions"):
        OBJECTIVES["seat"](tiny_model(), batch, SeatTrainConfig(), "sum")


def test_config_errors_name_the_key():
    with pytest.raises(ValueError, match="seat.train.attention_pgd: unknown key"):
        SeatTrainConfig.from_dict({"attention_pgd": {"radus": 0.1}})
    with pytest.raises(ValueError, match="seat.train.init"):
        SeatTrainConfig.from_dict({"init": "warm"})
    cfg = SeatTrainConfig.from_dict({"embedding_pgd": {"steps": 2}})
    assert cfg.embedding_pgd.radius == 0.01 and cfg.embedding_pgd.projection == "none"
    assert SeatEvalConfig(radius=0.01, radii=(0.1, 0.05)).all_radii == [0.01, 0.05, 0.1]
    cfg = SeatTrainConfig(epochs=6, baseline_epochs=3)
    assert [cfg.epochs_for(m) for m in ("seat", "seat-released", "word-at")] == [6, 6, 3]
    assert SeatTrainConfig(epochs=4).epochs_for("attention-rp") == 4


# ------------------------------------------------------------------ evaluation


def test_erasure_is_per_instance_not_the_batch_union():
    model = tiny_model(seed=3)
    ids = [[2, 5, 6, 7, 8, 9, 3], [2, 10, 11, 12, 13, 14, 15, 3], [2, 16, 3]]
    comp, suff = erasure(model, ids, 2, 8, "cpu")
    from seatlib.batching import pad_batch
    from seatlib.models.base import probabilities

    for i, row in enumerate(ids):  # one instance at a time, by hand
        x, real = pad_batch([row])
        with torch.no_grad():
            out = model(x, real)
            p = probabilities(out.logits)
            n_words = len(row) - 2
            top = out.attention[0].masked_fill(~real[0], -1).argsort(descending=True)[
                : min(2, n_words)]
            keep = torch.ones(len(row), dtype=torch.bool)
            keep[top] = False
            e = out.embeddings
            p_without = probabilities(model(x, real, embedding_override=e * keep[None, :, None])
                                      .logits)
            only = (~keep) | ~real[0]
            p_only = probabilities(model(x, real, embedding_override=e * only[None, :, None])
                                   .logits)
        assert comp[i] == pytest.approx(tvd(p, p_without).item(), abs=1e-6)
        assert suff[i] == pytest.approx(tvd(p, p_only).item(), abs=1e-6)
    assert suff[2] == pytest.approx(0.0, abs=1e-7)  # one word: keeping the top 2 keeps all


def test_embedding_stability_rows_and_radius_order():
    model = tiny_model(seed=4)
    ids = [[2, 5, 6, 7, 3], [2, 8, 9, 3], [2, 10, 3]]
    ecfg = SeatEvalConfig(radius=0.5, radii=(0.5, 0.001), steps=5, batch_size=2)
    df = embedding_stability(model, ids, [0.001, 0.5], ecfg, "cpu")
    assert len(df) == 6 and sorted(df["row"].unique()) == [0, 1, 2]
    by_r = df.groupby("radius")["tvd"].mean()
    assert by_r[0.5] > by_r[0.001] >= 0
    assert not model.training


def test_evaluate_model_means_per_instance(tmp_path):
    model, van = tiny_model(seed=6), tiny_model(seed=7)
    test = toy_split(10, 2, "test")
    nb = np.full(30, -1)
    nb[6:30] = np.r_[7:30, 6]  # every word has a "neighbour"
    sub = substitution_frame(test, [str(i) for i in range(30)], nb, 2, 0)
    _, van_att = targets(van, test)
    ecfg = SeatEvalConfig(radius=0.05, radii=(0.1, 0.05), steps=2, max_examples=6,
                          batch_size=4)
    meta = {"dataset": "toy", "encoder": "bilstm", "method": "seat", "seed": 1}
    summary, inst, pert = evaluate_model(model, test, van_att, sub, ecfg, 3, "cpu", meta)
    assert len(inst) == 10 and len(pert) == 6 * 2
    s = summary.iloc[0]
    assert s["comp"] == pytest.approx(inst["comp"].mean())
    assert s["topk_overlap"] == pytest.approx(inst["topk_overlap"].mean())
    at = pert[np.isclose(pert["radius"], 0.05)]
    assert s["tvd"] == pytest.approx(at["tvd"].mean()) and s["jsd"] == pytest.approx(
        at["jsd"].mean())
    mean_tvd = pert.groupby("radius")["tvd"].mean()
    assert s["sens"] == pytest.approx((0.05 * mean_tvd[0.1] + 0.025 * mean_tvd[0.05]) / 2)
    assert s["subst_tvd"] == pytest.approx(inst.loc[inst["subst_n"] > 0, "subst_tvd"].mean())
    for name, df in (("seat_summary", summary), ("seat_instances", inst),
                     ("seat_perturbation", pert)):
        write_table(df, tmp_path / f"{name}.parquet", name)
    # the vanilla model agrees with itself
    s_van, _, _ = evaluate_model(van, test, van_att, sub, ecfg, 3, "cpu", meta)
    assert s_van["topk_overlap"].iat[0] == pytest.approx(1.0)


# ------------------------------------------------------------------ substitution


def test_nearest_neighbours_by_hand():
    m = np.zeros((9, 2), dtype=np.float32)
    m[4], m[5], m[6], m[7] = [1, 0], [0.9, 0.1], [0, 1], [-1, 0]
    has = np.zeros(9, bool)
    has[4:8] = True
    nb = nearest_neighbours(m, has, chunk=3)
    assert nb.tolist() == [-1, -1, -1, -1, 5, 4, 5, 6, -1]


def test_substitute_replaces_n_eligible_words_reproducibly():
    nb = np.array([-1, -1, -1, -1, 5, 4, 5, 6, -1])
    rows = [[2, 4, 8, 6, 7, 3], [2, 8, 4, 3], [2, 8, 3]]
    a = substitute(rows, nb, 2, np.random.default_rng(0))
    b = substitute(rows, nb, 2, np.random.default_rng(0))
    assert a["n_changed"].tolist() == [2, 1, 0]
    for t, pos, t0 in zip(a["token_ids"], a["positions"], rows, strict=True):
        t0 = np.asarray(t0)
        changed = np.flatnonzero(t != t0)
        assert sorted(changed) == sorted(pos)
        assert np.all(t[pos] == nb[t0[pos]]) and t[0] == 2 and t[-1] == 3
    assert all(np.array_equal(x, y) for x, y in zip(a["token_ids"], b["token_ids"],
                                                     strict=True))
    assert a["token_ids"][1].tolist() == [2, 8, 5, 3]


# ------------------------------------------------------------------ steps (the rules' jobs)


def job(rule, inputs, outputs, params, wildcards=None, threads=1):
    """What scripts/step.py hands a steps function: Snakemake's job, here a namespace."""
    ns = SimpleNamespace
    return ns(rule=rule, input=inputs, output=outputs, params=ns(**params),
              wildcards=ns(**(wildcards or {})), threads=threads, log=[], resources=ns())


def test_substitution_step_takes_the_glove_neighbours(monkeypatch, tmp_path):
    from seatlib.data.text import SPECIALS
    from seatlib.seat import steps

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(12)]
    vectors = rng.normal(size=(len(words), 5)).astype(np.float32)
    monkeypatch.setattr("seatlib.embeddings.load_glove_6b_50d", lambda: (words, vectors))
    vocab = [*SPECIALS, *words[:10]]  # w10, w11 are not in the vocabulary
    (tmp_path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    test = toy_split(20, 3, "test")
    test["token_ids"] = [[2, *(4 + rng.integers(0, 10, size=4)).tolist(), 3] for _ in range(20)]
    write_table(test, tmp_path / "test.parquet", "split")
    out = tmp_path / "subst.parquet"
    steps.seat_substitutions(job("seat_substitutions",
                                 SimpleNamespace(split=tmp_path / "test.parquet",
                                                 vocab=tmp_path / "vocab.txt"),
                                 [out], {"n_words": 2, "seed": 0}))
    sub = read_table(out, "seat_substitutions")
    unit = vectors[:10] / np.linalg.norm(vectors[:10], axis=1, keepdims=True)
    cos = unit @ unit.T
    np.fill_diagonal(cos, -np.inf)
    nearest = {words[i]: words[j] for i, j in enumerate(cos.argmax(1))}  # by hand
    assert (sub["n_changed"] == 2).all()
    for row in sub.itertuples():
        assert [nearest[w] for w in row.original] == list(row.replacement)


def save_tiny(model, folder):
    from seatlib.checkpoint import save_model

    folder.mkdir(parents=True, exist_ok=True)
    save_model(model, folder / "model.safetensors", folder / "config.json")
    return folder / "model.safetensors", folder / "config.json"


def test_train_and_evaluate_steps_take_the_job(tmp_path):
    import json

    from safetensors.torch import load_file

    from seatlib.seat import steps

    splits = {"train": toy_split(24), "dev": toy_split(8, 1, "dev"),
              "test": toy_split(10, 2, "test")}
    for name, df in splits.items():
        write_table(df, tmp_path / f"{name}.parquet", "split")
    van = tiny_model(seed=5)
    van_w, van_c = save_tiny(van, tmp_path / "vanilla")
    model_dir = tmp_path / "word-at"
    train = {"batch_size": 8}
    seat = {"epochs": 1, "embedding_pgd": {"steps": 1}}
    wildcards = {"dataset": "toy", "encoder": "bilstm", "method": "word-at", "seed": "3"}
    steps.seat_train(job("seat_train", SimpleNamespace(
        train=tmp_path / "train.parquet", dev=tmp_path / "dev.parquet", vanilla_weights=van_w,
        vanilla_config=van_c, embeddings=[]), SimpleNamespace(
        weights=model_dir / "model.safetensors", config=model_dir / "config.json",
        epochs=model_dir / "epochs.parquet"), {"train": train, "seat": seat, "device": "cpu"},
        wildcards))
    # the same as the library called directly: initial weights drawn from torch's seed 3
    torch.manual_seed(3)
    model = tiny_model(seed=3).train()
    state, frame, best = train_seat(model, "word-at", splits["train"], splits["dev"],
                                    targets(van, splits["train"]), targets(van, splits["dev"]),
                                    TrainConfig(batch_size=8), SeatTrainConfig.from_dict(seat),
                                    3, "cpu")
    saved = load_file(str(model_dir / "model.safetensors"))
    assert set(saved) == set(state) and all(torch.equal(saved[k], state[k]) for k in state)
    epochs = pd.read_parquet(model_dir / "epochs.parquet")
    assert epochs["train_loss"].tolist() == frame["train_loss"].tolist()
    assert epochs["method"].tolist() == ["word-at"] and epochs["seed"].tolist() == [3]
    cfg = json.loads((model_dir / "config.json").read_text())
    assert cfg["selected_epoch"] == best == 0 and cfg["method"] == "word-at"

    ev = tmp_path / "eval"
    ecfg = {"radius": 0.05, "radii": [0.1, 0.05], "steps": 2, "max_examples": 4}
    subst = toy_split(10, 2, "test")[["example_id", "token_ids"]].assign(
        positions=[[] for _ in range(10)], original=[[] for _ in range(10)],
        replacement=[[] for _ in range(10)], n_changed=0)
    write_table(subst, tmp_path / "subst.parquet", "seat_substitutions")
    outputs = SimpleNamespace(summary=ev / "summary.parquet", instances=ev / "instances.parquet",
                              perturbation=ev / "perturbation.parquet")
    summary = steps.seat_evaluate(job("seat_evaluate", SimpleNamespace(
        weights=model_dir / "model.safetensors", config=model_dir / "config.json",
        vanilla_weights=van_w, vanilla_config=van_c, test=tmp_path / "test.parquet",
        substitutions=tmp_path / "subst.parquet"), outputs,
        {"eval": ecfg, "topk": 3, "device": "cpu"}, wildcards))
    s = read_table(ev / "summary.parquet", "seat_summary").iloc[0]
    assert s["n_test"] == 10 and s["n_attacked"] == 4 and s["selected_epoch"] == 0
    assert s["n_substituted"] == 0 and s["subst_jsd"] == 0.0
    assert s["macro_f1"] == summary["macro_f1"].iat[0]
    inst = read_table(ev / "instances.parquet", "seat_instances")
    probs, _ = targets(model.eval(), splits["test"])  # the selected (only) epoch's model
    assert np.allclose(np.stack(inst["prob"]), probs.numpy(), atol=1e-6)


def test_seed_stability_by_hand():
    from seatlib.seat.steps import seed_stability_frame

    att = {1: [[0.0, 0.7, 0.2, 0.1, 0.0], [0.0, 1.0, 0.0]],
           2: [[0.0, 0.1, 0.2, 0.7, 0.0], [0.0, 1.0, 0.0]]}
    prob = {1: [[0.9, 0.1], [0.3, 0.7]], 2: [[0.6, 0.4], [0.3, 0.7]]}
    rows = [{"dataset": "toy", "encoder": "bilstm", "method": "seat", "seed": s,
             "example_id": f"e{i}", "attention": np.asarray(att[s][i], np.float32),
             "prob": np.asarray(prob[s][i], np.float32)} for s in (2, 1) for i in (1, 0)]
    frame = seed_stability_frame(pd.DataFrame(rows), k=1)
    assert frame[["seed_a", "seed_b", "n"]].values.tolist() == [[1, 2, 2]]
    a, b = np.array([0.7, 0.2, 0.1]), np.array([0.1, 0.2, 0.7])
    m = (a + b) / 2
    jsd0 = 0.5 * (a * np.log(a / m)).sum() + 0.5 * (b * np.log(b / m)).sum()
    r = frame.iloc[0]
    assert r["attention_jsd"] == pytest.approx(jsd0 / 2, abs=1e-6)  # the second pair agrees
    assert r["prediction_tvd"] == pytest.approx(0.3 / 2, abs=1e-6)
    assert r["topk_overlap"] == pytest.approx(0.5)  # top-1: w1 vs w3; w1 vs w1


def test_attack_helpers_keep_shapes():
    model = tiny_model(seed=8)
    ids, real = tiny_batch()
    with torch.no_grad():
        out = model(ids, real)
    tgt = torch.tensor([[1.0, 0.0]] * 3)
    a = attacks.random_attention(out.attention, real, AttackConfig(radius=0.1), None)
    assert a.shape == out.attention.shape and torch.all((a - out.attention).abs() <= 0.1 + 1e-6)
    e = attacks.iat_embeddings(model, ids, real, out.embeddings, tgt,
                               AttackConfig(radius=0.03, steps=2), IATConfig(3, 0.05))
    assert e.shape == out.embeddings.shape and (e - out.embeddings).abs().max() <= 0.03 + 1e-6
