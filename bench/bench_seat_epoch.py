"""Benchmark: the cost of one SEAT training epoch relative to one vanilla epoch, same run.

SEAT's attention adversary re-runs only the decoder on cached hidden states, so an epoch of SEAT
should cost at most about 1.5x an epoch of vanilla training. Both are timed with the same loop
(``seatlib.seat.train.train_seat`` on ``seatlib.fit.fit``, training part only; "vanilla" is
the JW recipe's BCE), in alternating order, ``--repeats`` times; the foundation's own
``seatlib.train.train_model`` epoch is timed as a reference. Add methods with
``--methods``.

    .venv/bin/python bench/bench_seat_epoch.py            # SST from results/data/prepared/sst
    .venv/bin/python bench/bench_seat_epoch.py --methods vanilla,seat,attention-at,word-at

Writes bench/results/seat_epoch.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import RESULTS, machine, model_throughput, stage_row  # noqa: E402
from seatlib.checkpoint import load_model  # noqa: E402
from seatlib.device import resolve_device, seed_everything  # noqa: E402
from seatlib.embeddings import load_embeddings  # noqa: E402
from seatlib.io import write_json  # noqa: E402
from seatlib.models.classifier import ModelConfig, build_model  # noqa: E402
from seatlib.predict import run_split  # noqa: E402
from seatlib.schema import read_table  # noqa: E402
from seatlib.seat.settings import SeatTrainConfig  # noqa: E402
from seatlib.seat.train import train_seat  # noqa: E402
from seatlib.train import TrainConfig, train_model  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    data = RESULTS / "data" / "prepared" / "sst"  # SEAT_BENCH_RESULTS, else results/
    model = RESULTS / "models" / "sst" / "bilstm-tanh" / "seed1"
    p.add_argument("--train", default=str(data / "train.parquet"))
    p.add_argument("--dev", default=str(data / "dev.parquet"))
    p.add_argument("--embeddings", default=str(data / "embeddings.safetensors"))
    p.add_argument("--vanilla", default=str(model),
                   help="folder of the vanilla model (targets); a fresh model if absent")
    p.add_argument("--encoder", default="bilstm")
    p.add_argument("--methods", default="vanilla,seat")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-examples", type=int, default=None,
                   help="first N train examples (default all)")
    p.add_argument("--dev-examples", type=int, default=64)
    p.add_argument("--device", default="cpu")
    p.add_argument("--quick", action="store_true", help="256 train examples, one repeat")
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "seat_epoch.json"))
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.quick:
        args.max_examples, args.repeats, args.dev_examples = 256, 1, 64
    device = resolve_device(args.device)
    seed_everything(0, args.threads)
    train_df = read_table(args.train, "split")
    if args.max_examples:
        train_df = train_df.sample(n=min(args.max_examples, len(train_df)), random_state=0)
    dev_df = read_table(args.dev, "split").iloc[: args.dev_examples]
    matrix = load_embeddings(args.embeddings) if Path(args.embeddings).exists() else None
    vdir = Path(args.vanilla)
    if (vdir / "model.safetensors").exists():
        vanilla, vcfg = load_model(vdir / "model.safetensors", vdir / "config.json", device)
        mcfg = ModelConfig(**vcfg["model"])
    else:
        mcfg = ModelConfig(vocab_size=len(matrix) if matrix is not None else 20000,
                           embed_dim=matrix.shape[1] if matrix is not None else 50,
                           encoder=args.encoder)
        vanilla = build_model(mcfg, matrix).to(device).eval()
    tcfg = TrainConfig()
    scfg = SeatTrainConfig()  # paper values: R 0.001, 10 attention-PGD steps, K 7
    targets_train = run_split(vanilla, list(train_df["token_ids"]), 256, device)
    targets_dev = run_split(vanilla, list(dev_df["token_ids"]), 256, device)
    methods = args.methods.split(",")
    load_start = os.getloadavg()
    seconds: dict[str, list[float]] = {m: [] for m in methods}
    seconds["foundation_train_model"] = []
    for rep in range(args.repeats):
        order = methods if rep % 2 == 0 else methods[::-1]
        for method in order:
            torch.manual_seed(rep)
            model = build_model(mcfg, matrix)
            _, epochs, _ = train_seat(model, method, train_df, dev_df, targets_train,
                                      targets_dev, tcfg, scfg, rep, device, epochs=1)
            seconds[method].append(float(epochs["train_seconds"].iat[0]))
            print(f"repeat {rep + 1}: {method} {seconds[method][-1]:.2f}s", flush=True)
        torch.manual_seed(rep)
        model = build_model(mcfg, matrix)
        start = time.perf_counter()
        # one dev example per class: the loop's dev ROC-AUC must be finite
        train_model(model, train_df, dev_df.groupby("label").head(1), TrainConfig(epochs=1), rep,
                    device)
        seconds["foundation_train_model"].append(time.perf_counter() - start)
    med = {m: statistics.median(v) for m, v in seconds.items()}
    ratios = {m: [s / v for s, v in zip(seconds[m], seconds["vanilla"], strict=True)]
              for m in methods if m != "vanilla"} if "vanilla" in methods else {}
    result = {
        "what": "seconds of one training epoch (training loop only), same run, alternating",
        "n_train": len(train_df), "batch_size": tcfg.batch_size, "threads": args.threads,
        "device": str(device), "torch": torch.__version__, "cpu": platform.processor()
        or platform.machine(), "cpu_count": os.cpu_count(),
        "loadavg_start": load_start, "loadavg_end": os.getloadavg(),
        "seat_config": {"attention_pgd_steps": scfg.attention_pgd.steps,
                        "attention_pgd_radius": scfg.attention_pgd.radius, "topk": scfg.topk},
        "seconds": seconds, "median_seconds": med,
        "ratio_to_vanilla": {m: statistics.median(r) for m, r in ratios.items()},
        "ratio_to_vanilla_each_repeat": ratios,
    }
    if "seat" in result["ratio_to_vanilla"]:
        result["seat_over_vanilla"] = result["ratio_to_vanilla"]["seat"]
        result["seat_within_1_5x"] = result["seat_over_vanilla"] <= 1.5
    # the floor: forward + backward passes per training sentence at the model's own rate
    # (clean pass; embedding adversaries add steps input-gradient passes and the adversarial
    # pass; attention adversaries re-run only the decoder, ~0 passes)
    fb = model_throughput(vanilla, list(train_df["token_ids"])[:512], backward=True,
                          batch_sizes=(32, 64), repeats=1, device=device)
    emb_passes = 1 + scfg.embedding_pgd.steps + 1
    passes = {"word-at": emb_passes, "word-iat": emb_passes, "seat-released": emb_passes}
    result["throughput_fb"] = fb
    result["rows"] = [stage_row(f"SEAT-track training epoch ({m})", med[m], len(train_df),
                                "sentences", passes.get(m, 1) * len(train_df), fb["per_second"],
                                None, None, None,
                                f"{passes.get(m, 1)} fb passes per sentence")
                      for m in methods]
    result["machine"] = machine()
    write_json(result, args.out)
    print({k: result[k] for k in ("median_seconds", "ratio_to_vanilla")})
    return result


if __name__ == "__main__":
    main()
