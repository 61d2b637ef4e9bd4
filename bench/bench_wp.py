"""Benchmark: Wiegreffe & Pinter's model-consistent adversary training against its floor.

One row per stage, measured in one process on the same model:

- ``wp adversary epoch``: ``train_consistent_adversary`` (the shared ``fit`` loop with WP's
  objective TVD/2 - lambda KL against the base model's targets) for ``--epochs`` epochs on
  ``--train`` sentences, with the per-epoch dev evaluation on ``--dev`` sentences. Floor: the
  passes it needs at the model's own throughput (``bench.common.model_throughput``): per epoch
  one forward + backward per train sentence and one forward per dev sentence.
- ``wp base targets``: the base model's probabilities and attention on train + dev (each
  ``wp_adversary`` job computes them once). Floor: one forward per sentence.

The straightforward loop is written here without the library's loss or loop: the same batch
order (JW's length-bucketed batches from the same seed), the objective computed directly
(1/2 |p_1 - t_1| - lambda sum_t a_t ln(a_t / max(b_t, 1e-10)) over the real tokens), backward,
the same Adam groups; plus the dev pass per epoch. Agreement: max |weight difference| after
training, both models starting from the same initialisation.

    .venv/bin/python bench/bench_wp.py [--quick] [--train 2000] [--dev 400] [--epochs 1]

Uses the trained SST bilstm-tanh as the base model when ``SEAT_BENCH_RESULTS`` (or ./results)
has it, else a random model of the same size. Writes bench/results/wp.json; exits 1 if
agreement fails.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import (  # noqa: E402
    load_word_model,
    machine,
    model_throughput,
    sst_like_split,
    stage_row,
    timed,
)
from seatlib.batching import length_bucketed_batches, pad_batch  # noqa: E402
from seatlib.io import write_json  # noqa: E402
from seatlib.models.classifier import build_model  # noqa: E402
from seatlib.predict import run_model  # noqa: E402
from seatlib.train import TrainConfig, make_optimizer  # noqa: E402
from seatlib.wp.consistent_adversary import (  # noqa: E402
    AdversaryConfig,
    base_targets,
    train_consistent_adversary,
)

WEIGHT_TOL = 1e-4  # max |weight difference| after training, library vs plain loop
LAM = 1e-3


def plain_loop(model, train_ids, dev_ids, t_probs, t_attn, cfg: TrainConfig, epochs, seed):
    """JW's batch order, WP's objective written out, Adam; a dev forward pass per epoch."""
    optim = make_optimizer(model, cfg)
    rng = np.random.default_rng(seed)
    lengths = np.array([len(t) for t in train_ids])
    for _ in range(epochs):
        model.train()
        for idx in length_bucketed_batches(lengths, cfg.batch_size, cfg.length_noise, rng):
            ids, real = pad_batch([train_ids[i] for i in idx])
            out = model(ids, real)
            p1 = torch.sigmoid(out.logits[:, 0])
            tvd_half = 0.5 * (p1 - torch.as_tensor(t_probs[idx, 1], dtype=p1.dtype)).abs()
            loss = tvd_half.sum()
            for j, i in enumerate(idx):  # KL per instance, over its real tokens 1..n-2
                n = len(train_ids[i])
                a = out.attention[j, 1:n - 1]
                b = torch.as_tensor(t_attn[i][1:n - 1], dtype=a.dtype).clamp_min(1e-10)
                terms = torch.where(a > 0, a * (torch.log(a.clamp_min(1e-45)) - torch.log(b)),
                                    torch.zeros_like(a))
                loss = loss - LAM * terms.sum()
            optim.zero_grad(set_to_none=True)
            loss.backward()
            optim.step()
        model.eval()
        run_model(model, dev_ids, cfg.eval_batch_size, "cpu")
    return model


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (< 60 s)")
    ap.add_argument("--train", type=int, default=2000)
    ap.add_argument("--dev", type=int, default=400)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--probe", type=int, default=1024,
                    help="sentences the model's own throughput is measured on")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=str(REPO / "bench/results/wp.json"))
    args = ap.parse_args(argv)
    if args.quick:
        args.train, args.dev, args.probe = 256, 128, 256
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    base, train_df, source = load_word_model("bilstm", "tanh", n=args.train, split="train")
    if source.startswith("random"):
        dev_df = sst_like_split(args.dev, seed=1)
    else:
        dev_df = load_word_model("bilstm", "tanh", n=args.dev, split="dev")[1]
    train_ids, dev_ids = list(train_df["token_ids"]), list(dev_df["token_ids"])
    print(f"base model: {source}; {len(train_ids)} train, {len(dev_ids)} dev; "
          f"threads {args.threads}")
    probe = train_ids[: args.probe]
    fb = model_throughput(base, probe, backward=True)["per_second"]
    fwd = model_throughput(base, probe, backward=False)["per_second"]
    fb32 = model_throughput(base, probe, backward=True, batch_sizes=(32,))["per_second"]
    print(f"model forward+backward {fb:.0f} sentences/s (at batch 32: {fb32:.0f}), "
          f"forward {fwd:.0f}")

    (train_t, dev_t), t_targets = timed(lambda: (base_targets(base, train_ids, "cpu"),
                                                 base_targets(base, dev_ids, "cpu")))
    cfg = TrainConfig()
    adv = AdversaryConfig(lam=LAM, epochs=args.epochs)
    torch.manual_seed(1)
    fresh = build_model(base.cfg)
    model_a, model_b = copy.deepcopy(fresh), copy.deepcopy(fresh)
    # warm-up: a process's first training steps carry one-off costs (allocations) that would
    # otherwise be charged to whichever side runs first
    warm = min(64, len(train_ids))
    train_consistent_adversary(copy.deepcopy(fresh), train_df.iloc[:warm], dev_df.iloc[:warm],
                               (train_t[0][:warm], train_t[1][:warm]),
                               (dev_t[0][:warm], dev_t[1][:warm]), cfg, adv, seed=1,
                               device="cpu")
    plain_loop(copy.deepcopy(fresh), train_ids[:warm], dev_ids[:warm], np.asarray(train_t[0]),
               train_t[1], cfg, 1, seed=1)
    _, t_stage = timed(lambda: train_consistent_adversary(
        model_a, train_df, dev_df, train_t, dev_t, cfg, adv, seed=1, device="cpu"))
    _, t_loop = timed(lambda: plain_loop(model_b, train_ids, dev_ids, np.asarray(train_t[0]),
                                         train_t[1], cfg, args.epochs, seed=1))
    diff = float(max((a - b).abs().max().item() for a, b in
                     zip(model_a.state_dict().values(), model_b.state_dict().values(),
                         strict=True)))
    n_all = len(train_ids) + len(dev_ids)
    passes = args.epochs * (len(train_ids) + len(dev_ids) * fb / fwd)
    rows = [
        stage_row("wp adversary epoch", t_stage, args.epochs * len(train_ids), "sentences",
                  passes, fb, t_loop, diff, WEIGHT_TOL,
                  f"lambda {LAM:g}, {args.epochs} epoch(s); floor = fwd+bwd per train sentence "
                  f"+ fwd per dev sentence (in fwd+bwd equivalents) at the best batch size; "
                  f"training runs JW's batch 32, where fwd+bwd alone gives {fb32:.0f}/s "
                  f"(floor x{fb / fb32:.2f}); the Adam step per batch is extra; loop: plain "
                  f"loop, objective written out; agreement = max |weight diff| after training"),
        stage_row("wp base targets", t_targets, n_all, "sentences", n_all, fwd, None, None, None,
                  "base model forward on train + dev"),
    ]
    for r in rows:
        print(f"{r['stage']:20s} {r['seconds']:8.3f} s  floor {r['floor_seconds']} s "
              f"(x{r['floor_ratio']})  loop x{r['loop_speedup']}  agreement {r['agreement']} "
              f"<= {r['tolerance']}: {r['agrees']}")
    result = {"rows": rows, "machine": machine(), "model": source,
              "throughput": {"forward_backward": fb, "forward": fwd,
                             "forward_backward_batch32": fb32}}
    write_json(result, args.out)
    print(f"wrote {args.out}")
    if rows[0]["agrees"] is False:
        print("agreement FAILED", file=sys.stderr)
        raise SystemExit(1)
    return result


if __name__ == "__main__":
    main()
