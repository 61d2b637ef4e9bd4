"""What every benchmark shares: the inputs, the compute floor, and one result-row shape.

A benchmark ``bench/bench_<name>.py`` has ``main(argv=None) -> dict`` and writes
``bench/results/<name>.json`` with ``{"rows": [row, ...], ...}``, one row per heavy stage made by
:func:`stage_row`. ``bench/run_all.py`` (``make bench``) runs them all in one process and
writes ``bench/results.md`` and ``bench/results.json`` from the rows.

The **compute floor** of a stage is the time the same model needs for the plain passes the
method does: ``passes / throughput``, where the throughput is the model's own forward (or forward
+ backward) sentences per second at its best batch size, measured in the same run on
length-sorted batches (:func:`model_throughput`). ``floor_ratio = stage seconds / floor
seconds``: 1.0 means the stage costs exactly its passes; the goal is <= 1.5.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from seatlib.batching import pad_batch  # noqa: E402

# the default run's results (set SEAT_BENCH_RESULTS to use another run's folder)
RESULTS = Path(os.environ.get("SEAT_BENCH_RESULTS", REPO / "results"))
MODEL_ROOT = RESULTS / "models/sst"
SPLIT_ROOT = RESULTS / "data/prepared/sst"


def sst_like_split(n: int, seed: int = 0, vocab: int = 5000, min_len: int = 5,
                   max_len: int = 45) -> pd.DataFrame:
    """``n`` random sentences of SST-like lengths as a split table (``[SOS] ids [EOS]``)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_len, max_len, n)
    rows = [[2, *rng.integers(4, vocab, k).tolist(), 3] for k in lengths]
    return pd.DataFrame({"example_id": [f"r{i}" for i in range(n)], "text": "",
                         "tokens": [["w"] * k for k in lengths], "token_ids": rows,
                         "label": rng.integers(0, 2, n)})


def load_word_model(encoder: str = "bilstm", attention: str = "tanh", n: int = 300,
                    split: str = "test"):
    """(model, split frame, source) : the trained SST model and prepared split when the
    default run has made them, else a random model of the same size on random sentences."""
    from seatlib.models.classifier import ModelConfig, build_model

    folder = MODEL_ROOT / f"{encoder}-{attention}" / "seed1"
    table = SPLIT_ROOT / f"{split}.parquet"
    if (folder / "model.safetensors").exists() and table.exists():
        from seatlib.checkpoint import load_model
        from seatlib.schema import read_table

        model, _ = load_model(folder / "model.safetensors", folder / "config.json")
        df = read_table(table, "split").head(n).reset_index(drop=True)
        return model.eval(), df, f"sst {split}, {encoder}-{attention} seed1"
    torch.manual_seed(0)
    cfg = ModelConfig(vocab_size=5000, embed_dim=50, encoder=encoder, attention=attention)
    model = build_model(cfg).eval()
    return model, sst_like_split(n), f"random {encoder}-{attention} (vocab 5000, 50-d)"


def timed(fn, *args, repeats: int = 1, **kwargs):
    """(result of the last call, best wall seconds over ``repeats`` calls)."""
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return out, best


def model_throughput(model, token_ids, backward: bool, batch_sizes=(32, 64, 128, 256),
                     repeats: int = 2, device="cpu") -> dict:
    """The model's own sentences/s over ``token_ids`` at its best batch size: length-sorted
    batches, a plain forward (``torch.no_grad``) or forward + backward of the summed logits
    with respect to the parameters and the embeddings. Returns ``{"per_second", "batch_size",
    "backward"}``."""
    order = np.argsort([len(t) for t in token_ids], kind="stable")
    rows = [token_ids[i] for i in order]
    best = {"per_second": 0.0, "batch_size": None, "backward": backward}
    for bs in batch_sizes:
        batches = [pad_batch(rows[i:i + bs], device) for i in range(0, len(rows), bs)]

        def run(batches=batches):
            for ids, mask in batches:
                if backward:
                    emb = model.embedding(ids).detach().requires_grad_(True) \
                        if hasattr(model, "embedding") else None
                    out = model(ids, mask, embedding_override=emb)
                    out.logits.sum().backward()
                    model.zero_grad(set_to_none=True)
                else:
                    with torch.no_grad():
                        model(ids, mask)

        run()  # warm-up
        _, seconds = timed(run, repeats=repeats)
        rate = len(rows) / seconds
        if rate > best["per_second"]:
            best = {"per_second": rate, "batch_size": bs, "backward": backward}
    return best


def stage_row(stage: str, seconds: float, items: int, unit: str, floor_passes: float | None,
              floor_rate: float | None, loop_seconds: float | None, agreement: float | None,
              tolerance: float | None, note: str = "") -> dict:
    """One result row. ``floor_passes`` sentence passes at ``floor_rate`` sentences/s give the
    floor; ``loop_seconds`` is the straightforward loop doing the same work (None: not run);
    ``agreement`` the max |fast - reference| (None: no reference), which must be <=
    ``tolerance``."""
    floor = None if not floor_passes or not floor_rate else floor_passes / floor_rate
    ok = None if agreement is None or tolerance is None else bool(agreement <= tolerance)
    return {
        "stage": stage, "items": int(items), "unit": unit, "seconds": round(seconds, 4),
        "per_second": round(items / seconds, 2) if seconds > 0 else None,
        "floor_seconds": None if floor is None else round(floor, 4),
        "floor_ratio": None if floor is None else round(seconds / floor, 2),
        "loop_seconds": None if loop_seconds is None else round(loop_seconds, 4),
        "loop_speedup": None if loop_seconds is None else round(loop_seconds / seconds, 2),
        "agreement": agreement, "tolerance": tolerance, "agrees": ok, "note": note,
    }


def machine() -> dict:
    return {"torch": torch.__version__, "machine": platform.platform(),
            "threads": torch.get_num_threads()}
