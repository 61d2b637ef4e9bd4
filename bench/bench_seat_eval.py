"""Benchmark: SEAT's stability evaluation (embedding PGD at every radius, ``embedding_stability``)
against its compute floor and two references, in one run.

- stage: ``seatlib.seat.evaluate.embedding_stability`` (random starts drawn per batch as before,
  then every (instance, radius) row attacked in length-sorted chunks);
- floor: rows x steps forward + backward passes plus rows forward passes (the final evaluation)
  at the same model's own throughput (``bench.common.model_throughput``, same run);
- ``_per_batch_reference``: the code before this change (batches of ``batch_size`` instances, each
  repeated over the radii), kept here: the agreement check (max |fast - reference| of the per-row
  JSD and TVD);
- ``_per_radius_loop``: the straightforward loop, one radius at a time over the batches (its
  random starts differ, so it is timed only).

    .venv/bin/python bench/bench_seat_eval.py [--quick] [--n 300]

Writes bench/results/seat_eval.json. Exits non-zero if the agreement fails.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, load_word_model, machine, model_throughput, stage_row, timed  # noqa: E402

from seatlib.batching import pad_batch, sequential_batches  # noqa: E402
from seatlib.divergence import jsd_authors, tvd  # noqa: E402
from seatlib.io import write_json  # noqa: E402
from seatlib.models.base import probabilities  # noqa: E402
from seatlib.seat.attacks import pgd_embeddings  # noqa: E402
from seatlib.seat.evaluate import embedding_stability  # noqa: E402
from seatlib.seat.settings import SeatEvalConfig  # noqa: E402

# PGD takes the sign of the gradient: a float reordering inside the model can flip the sign of
# an entry whose gradient is ~0 and move that entry by 2 x step; the metrics are means of such
# rows, so the check is on the per-row values with a tolerance far below the radius effects
TOLERANCE = 1e-4


def _per_batch_reference(model, token_ids, radii, ecfg, device):
    """The pre-change embedding_stability: batch of b instances -> b x len(radii) rows."""
    model.eval()
    gen = torch.Generator(device=device).manual_seed(ecfg.seed)
    order = np.argsort([len(t) for t in token_ids], kind="stable")
    r = torch.tensor(radii, dtype=torch.float32, device=device)
    attack = ecfg.attack(float(max(radii)))
    parts = []
    for idx in sequential_batches(len(order), ecfg.batch_size):
        rows = order[idx]
        ids, real = pad_batch([token_ids[i] for i in rows], device)
        with torch.no_grad():
            clean = model(ids, real)
        p = probabilities(clean.logits)
        n_r = len(radii)
        ids_r, real_r = ids.repeat(n_r, 1), real.repeat(n_r, 1)
        p_r, att_r = p.repeat(n_r, 1), clean.attention.repeat(n_r, 1)
        e_star = pgd_embeddings(model, ids_r, real_r, clean.embeddings.repeat(n_r, 1, 1), p_r,
                                attack, gen, radius=r.repeat_interleave(len(rows)))
        with torch.no_grad():
            adv = model(ids_r, real_r, embedding_override=e_star)
        parts.append(pd.DataFrame({
            "row": np.tile(rows, n_r), "radius": np.repeat(np.asarray(radii), len(rows)),
            "jsd": jsd_authors(att_r, adv.attention).numpy().astype(np.float64),
            "tvd": tvd(p_r, probabilities(adv.logits)).numpy().astype(np.float64)}))
    return pd.concat(parts, ignore_index=True)


def _per_radius_loop(model, token_ids, radii, ecfg, device):
    """One radius at a time, batch by batch: the straightforward loop."""
    gen = torch.Generator(device=device).manual_seed(ecfg.seed)
    order = np.argsort([len(t) for t in token_ids], kind="stable")
    out = []
    for radius in radii:
        attack = ecfg.attack(float(radius))
        for idx in sequential_batches(len(order), ecfg.batch_size):
            ids, real = pad_batch([token_ids[i] for i in order[idx]], device)
            with torch.no_grad():
                clean = model(ids, real)
            p = probabilities(clean.logits)
            e_star = pgd_embeddings(model, ids, real, clean.embeddings, p, attack, gen)
            with torch.no_grad():
                adv = model(ids, real, embedding_override=e_star)
            out.append(tvd(p, probabilities(adv.logits)))
    return torch.cat(out)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="24 sentences, 3 PGD steps (< 60 s)")
    p.add_argument("--n", type=int, default=300, help="attacked sentences (the default run's)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (the rule's)")
    p.add_argument("--out", default=str(REPO / "bench" / "results" / "seat_eval.json"))
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    n = 24 if args.quick else args.n
    model, df, source = load_word_model("bilstm", "tanh", n=n)
    ecfg = SeatEvalConfig(steps=3 if args.quick else 10, max_examples=n)
    ids = list(df["token_ids"])
    radii = ecfg.all_radii
    rows = len(ids) * len(radii)
    fb = model_throughput(model, ids, backward=True, batch_sizes=(32, 64, 128), repeats=1)
    fw = model_throughput(model, ids, backward=False, batch_sizes=(64, 256), repeats=1)
    fast, sec = timed(embedding_stability, model, ids, radii, ecfg, "cpu")
    ref, ref_sec = timed(_per_batch_reference, model, ids, radii, ecfg, "cpu")
    _, loop_sec = timed(_per_radius_loop, model, ids, radii, ecfg, "cpu")
    key = ["row", "radius"]
    merged = fast.merge(ref, on=key, suffixes=("", "_ref"))
    if len(merged) != len(ref) or len(fast) != len(ref):
        raise SystemExit(f"seat_eval: {len(fast)} fast rows, {len(ref)} reference rows")
    agree = float(max((merged["jsd"] - merged["jsd_ref"]).abs().max(),
                      (merged["tvd"] - merged["tvd_ref"]).abs().max()))
    floor_s = rows * ecfg.steps / fb["per_second"] + rows / fw["per_second"]
    floor_rate = rows * ecfg.steps / floor_s  # floor passes are counted as fb passes
    note = (f"{source}; {len(ids)} sentences x {len(radii)} radii x {ecfg.steps} steps; "
            f"pre-change per-batch code {ref_sec:.1f}s")
    result = {
        "rows": [stage_row("SEAT stability evaluation (embedding PGD, all radii)", sec, rows,
                           "(sentence, radius) rows", rows * ecfg.steps, floor_rate, loop_sec,
                           agree, TOLERANCE, note)],
        "machine": machine(), "source": source, "throughput_fb": fb, "throughput_fwd": fw,
        "reference_seconds": ref_sec, "per_radius_loop_seconds": loop_sec,
        "means": {"fast": fast.groupby("radius")[["jsd", "tvd"]].mean().to_dict(),
                  "reference": ref.groupby("radius")[["jsd", "tvd"]].mean().to_dict()},
    }
    write_json(result, args.out)
    print(result["rows"][0])
    if not result["rows"][0]["agrees"]:
        raise SystemExit(f"seat_eval: agreement {agree:.3g} > tolerance {TOLERANCE}")
    return result


if __name__ == "__main__":
    main()
