"""Benchmark: JW's permutation and adversary stages against their floor and a plain loop.

Rows (``bench.common.stage_row``), all measured in one process on the same model:

- ``permutation``: ``permutation_experiment`` (encoder once per batch; the decoder's projection
  of the hidden states once, then every draw of every instance in one product);
  ``permutation (before)``: the same batches decoding with ``model.decode`` per draw set (the
  implementation before the speed work); the loop encodes each instance alone and decodes each
  permutation alone, with the *same* permutation indices.
- ``adversary``: ``adversarial_attention`` (merged search chunks, cached projection, the loss
  with shared entropies); ``adversary (before)``: the implementation before the speed work
  (batches of ``--batch-size``, ``model.decode`` and ``adversary_loss`` at every step); the loop
  runs that search one instance at a time on the first ``--loop-instances`` instances (its time
  is scaled to all instances). All start from the same initial noise and take the same steps.

Floor of an attention-only stage: the encoder once per instance (the model's forward
sentences/s) plus the decoder passes it needs (permutation: 1 + K forward decodes per
instance; adversary: k x (steps + 1) forward + backward decodes per instance), at the
throughput of ``model.decode`` on cached hidden states measured here (attention vectors/s, best
batch size). ``floor_passes`` is that floor in sentence-forward equivalents. The fast paths
decode through the decoder's projection (H / n_out times fewer multiplications than
``model.decode``), so they can beat that floor: a ratio below 1 says so.

Agreement: permutation median/mean TVD (fast vs loop); adversary eps-max JSD and the optimised
adversaries (fast vs before, all instances; the loop is checked on its instances too). The
search is 500 steps of a non-convex optimisation, so float rounding differences (sum order) grow;
the tolerance is stated per row.

    .venv/bin/python bench/bench_counterfactual.py [--quick] [--instances 200] [--steps 500]

Uses the trained SST bilstm-tanh when ``SEAT_BENCH_RESULTS`` (or ./results) has it, else a random
model of the same size. Writes bench/results/counterfactual.json; exits 1 if agreement fails.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import load_word_model, machine, model_throughput, stage_row, timed  # noqa: E402
from seatlib.batching import pad_batch  # noqa: E402
from seatlib.counterfactual import (  # noqa: E402
    adversarial_attention,
    initial_log_weights,
    initial_noise,
    permutation_experiment,
    permutation_indices,
    select_emax,
)
from seatlib.counterfactual.adversary import adversary_loss  # noqa: E402
from seatlib.counterfactual.common import cached_decoder, length_sorted_batches  # noqa: E402
from seatlib.divergence import tvd  # noqa: E402
from seatlib.io import write_json  # noqa: E402
from seatlib.models.attention import masked_softmax  # noqa: E402
from seatlib.models.base import probabilities  # noqa: E402
from seatlib.predict import predict_split  # noqa: E402

ADV = {"epsilon": 0.01, "hinge_weight": 500.0, "lr": 0.01}
THRESHOLD = 0.05
PERM_TOL = 1e-5
JSD_TOL = 1e-3  # eps-max JSD (nats, in [0, ln 2]) after 500 steps, fast vs before
ATTN_TOL = 1e-3  # the optimised adversaries' weights, fast vs before


# ---------------------------------------------------------------- the decoder's own throughput

def decode_throughput(model, token_ids, k: int, backward: bool, batch_sizes=(64, 256),
                      repeats: int = 2, projected: bool = False) -> float:
    """``model.decode`` on cached hidden states: (B, k, L) attention vectors per second at the
    best batch size (forward, or forward + backward to the attention); ``projected``: the
    cached decoder projection (``common.cached_decoder``) instead."""
    order = np.argsort([len(t) for t in token_ids], kind="stable")
    rows = [token_ids[i] for i in order]
    best = 0.0
    for bs in batch_sizes:
        cached = []
        with torch.no_grad():
            for i in range(0, len(rows), bs):
                ids, real = pad_batch(rows[i:i + bs])
                hidden = model(ids, real).hidden
                dec = cached_decoder(model, hidden) if projected else \
                    (lambda a, hidden=hidden: model.decode(hidden, a))
                cached.append((dec, masked_softmax(torch.randn(len(ids), k, ids.shape[1]),
                                                      real[:, None, :])))

        def run(cached=cached):
            for dec, attn in cached:
                if backward:
                    a = attn.clone().requires_grad_(True)
                    probabilities(dec(a)).sum().backward()
                else:
                    with torch.no_grad():
                        dec(attn)

        run()
        _, seconds = timed(run, repeats=repeats)
        best = max(best, len(rows) * k / seconds)
    return best


# ---------------------------------------------------------------- permutation references

def permutation_before(model, split, n_perm, seed, batch_size):
    """The batched experiment as it was: ``model.decode`` on (B, 1 + K, L) per batch."""
    token_ids = list(split["token_ids"])
    median, mean = np.zeros(len(token_ids)), np.zeros(len(token_ids))
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for rows, ids, real in length_sorted_batches(token_ids, batch_size, "cpu"):
            out = model(ids, real)
            perm = permutation_indices(real, n_perm, gen)
            permuted = out.attention[:, None, :].expand_as(perm).gather(-1, perm)
            both = torch.cat([out.attention[:, None, :], permuted], 1)
            probs = probabilities(model.decode(out.hidden, both)).double()
            change = tvd(probs[:, 1:], probs[:, :1])
            median[rows] = torch.quantile(change, 0.5, dim=1).numpy()
            mean[rows] = change.mean(1).numpy()
    return median, mean


def permutation_loop(model, split, n_perm, seed, batch_size):
    """Per instance: encode alone; per permutation: decode alone. Same indices as batched."""
    token_ids = list(split["token_ids"])
    median, mean = np.zeros(len(token_ids)), np.zeros(len(token_ids))
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for rows, _, real in length_sorted_batches(token_ids, batch_size, "cpu"):
            perm = permutation_indices(real, n_perm, gen)  # the batched run's draws
            for j, i in enumerate(rows):
                ids1, real1 = pad_batch([token_ids[i]])
                out = model(ids1, real1)
                n = ids1.shape[1]
                base = probabilities(out.logits)[0].double()
                change = []
                for d in range(n_perm):
                    attn = out.attention[0, perm[j, d, :n]]
                    p = probabilities(model.decode(out.hidden, attn[None]))[0].double()
                    change.append(0.5 * (p - base).abs().sum().item())
                median[i], mean[i] = np.median(change), np.mean(change)
    return median, mean


# ---------------------------------------------------------------- adversary references

def reference_search(model, hidden, attention, real, base, log_w, steps, k):
    """The search as it was: ``model.decode`` and ``adversary_loss`` at every Adam step."""
    mask, target, base3 = real[:, None, :], attention[:, None, :], base[:, None, :]
    log_w = log_w.clone().requires_grad_(True)
    optim = torch.optim.Adam([log_w], lr=ADV["lr"], amsgrad=True)
    model.requires_grad_(False)
    try:
        for _ in range(steps):
            adv = masked_softmax(log_w, mask)
            probs = probabilities(model.decode(hidden, adv))
            loss = adversary_loss(adv, probs, target, base3, epsilon=ADV["epsilon"],
                                  hinge_weight=ADV["hinge_weight"])
            optim.zero_grad(set_to_none=True)
            loss.backward()
            optim.step()
        with torch.no_grad():
            adv = masked_softmax(log_w, mask)
            probs = probabilities(model.decode(hidden, adv))
    finally:
        model.requires_grad_(True)
    return adv.detach(), probs.detach()


def adversary_reference(model, split, k, steps, seed, batch_size, rows_subset=None):
    """The adversary before the speed work: length-sorted batches of ``batch_size`` (or one
    instance at a time with ``batch_size`` 1), the same initial noise."""
    token_ids = list(split["token_ids"])
    noise = initial_noise(token_ids, k, seed)
    n = len(token_ids)
    emax, advs = np.full(n, np.nan), [None] * n
    subset = np.arange(n) if rows_subset is None else np.asarray(rows_subset)
    sub_ids = [token_ids[i] for i in subset]
    for rows, ids, real in length_sorted_batches(sub_ids, batch_size, "cpu"):
        rows = subset[rows]
        with torch.no_grad():
            out = model(ids, real)
            base = probabilities(out.logits)
        log_w = initial_log_weights(noise[torch.as_tensor(rows), :, : ids.shape[1]], real)
        adv, adv_probs = reference_search(model, out.hidden, out.attention, real, base, log_w,
                                          steps, k)
        _, c_jsd, *_ = select_emax(adv, adv_probs, out.attention, base, THRESHOLD)
        lens = (ids != 0).sum(-1).tolist()
        emax[rows] = c_jsd.numpy()
        for j, i in enumerate(rows):
            advs[i] = adv[j, :, : lens[j]].numpy()
    return emax, advs


def interleaved(fast, before, repeats: int):
    """((result, best seconds) of ``fast``, same of ``before``), the two run alternately
    ``repeats`` times, so a change of machine load hits both sides alike."""
    best = [float("inf"), float("inf")]
    out = [None, None]
    for _ in range(repeats):
        for side, fn in enumerate((fast, before)):
            out[side], seconds = timed(fn)
            best[side] = min(best[side], seconds)
    return (out[0], best[0]), (out[1], best[1])


def max_diff(a, b, rows):
    return float(max(np.abs(a[i] - b[i]).max() for i in rows))


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (< 60 s)")
    ap.add_argument("--instances", type=int, default=200)
    ap.add_argument("--permutations", type=int, default=100)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--loop-instances", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=2,
                    help="fast and before run alternately this many times; best time kept")
    ap.add_argument("--out", default=str(REPO / "bench/results/counterfactual.json"))
    args = ap.parse_args(argv)
    if args.quick:
        args.instances, args.steps, args.loop_instances = 96, 100, 6
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    model, split, source = load_word_model("bilstm", "tanh", n=args.instances)
    pred = predict_split(model, split, {"dataset": "sst", "model": "bilstm-tanh", "seed": 1},
                         "test", "cpu")
    token_ids = list(split["token_ids"])
    n, k = len(split), args.k
    print(f"model: {source}; {n} instances; threads {args.threads}")
    fwd = model_throughput(model, token_ids, backward=False)["per_second"]
    dec_f = decode_throughput(model, token_ids, args.permutations + 1, backward=False)
    dec_fb = decode_throughput(model, token_ids, k, backward=True)
    proj_fb = decode_throughput(model, token_ids, k, backward=True, projected=True)
    print(f"encoder forward {fwd:.0f} sentences/s; model.decode forward {dec_f:.0f}, "
          f"forward+backward {dec_fb:.0f} attention vectors/s (projected: {proj_fb:.0f})")
    adversarial_attention(model, split.iloc[:2], pred, steps=2, k=k)  # warm-up

    rows = []
    # ---- permutation
    perm_kw = {"n_permutations": args.permutations, "seed": 0, "batch_size": args.batch_size}
    (fast, t_fast), ((b_med, b_mean), t_before) = interleaved(
        lambda: permutation_experiment(model, split, pred, **perm_kw),
        lambda: permutation_before(model, split, args.permutations, 0, args.batch_size),
        repeats=args.repeats)
    (l_med, l_mean), t_loop = timed(lambda: permutation_loop(
        model, split, args.permutations, 0, args.batch_size))
    floor_s = n / fwd + n * (args.permutations + 1) / dec_f
    agree = float(max(np.abs(fast["median_tvd"] - l_med).max(),
                      np.abs(fast["mean_tvd"] - l_mean).max()))
    agree_b = float(max(np.abs(b_med - l_med).max(), np.abs(b_mean - l_mean).max()))
    note = (f"{args.permutations} draws; floor = encoder once + {args.permutations + 1} "
            f"model.decode forwards per instance; before: {t_before:.3f} s")
    rows.append(stage_row("permutation", t_fast, n, "instances", floor_s * fwd, fwd, t_loop,
                          agree, PERM_TOL, note))
    rows.append(stage_row("permutation (before)", t_before, n, "instances", floor_s * fwd, fwd,
                          t_loop, agree_b, PERM_TOL, "model.decode per batch"))
    # ---- adversary
    ((frame, advs), a_fast), ((b_emax, b_advs), a_before) = interleaved(
        lambda: adversarial_attention(model, split, pred, k=k, steps=args.steps, seed=0,
                                      batch_size=args.batch_size, **ADV,
                                      selection_threshold=THRESHOLD),
        lambda: adversary_reference(model, split, k, args.steps, 0, args.batch_size),
        repeats=args.repeats)
    m = min(args.loop_instances, n)
    (l_emax, l_advs), a_loop_m = timed(lambda: adversary_reference(
        model, split, k, args.steps, 0, 1, rows_subset=np.arange(m)))
    a_loop = a_loop_m * n / m
    emax = frame["emax_jsd"].to_numpy()
    jsd_diff = float(np.abs(emax - b_emax).max())
    attn_diff = max_diff(advs, b_advs, range(n))
    loop_jsd = float(np.abs(emax[:m] - l_emax[:m]).max())
    loop_attn = max_diff(advs, l_advs, range(m))
    floor_s = n / fwd + n * k * (args.steps + 1) / dec_fb
    proj_floor = n / fwd + n * k * (args.steps + 1) / proj_fb
    ok = attn_diff <= ATTN_TOL and loop_attn <= ATTN_TOL and loop_jsd <= JSD_TOL
    note = (f"k {k}, {args.steps} steps; floor = encoder once + k x (steps + 1) model.decode "
            f"forward+backward; agreement = eps-max JSD vs before (tol {JSD_TOL}); adversary "
            f"weights vs before {attn_diff:.1e}, vs loop {loop_attn:.1e} (tol {ATTN_TOL}); "
            f"loop timed on {m} instances, scaled to {n}; against the projected decoder's own "
            f"forward+backward the floor is {proj_floor:.3f} s (x{a_fast / proj_floor:.2f}): "
            f"the rest is the loss, the softmax and Adam on (B, k, L)")
    rows.append(stage_row("adversary", a_fast, n, "instances", floor_s * fwd, fwd, a_loop,
                          jsd_diff if ok else max(jsd_diff, 2 * JSD_TOL), JSD_TOL, note))
    rows.append(stage_row("adversary (before)", a_before, n, "instances", floor_s * fwd, fwd,
                          a_loop, float(np.abs(b_emax[:m] - l_emax[:m]).max()), JSD_TOL,
                          f"batches of {args.batch_size}, model.decode + adversary_loss"))
    for r in rows:
        print(f"{r['stage']:22s} {r['seconds']:8.3f} s  floor {r['floor_seconds']} s "
              f"(x{r['floor_ratio']})  loop x{r['loop_speedup']}  agreement {r['agreement']:.2e} "
              f"<= {r['tolerance']}: {r['agrees']}")
    result = {"rows": rows, "machine": machine(), "model": source, "instances": n,
              "throughput": {"encoder_forward": fwd, "decode_forward": dec_f,
                             "decode_forward_backward": dec_fb,
                             "projected_decode_forward_backward": proj_fb},
              "adversary": {"speedup_over_before": a_before / a_fast,
                            "mean_emax_jsd": float(emax.mean()),
                            "max_abs_diff_adversary_vs_before": attn_diff},
              "permutation": {"speedup_over_before": t_before / t_fast}}
    write_json(result, args.out)
    print(f"wrote {args.out}")
    if not all(r["agrees"] for r in rows):
        print("agreement FAILED", file=sys.stderr)
        raise SystemExit(1)
    return result


if __name__ == "__main__":
    main()
