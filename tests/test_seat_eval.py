"""The batched stability evaluation against independent loops (tiny models made in code)."""

import numpy as np
import pytest
import torch

from seatlib.divergence import jsd_authors, tvd
from seatlib.models.base import probabilities
from seatlib.seat.evaluate import _chunks, embedding_stability
from seatlib.seat.pgd import pgd, random_start
from seatlib.seat.settings import AttackConfig, SeatEvalConfig
from tests.conftest import tiny_model

IDS = [[2, 5, 6, 7, 3], [2, 8, 9, 3], [2, 10, 3], [2, 11, 12, 13, 14, 15, 3], [2, 16, 17, 3]]


def _one_by_one(model, row, radius, steps, start):
    """Plain l-inf PGD from ``start`` on one sentence, written out: x + clip(delta)."""
    x = torch.tensor([row])
    real = torch.zeros_like(x, dtype=torch.bool)
    real[0, 1:-1] = True
    with torch.no_grad():
        clean = model(x, real)
    p = probabilities(clean.logits)
    e = clean.embeddings.detach()
    alpha = 2 * radius / steps
    delta = start[None].clone()
    for p_ in model.parameters():
        p_.requires_grad_(False)
    for _ in range(steps):
        d = delta.clone().requires_grad_(True)
        obj = 0.5 * (probabilities(model(x, real, embedding_override=e + d).logits) - p).abs()
        (g,) = torch.autograd.grad(obj.sum(), d)
        delta = (delta + alpha * g.sign()).clamp(-radius, radius)
    for p_ in model.parameters():
        p_.requires_grad_(True)
    with torch.no_grad():
        adv = model(x, real, embedding_override=e + delta)
    return (float(jsd_authors(clean.attention, adv.attention)),
            float(tvd(p, probabilities(adv.logits))))


def _starts_by_hand(radii, batch_size, seed, dim):
    """The documented draw: length order, batches of batch_size, one uniform (n_r * b, L_b, E)
    draw per batch (radius-major rows), (2u - 1) r on the non-PAD positions."""
    gen = torch.Generator().manual_seed(seed)
    order = np.argsort([len(t) for t in IDS], kind="stable")
    starts = {}
    for s in range(0, len(order), batch_size):
        rows = order[s:s + batch_size]
        n_max = max(len(IDS[i]) for i in rows)
        u = torch.rand((len(radii) * len(rows), n_max, dim), generator=gen)
        for j in range(len(u)):
            inst, radius = int(rows[j % len(rows)]), radii[j // len(rows)]
            starts[inst, radius] = ((2 * u[j] - 1) * radius)[: len(IDS[inst])]
    return starts


def test_stability_equals_one_sentence_one_radius_at_a_time():
    model = tiny_model(seed=11)
    radii = [0.01, 0.3]
    ecfg = SeatEvalConfig(radius=0.3, radii=(0.01, 0.3), steps=4, batch_size=2)
    df = embedding_stability(model, IDS, radii, ecfg, "cpu", max_tokens=9)
    assert len(df) == len(IDS) * len(radii)
    starts = _starts_by_hand(radii, 2, ecfg.seed, model.embedding.embedding_dim)
    for _, r in df.iterrows():
        inst = int(r["row"])
        jsd, tv = _one_by_one(model, IDS[inst], r["radius"], 4, starts[inst, r["radius"]])
        assert r["jsd"] == pytest.approx(jsd, abs=1e-6)
        assert r["tvd"] == pytest.approx(tv, abs=1e-6)
    assert df.groupby("radius")["tvd"].mean()[0.3] > df.groupby("radius")["tvd"].mean()[0.01]


def test_stability_does_not_depend_on_the_chunking_and_is_reproducible():
    model = tiny_model(seed=12)
    ecfg = SeatEvalConfig(radius=0.1, radii=(0.05, 0.1, 0.2), steps=3, batch_size=2)
    a = embedding_stability(model, IDS, ecfg.all_radii, ecfg, "cpu", max_tokens=4)
    b = embedding_stability(model, IDS, ecfg.all_radii, ecfg, "cpu", max_tokens=10_000)
    c = embedding_stability(model, IDS, ecfg.all_radii, ecfg, "cpu", max_tokens=4)
    assert (a[["row", "radius"]].to_numpy() == b[["row", "radius"]].to_numpy()).all()
    np.testing.assert_allclose(a[["jsd", "tvd"]], b[["jsd", "tvd"]], atol=1e-6)
    assert a.equals(c)


def test_chunks_respect_rows_and_tokens():
    lengths = np.array([5, 3, 3, 9, 4, 3])
    chunks = _chunks(lengths, max_rows=2, max_tokens=8)
    assert sorted(np.concatenate(chunks).tolist()) == list(range(6))
    for c in chunks:
        assert len(c) <= 2 and (len(c) == 1 or len(c) * lengths[c].max() <= 8)
    assert [lengths[c].tolist() for c in chunks] == [[3, 3], [3, 4], [5], [9]]


def test_pgd_given_start_equals_drawing_it():
    torch.manual_seed(0)
    x, w = torch.randn(3, 4, 2), torch.randn(3, 4, 2)
    attack = AttackConfig(radius=0.2, steps=3)
    obj = lambda z: (z * w).flatten(1).sum(1) ** 2  # noqa: E731
    drawn = pgd(obj, x, 0.2, attack, generator=torch.Generator().manual_seed(5))
    start = random_start(x, 0.2, "linf", None, torch.Generator().manual_seed(5))
    assert torch.equal(pgd(obj, x, 0.2, attack, start=start), drawn)
