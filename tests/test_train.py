import numpy as np
import pandas as pd
import pytest
import torch

from seatlib.batching import length_bucketed_batches
from seatlib.checkpoint import load_model, save_model
from seatlib.device import resolve_device, seed_everything
from seatlib.metrics import classification_scores, roc_auc
from seatlib.predict import predict_split
from seatlib.train import TrainConfig, classification_loss, positive_weight, train_model
from tests.conftest import tiny_model


def synthetic_split(n, seed):
    """Word 4 means positive, word 5 negative, among noise words 6..29."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = int(rng.integers(0, 2))
        words = list(rng.integers(6, 30, size=int(rng.integers(2, 8))))
        words.insert(int(rng.integers(0, len(words))), 4 if label else 5)
        ids = [2, *map(int, words), 3]
        rows.append({"example_id": f"s{i}", "text": " ".join(map(str, words)),
                     "tokens": [str(w) for w in words], "token_ids": ids, "label": label})
    return pd.DataFrame(rows)


def run_training(seed=3, epochs=3, lr=1e-3):
    seed_everything(seed, threads=1)
    model = tiny_model("bilstm", "tanh", seed=seed)
    cfg = TrainConfig(epochs=epochs, batch_size=8, lr=lr)
    state, metrics, best = train_model(model, synthetic_split(96, 0), synthetic_split(32, 1),
                                       cfg, seed, torch.device("cpu"),
                                       {"dataset": "toy", "model": "m", "seed": seed})
    return model, state, metrics, best


def test_training_learns_and_selects_on_dev():
    model, state, metrics, best = run_training(epochs=6, lr=0.02)
    assert metrics["dev_accuracy"].max() > 0.9
    assert metrics["selected"].sum() == 1
    assert metrics.loc[metrics["selected"], "epoch"].item() == best
    assert metrics.loc[best, "dev_roc_auc"] == metrics["dev_roc_auc"].max()


def test_same_seed_same_bytes_different_seed_differs():
    _, s1, m1, _ = run_training(seed=3)
    _, s2, m2, _ = run_training(seed=3)
    _, s3, _, _ = run_training(seed=4)
    for k in s1:
        assert torch.equal(s1[k], s2[k]), k
    assert m1.drop(columns="seconds").equals(m2.drop(columns="seconds"))
    assert any(not torch.equal(s1[k], s3[k]) for k in s1)


def test_checkpoint_round_trip(tmp_path):
    model, state, _, _ = run_training(epochs=1)
    model.load_state_dict(state)
    save_model(model, tmp_path / "m.safetensors", tmp_path / "c.json", {"seed": 3})
    loaded, cfg = load_model(tmp_path / "m.safetensors", tmp_path / "c.json")
    dev = synthetic_split(10, 5)
    meta = {"dataset": "toy", "model": "m", "seed": 3}
    a = predict_split(model, dev, meta, "test", "cpu")
    b = predict_split(loaded, dev, meta, "test", "cpu")
    assert cfg["seed"] == 3
    assert np.array_equal(np.stack(a["prob"]), np.stack(b["prob"]))
    assert all(len(t) == len(w) for t, w in zip(a["tokens"], a["attention"], strict=True))
    assert np.allclose([w.sum() for w in a["attention"]], 1, atol=1e-5)


def test_loading_weights_of_another_model_is_an_error(tmp_path):
    small, big = tiny_model(hidden_size=12), tiny_model(hidden_size=16)
    save_model(small, tmp_path / "m.safetensors", tmp_path / "c.json")
    save_model(big, tmp_path / "b.safetensors", tmp_path / "b.json")
    with pytest.raises(ValueError) as err:  # checked before loading, naming both files
        load_model(tmp_path / "m.safetensors", tmp_path / "b.json")
    assert str(err.value) == (
        f"{tmp_path / 'm.safetensors'}: tensor 'encoder.lstm.weight_ih_l0' has shape [48, 8], "
        f"but the model of {tmp_path / 'b.json'} (bilstm, hidden_size 16, vocab_size 30, "
        "n_classes 2) needs [64, 8]")


def test_metrics_match_hand_computed_values():
    y = np.array([1, 0, 1, 1, 0])
    probs = np.array([[0.2, 0.8], [0.6, 0.4], [0.7, 0.3], [0.1, 0.9], [0.3, 0.7]])
    s = classification_scores(y, probs)  # preds 1 0 0 1 1: tp 2, fp 1, fn 1, tn 1
    assert s["accuracy"] == pytest.approx(0.6)
    assert s["f1"] == pytest.approx(2 / 3)
    assert s["macro_f1"] == pytest.approx((2 / 3 + 0.5) / 2)
    assert s["roc_auc"] == pytest.approx(4 / 6)  # pairs (pos > neg): 0.8>0.4, 0.8>0.7...
    assert roc_auc(np.array([0, 1]), np.array([0.5, 0.5])) == 0.5


def test_class_weight_and_summed_loss():
    labels = np.array([1, 0, 0, 0])
    assert positive_weight(labels, "balanced") == 3.0
    assert positive_weight(labels, "none") == 1.0
    logits = torch.zeros(4, 1)
    y = torch.tensor([1, 0, 0, 0])
    summed = classification_loss(logits, y, 3.0, "sum")
    assert summed.item() == pytest.approx(np.log(2) * (3 + 1 + 1 + 1))
    assert classification_loss(logits, y, 3.0, "mean").item() == pytest.approx(summed.item() / 4)


def test_length_buckets_cover_everything_once():
    lengths = np.arange(100) % 17 + 3
    batches = length_bucketed_batches(lengths, 8, 0.1, np.random.default_rng(0))
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(100))
    assert max(np.ptp(lengths[b]) for b in batches) <= 4


def test_device_selection(monkeypatch):
    assert resolve_device("cpu").type == "cpu"
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    for available, name in ((True, "cuda"), (False, "cpu")):  # both branches, on any machine
        with monkeypatch.context() as m:
            m.setattr(torch.cuda, "is_available", lambda a=available: a)
            assert resolve_device("auto").type == name
    with pytest.raises(ValueError, match="device 'tpu' is unknown"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="device 'cuda' was asked for"):
            resolve_device("cuda")
