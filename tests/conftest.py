import os
from pathlib import Path

import pytest
import torch

from seatlib.batching import pad_batch
from seatlib.models.classifier import ModelConfig, build_model

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


@pytest.fixture(scope="module")
def slurm_cluster():
    """The local one-node SLURM cluster (tools/slurm/local-cluster.sh), up for one test module.

    Skipped where SLURM cannot be installed or started, unless SEATLIB_SLURM=1 (CI), where
    that is a failure. Yields the bring-up time in seconds.
    """
    import subprocess

    import slurm_harness as sh

    ok, reason = sh.slurm_available()
    if not ok:
        if sh.slurm_required():
            pytest.fail(f"SEATLIB_SLURM=1 but SLURM is not available: {reason}")
        pytest.skip(f"SLURM not available: {reason}")
    try:
        bringup_s = sh.ensure_cluster()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        if sh.slurm_required():  # SEATLIB_SLURM=1 (CI): a broken bring-up is a failure
            pytest.fail(f"local SLURM cluster did not come up: {exc}")
        pytest.skip(f"local SLURM cluster could not be brought up: {exc}")
    print(f"\nlocal SLURM cluster ready in {bringup_s:.1f}s")
    yield bringup_s
    sh.teardown_cluster()
