"""Benchmark: the JW importance stage, every method, against its floor, the former
implementation and a per-instance loop, in one run on the same inputs.

For each encoder (bilstm, average; attention tanh) and each method of ``seatlib.importance``:

- **stage**: ``compute_importance`` as the rule runs it (length-sorted batches of 64, the
  default ``jw.importance`` options, no deltas);
- **before**: the same call with the method's former implementation swapped in (captum IG in one
  pass of B x n_steps rows; captum ``GradientShap`` / ``DeepLiftShap`` on all B x S points at
  once; DeepLIFT's LSTM as a step-by-step graph of secant functions; deltas computed; captum's
  ``Saliency``; gradient and saliency with the predicted class from a forward pass of its own).
  loo did not change: for it "before" is the same code;
- **agreement**: max |stage - before| / max |before| over every token score (relative to the
  scale of the scores), tolerance 1e-5;
- **floor**: the passes the method needs per instance (gradient, saliency: 1 forward + backward;
  IG: n_steps; GradientShap: n_samples; DeepLIFT: 2, the input and its reference; DeepLIFT-SHAP:
  2 x n_samples; loo: one forward per deletion) over the model's own forward + backward (forward
  for loo) sentences/s at its best batch size (``bench.common.model_throughput``), measured in the
  same run with the parameters frozen, as attribution runs;
- **loop**: the straightforward loop doing the same work: the former implementation one instance
  at a time (``batch_size=1``, per-instance captum), on the first ``--loop-instances`` instances,
  scaled to all of them (the note says so).

    PYTHONPATH=. .venv/bin/python bench/bench_importance.py [--quick] [--instances 500]

Writes bench/results/importance.json; exits non-zero when a method disagrees with its former
implementation. ``SEAT_BENCH_RESULTS=/work/base/results`` uses a run's trained models.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from captum.attr import IntegratedGradients  # noqa: E402

import seatlib.importance as imp  # noqa: E402
from bench.common import load_word_model, machine, model_throughput, stage_row, timed  # noqa: E402
from seatlib.importance import deeplift, deeplift_shap, gradient_shap, saliency  # noqa: E402
from seatlib.importance.common import (  # noqa: E402
    ProbabilityModel,
    captum_attribute,
    single_reference,
    token_scores,
    true_embeddings,
)
from seatlib.io import write_json  # noqa: E402

TOLERANCE = 1e-5  # relative to max |score| of the method
METHODS = ("gradient", "saliency", "loo", "integrated_gradients", "gradient_shap", "deeplift",
           "deeplift_shap")


def _former_integrated_gradients(model, input_ids, real_mask, target, opts):
    """The former IG: captum's one pass over all B x n_steps rows, delta computed."""
    emb = true_embeddings(model, input_ids)
    ref = single_reference(model, input_ids, real_mask, emb, opts)
    attr, delta = captum_attribute(
        IntegratedGradients(ProbabilityModel(model)), emb, input_ids, real_mask,
        baselines=ref, target=target, n_steps=opts.n_steps,
        internal_batch_size=opts.internal_batch_size, return_convergence_delta=True)
    return token_scores(attr.detach(), real_mask), delta.detach()


FORMER = {
    "saliency": saliency.captum_reference,
    "integrated_gradients": _former_integrated_gradients,
    "gradient_shap": gradient_shap.captum_reference,
    "deeplift": deeplift.reference_attribute,
    "deeplift_shap": deeplift_shap.captum_reference,
}


@contextlib.contextmanager
def former(method: str):
    """``compute_importance`` runs ``method``'s former implementation inside."""
    saved = imp.METHODS[method]
    imp.METHODS[method] = dataclasses.replace(
        saved, attribute=FORMER.get(method, saved.attribute), picks_target=False)
    try:
        yield
    finally:
        imp.METHODS[method] = saved


@contextlib.contextmanager
def frozen(model):
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


def options(method: str, n_steps: int, n_samples: int) -> dict:
    """The default run's ``jw.importance`` options of ``method`` (baseline pad, SHAP methods on
    random words), as ``compute_importance`` keywords."""
    config = {"target": "predicted", "batch_size": 64, "max_examples": None, "baseline": "pad",
              "shap_baseline": "random", "n_steps": n_steps, "n_samples": n_samples,
              "internal_batch_size": None}
    return imp.METHODS[method].call_options(config)


def passes(method: str, lengths: np.ndarray, n_steps: int, n_samples: int) -> tuple[float, bool]:
    """(sentence passes the method needs, whether they are forward + backward)."""
    n = len(lengths)
    return {
        "gradient": (n, True), "saliency": (n, True),
        "loo": (float((lengths - 2).sum()) + n, False),
        "integrated_gradients": (n * n_steps, True), "gradient_shap": (n * n_samples, True),
        "deeplift": (2 * n, True), "deeplift_shap": (2 * n * n_samples, True),
    }[method]


def max_rel_diff(fast: list, ref: list) -> float:
    scale = max(float(np.abs(r).max()) for r in ref if len(r)) or 1.0
    return max(float(np.abs(a - b).max()) for a, b in zip(fast, ref, strict=True)) / scale


def bench_encoder(encoder: str, args) -> tuple[list, dict]:
    model, df, source = load_word_model(encoder, "tanh", n=args.instances)
    token_ids = list(df["token_ids"])
    lengths = np.array([len(t) for t in token_ids])
    with frozen(model):
        fb = model_throughput(model, token_ids, backward=True, batch_sizes=args.floor_batches)
        fwd = model_throughput(model, token_ids, backward=False, batch_sizes=args.floor_batches)
    loop_df = df.head(args.loop_instances)
    rows, before_after = [], {}
    for method in args.methods:
        kw = options(method, args.n_steps, args.n_samples)
        imp.compute_importance(model, df.head(2), method, device="cpu", **kw)  # warm-up
        fast, t_fast = timed(imp.compute_importance, model, df, method, device="cpu", **kw)
        with former(method):
            ref, t_ref = timed(imp.compute_importance, model, df, method, device="cpu",
                               return_deltas=True, **kw)
            _, t_loop = timed(imp.compute_importance, model, loop_df, method, device="cpu",
                              **{**kw, "batch_size": 1})
        ref = ref[0]
        t_loop *= len(df) / len(loop_df)
        agreement = max_rel_diff(fast, ref)
        n_pass, backward = passes(method, lengths, args.n_steps, args.n_samples)
        rate = fb["per_second"] if backward else fwd["per_second"]
        changed = method != "loo"
        note = (f"{source}, {encoder}; before (former implementation, same inputs, deltas on) "
                f"{t_ref:.2f}s" + ("" if changed else " (unchanged code)")
                + f"; floor {n_pass:.0f} {'fwd+bwd' if backward else 'fwd'} passes at "
                f"{rate:.0f}/s (batch {(fb if backward else fwd)['batch_size']}, params frozen)"
                f"; loop: former, batch_size 1, on {len(loop_df)} instances x "
                f"{len(df) / len(loop_df):.1f}; agreement relative to max |score|")
        rows.append(stage_row(f"importance {method} ({encoder})", t_fast, len(df), "instances",
                              n_pass, rate, t_loop, agreement, TOLERANCE, note))
        before_after[f"{encoder}/{method}"] = {"before_s": round(t_ref, 4),
                                               "after_s": round(t_fast, 4),
                                               "speedup": round(t_ref / t_fast, 2)}
        print(f"{encoder:8s} {method:22s} after {t_fast:7.2f}s before {t_ref:7.2f}s "
              f"floor {n_pass / rate:7.2f}s ratio {t_fast / (n_pass / rate):5.2f} "
              f"loop {t_loop:7.2f}s rel.diff {agreement:.1e}", flush=True)
    return rows, {"source": source, "forward_backward": fb, "forward": fwd,
                  "before_after": before_after}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--instances", type=int, default=500)
    parser.add_argument("--loop-instances", type=int, default=32)
    parser.add_argument("--n-steps", type=int, default=50)
    parser.add_argument("--n-samples", type=int, default=20)
    parser.add_argument("--encoders", nargs="+", default=["bilstm", "average"])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    args.floor_batches = (32, 64, 128, 256)
    if args.quick:
        args.instances, args.loop_instances = 24, 4
        args.n_steps, args.n_samples = 10, 4
        args.floor_batches = (32, 128)
    torch.set_num_threads(args.threads)
    rows, per_encoder = [], {}
    for encoder in args.encoders:
        enc_rows, info = bench_encoder(encoder, args)
        rows += enc_rows
        per_encoder[encoder] = info
    result = {"rows": rows, "machine": machine(), "quick": args.quick,
              "instances": args.instances, "n_steps": args.n_steps,
              "n_samples": args.n_samples, "encoders": per_encoder}
    write_json(result, REPO / "bench/results/importance.json")
    bad = [r["stage"] for r in rows if r["agrees"] is False]
    if bad:
        raise SystemExit(f"importance: fast and former implementations disagree beyond "
                         f"{TOLERANCE:g} (relative): {bad}")
    return result


if __name__ == "__main__":
    main()
