"""seatlib.fit.fit, checked by hand: one scalar weight that SGD (lr 1) moves by +1 per batch,
scripted dev numbers, and the batch order drawn independently from the same seed."""

import numpy as np
import pytest
import torch
from torch import nn

from seatlib.batching import length_bucketed_batches
from seatlib.fit import fit

LENGTHS = np.array([3, 9, 4, 7, 5, 8, 6, 3, 10, 4])  # 10 instances, batches of 4 -> 3 batches


class Scalar(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))


def run(values, *, seed=0, stats=None, record=None, **kw):
    """Train for len(values) epochs; epoch e's dev number is values[e]. The loss is -w, so with
    SGD at lr 1 the weight is 3 * (e + 1) after epoch e."""
    model = Scalar()
    dev = iter(values)

    def batch_loss(idx):
        if record is not None:
            record.append(idx.tolist())
        return -model.w, (stats(idx) if stats else {})

    def evaluate():
        return {"dev": next(dev), "w_after": model.w.item()}

    kw.setdefault("epochs", len(values))
    return fit(model, LENGTHS, optimizer=torch.optim.SGD(model.parameters(), lr=1.0),
               batch_size=4, length_noise=0.1, seed=seed, batch_loss=batch_loss,
               evaluate=evaluate, select="dev", name="m", **kw)


def test_selection_keeps_the_first_best_epoch_and_its_weights():
    state, frame, best = run([0.5, 0.9, 0.7, 0.9])
    assert best == 1  # the later 0.9 is not strictly better
    assert frame["selected"].tolist() == [False, True, False, False]
    assert frame["w_after"].tolist() == [3.0, 6.0, 9.0, 12.0]
    assert state["w"].item() == 6.0  # the weights of epoch 1, not the last ones
    assert list(frame["epoch"]) == [0, 1, 2, 3]
    assert "seconds" in frame


def test_minimising_selection():
    state, frame, best = run([3.0, 1.0, 2.0], maximize=False)
    assert best == 1 and state["w"].item() == 6.0


def test_first_eligible_skips_early_epochs():
    state, frame, best = run([0.9, 0.5, 0.6], first_eligible=1)
    assert best == 2 and state["w"].item() == 9.0
    # no eligible epoch at all: the last one is kept
    state, frame, best = run([0.9, 0.8], first_eligible=5)
    assert best == 1 and state["w"].item() == 6.0
    assert frame["selected"].tolist() == [False, True]


def test_patience_stops_after_that_many_epochs_without_improvement():
    state, frame, best = run([0.5, 0.6, 0.4, 0.3, 0.9], patience=2)
    assert list(frame["epoch"]) == [0, 1, 2, 3]  # 0.9 at epoch 4 is never reached
    assert best == 1 and state["w"].item() == 6.0
    # epochs before first_eligible do not count towards the patience
    _, frame, best = run([0.1, 0.1, 0.2, 0.1, 0.1], patience=2, first_eligible=2)
    assert list(frame["epoch"]) == [0, 1, 2, 3, 4] and best == 2


def test_batch_mean_keys_divide_by_batches_others_by_instances():
    def stats(idx):
        return {"per_batch": float(len(idx)), "per_instance": 2.0 * len(idx)}

    _, frame, _ = run([0.1, 0.2], stats=stats, batch_mean=["per_batch"])
    assert frame["per_batch"].tolist() == pytest.approx([10 / 3, 10 / 3])  # 4 + 4 + 2 over 3
    assert frame["per_instance"].tolist() == pytest.approx([2.0, 2.0])  # 20 over 10


def test_nan_select_value_is_an_error():
    with pytest.raises(FloatingPointError, match=r"^m: dev is nan at epoch 2$"):
        run([0.5, float("nan"), 0.7])


def test_same_seed_same_batch_order_drawn_from_one_generator():
    first, again, other = [], [], []
    run([0.1, 0.2, 0.3], seed=7, record=first)
    run([0.3, 0.2, 0.1], seed=7, record=again)
    run([0.1, 0.2, 0.3], seed=8, record=other)
    rng = np.random.default_rng(7)
    expected = [b.tolist() for _ in range(3)
                for b in length_bucketed_batches(LENGTHS, 4, 0.1, rng)]
    assert first == again == expected
    assert first != other
    assert sorted(sum(first[:3], [])) == list(range(10))  # each epoch covers every instance
