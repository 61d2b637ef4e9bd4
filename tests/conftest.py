import os
from pathlib import Path

import pytest
import torch

from seatlib.batching import pad_batch
from seatlib.models import ModelConfig, build_model

REPO = Path(__file__).resolve().parents[1]
MIRROR = REPO.parent / "shared" / "data"


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def mirror() -> Path:
    if not MIRROR.is_dir():
        pytest.skip(f"no data mirror at {MIRROR}")
    return MIRROR


@pytest.fixture(autouse=True)
def _no_mirror_env(monkeypatch):
    """Tests decide themselves whether a mirror is used."""
    monkeypatch.delenv("SEAT_DATA_MIRROR", raising=False)


def tiny_model(encoder="bilstm", attention="tanh", seed=0, vocab_size=30, embed_dim=8,
               hidden_size=12, n_classes=2):
    torch.manual_seed(seed)
    cfg = ModelConfig(vocab_size=vocab_size, embed_dim=embed_dim, encoder=encoder,
                      attention=attention, hidden_size=hidden_size, n_classes=n_classes)
    return build_model(cfg).eval()


def tiny_batch():
    """Three sequences [SOS] w.. [EOS] of different lengths, padded."""
    rows = [[2, 5, 6, 7, 8, 3], [2, 9, 10, 3], [2, 11, 3]]
    return pad_batch(rows)


os.environ.setdefault("PYTHONHASHSEED", "0")
