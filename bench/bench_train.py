"""Benchmark: the word models' own forward + backward, and one training epoch against it.

Rows, all measured in one process, fast and reference interleaved:

- ``fwd+bwd <encoder>``: the BiLSTM's and the RNN's forward + backward (summed logits, w.r.t.
  parameters and embeddings) at batch 32 on length-sorted batches, the encoder run on the padded
  batch (``seatlib.models.recurrent``) against the previous implementation kept here as a private
  reference (``pack_padded_sequence`` -> ``nn.LSTM`` / ``nn.RNN`` -> ``pad_packed_sequence``).
  ``loop_speedup`` is the speed-up over that reference; ``agreement`` is the largest relative
  difference (max |fast - ref| / max |ref|, per tensor) over the logits and every gradient, on
  a batch of unsorted rows of mixed lengths, in train mode.
- ``epoch <encoder>``: one epoch of ``seatlib.train.train_model`` (train batches + the dev
  evaluation + model selection) against its floor: the train sentences at the fast model's
  fwd+bwd rate plus the dev sentences at its forward rate (``floor_passes`` is that sum in
  fwd+bwd-sentence units). ``loop_seconds`` is the same epoch done as before this change
  (reference encoder, per-batch ``pad_batch``, unfused Adam; ``_reference_epoch``);
  ``agreement`` the largest |weight difference| after the epoch between train_model with the
  fast model and the reference epoch with the reference model (same seed and batch order).

Uses the trained SST models and splits under ``SEAT_BENCH_RESULTS`` when present, else random
models of the same size (on the SST train split when only that exists, else random sentences).

    SEAT_BENCH_RESULTS=/work/base/results .venv/bin/python bench/bench_train.py [--quick]

Writes bench/results/train.json.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.common import (  # noqa: E402
    MODEL_ROOT,
    RESULTS,
    machine,
    model_throughput,
    sst_like_split,
    stage_row,
    timed,
)
from seatlib.batching import length_bucketed_batches, pad_batch  # noqa: E402
from seatlib.io import write_json  # noqa: E402

# relative: max |fast - ref| / max |ref| per tensor. Logits and nearly every gradient agree to
# ~1e-6; the largest is attention.proj.bias's gradient (up to ~1e-5), a sum over positions of
# terms that cancel under the softmax, so its max is small next to its terms' rounding
LOGIT_GRAD_TOL = 5e-5
EPOCH_WEIGHT_TOL = 1e-3  # absolute, after a whole epoch of Adam steps


class _Packed(nn.Module):
    """The recurrent encoders as they were: a packed sequence through ``nn.LSTM`` / ``nn.RNN``,
    kept under the encoder's attribute name (``lstm`` / ``rnn``) so the state-dict keys match."""

    def __init__(self, name: str, recurrence: nn.Module):
        super().__init__()
        self.name = name
        setattr(self, name, recurrence)

    def forward(self, emb, lengths):
        packed = pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = getattr(self, self.name)(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=emb.shape[1])
        return out


def reference_copy(model):
    """A deep copy of ``model`` whose encoder is the previous (packed) implementation, sharing
    nothing with ``model``; same state-dict keys."""
    ref = copy.deepcopy(model)
    enc = ref.encoder
    name = "lstm" if hasattr(enc, "lstm") else "rnn"
    ref.encoder = _Packed(name, getattr(enc, name))
    ref.encoder.output_dim = enc.output_dim
    assert list(ref.state_dict()) == list(model.state_dict())
    return ref


def _split(name: str):
    for root in (RESULTS / "prepared/sst", RESULTS / "data/prepared/sst"):
        if (root / f"{name}.parquet").exists():
            from seatlib.schema import read_table

            return read_table(root / f"{name}.parquet", "split")
    return None


def load_inputs(encoder: str, n_train: int, n_dev: int):
    """(model in train mode, train frame, dev frame, source)."""
    from seatlib.models.classifier import ModelConfig, build_model

    train, dev = _split("train"), _split("dev")
    folder = MODEL_ROOT / f"{encoder}-tanh" / "seed1"
    if (folder / "model.safetensors").exists() and train is not None and dev is not None:
        from seatlib.checkpoint import load_model

        model, _ = load_model(folder / "model.safetensors", folder / "config.json")
        source = f"sst train/dev, trained {encoder}-tanh seed1"
    else:
        torch.manual_seed(0)
        if train is not None and dev is not None:
            vocab = 1 + max(max(max(t) for t in train["token_ids"]),
                            max(max(t) for t in dev["token_ids"]))
            source = f"sst train/dev, random {encoder}-tanh (vocab {vocab}, 50-d)"
        else:
            vocab = 5000
            train, dev = sst_like_split(6356, seed=1), sst_like_split(872, seed=2)
            source = f"random sentences, random {encoder}-tanh (vocab 5000, 50-d)"
        model = build_model(ModelConfig(vocab_size=vocab, embed_dim=50, encoder=encoder))
    train = train.head(n_train).reset_index(drop=True)
    dev = dev.head(n_dev).reset_index(drop=True)
    return model.train(), train, dev, source


def _logits_and_grads(model, ids, real):
    model.zero_grad(set_to_none=True)
    emb = model.embedding(ids).detach().requires_grad_(True)
    out = model(ids, real, embedding_override=emb)
    out.logits.sum().backward()
    grads = {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}
    grads["embedding_override"] = emb.grad.clone()
    model.zero_grad(set_to_none=True)
    return out.logits.detach(), grads


def agreement(model, ref, token_ids) -> float:
    """Largest relative difference over the logits and every gradient, train mode."""
    ids, real = pad_batch(token_ids)
    a_logits, a_grads = _logits_and_grads(model, ids, real)
    b_logits, b_grads = _logits_and_grads(ref, ids, real)
    assert set(a_grads) == set(b_grads)
    pairs = [(a_logits, b_logits)] + [(a_grads[k], b_grads[k]) for k in b_grads]
    return max(float((a - b).abs().max() / b.abs().max().clamp_min(1e-30)) for a, b in pairs)


def _reference_epoch(model, train_df, dev_df, cfg, seed: int) -> float:
    """One epoch as train_model did it before this change: per-batch ``pad_batch`` from lists,
    unfused Adam, the same loss, batch order, dev evaluation and selection copy."""
    from seatlib.fit import state_copy
    from seatlib.metrics import classification_scores
    from seatlib.predict import run_model
    from seatlib.train import classification_loss, positive_weight

    start = time.perf_counter()
    groups = model.parameter_groups()
    opt = torch.optim.Adam([
        {"params": groups["encoder"], "weight_decay": cfg.weight_decay},
        {"params": groups["attention"], "weight_decay": cfg.attention_weight_decay},
        {"params": groups["decoder"], "weight_decay": cfg.weight_decay},
    ], lr=cfg.lr, amsgrad=cfg.amsgrad)
    train_ids, labels = list(train_df["token_ids"]), train_df["label"].to_numpy()
    pos_w = positive_weight(labels, cfg.class_weight)
    rng = np.random.default_rng(seed)
    model.train()
    lengths = np.array([len(t) for t in train_ids])
    for idx in length_bucketed_batches(lengths, cfg.batch_size, cfg.length_noise, rng):
        ids, real = pad_batch([train_ids[i] for i in idx])
        y = torch.as_tensor(labels[idx])
        loss = classification_loss(model(ids, real).logits, y, pos_w, cfg.loss_reduction)
        loss.item()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    probs, _ = run_model(model, list(dev_df["token_ids"]), cfg.eval_batch_size, "cpu")
    classification_scores(dev_df["label"].to_numpy(), probs)
    state_copy(model)
    return time.perf_counter() - start


def _optimizer_seconds(model, cfg, token_ids, steps: int = 10) -> float:
    """Seconds of one ``make_optimizer`` step over ``model``'s parameters (Adam's dense update
    of every parameter, the embedding matrix included: work the fwd+bwd floor does not do)."""
    from seatlib.train import make_optimizer

    model = copy.deepcopy(model)
    opt = make_optimizer(model, cfg)
    model(*pad_batch(token_ids)).logits.sum().backward()
    opt.step()  # creates the moment buffers
    _, seconds = timed(lambda: [opt.step() for _ in range(steps)], repeats=2)
    return seconds / steps


def _epoch(model, train_df, dev_df, cfg, seed: int) -> float:
    from seatlib.train import train_model

    start = time.perf_counter()
    train_model(model, train_df, dev_df, cfg, seed, torch.device("cpu"))
    return time.perf_counter() - start


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (< 60 s)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--sentences", type=int, default=None,
                        help="sentences for the fwd+bwd throughput")
    parser.add_argument("--train", type=int, default=None, help="train sentences for the epoch")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    n_rate, n_train, n_dev = (192, 512, 200) if args.quick else (1600, 6356, 872)
    repeats = args.repeats or (2 if args.quick else 3)
    n_train, n_rate = args.train or n_train, args.sentences or n_rate
    from seatlib.train import TrainConfig

    cfg = TrainConfig(epochs=1)
    rows, sources = [], {}
    # optimizer construction imports torch._dynamo once per process (seconds): not per epoch
    torch.optim.Adam([nn.Parameter(torch.zeros(1))])
    for encoder in ("bilstm", "rnn"):
        model, train_df, dev_df, source = load_inputs(encoder, n_train, n_dev)
        sources[encoder] = source
        ref = reference_copy(model)
        ids = list(train_df["token_ids"])
        rng = np.random.default_rng(0)
        mixed = [ids[i] for i in rng.choice(len(ids), size=min(64, len(ids)), replace=False)]
        agree = agreement(model, ref, mixed)
        rate_ids = ids[:n_rate]
        fast_fb = ref_fb = fast_f = 0.0
        for _ in range(repeats):  # interleaved: the load of the machine hits both alike
            fast_fb = max(fast_fb, model_throughput(model, rate_ids, True, (32,), 1)["per_second"])
            ref_fb = max(ref_fb, model_throughput(ref, rate_ids, True, (32,), 1)["per_second"])
            with torch.no_grad():
                fast_f = max(fast_f, model_throughput(model.eval(), rate_ids, False, (256,),
                                                      1)["per_second"])
            model.train()
        rows.append(stage_row(
            f"fwd+bwd {encoder} (batch 32)", len(rate_ids) / fast_fb, len(rate_ids),
            "sentences", len(rate_ids), fast_fb, len(rate_ids) / ref_fb, agree, LOGIT_GRAD_TOL,
            note=f"{source}; {fast_fb:.0f} vs {ref_fb:.0f} sentences/s (packed reference); "
                 "agreement relative over logits and all gradients"))
        if encoder == "bilstm" or not args.quick:
            fast_s = ref_s = float("inf")
            weights_diff = 0.0
            for _ in range(max(1, repeats - 1)):
                m_fast, m_ref = copy.deepcopy(model), reference_copy(model)
                fast_s = min(fast_s, _epoch(m_fast, train_df, dev_df, cfg, 1))
                ref_s = min(ref_s, _reference_epoch(m_ref, train_df, dev_df, cfg, 1))
                a, b = m_fast.state_dict(), m_ref.state_dict()
                weights_diff = max(float((a[k] - b[k]).abs().max()) for k in b)
            floor_s = len(train_df) / fast_fb + len(dev_df) / fast_f
            n_batches = -(-len(train_df) // cfg.batch_size)
            opt_s = n_batches * _optimizer_seconds(model, cfg, ids[:cfg.batch_size])
            rows.append(stage_row(
                f"epoch {encoder} (batch 32)", fast_s, len(train_df), "train sentences",
                floor_s * fast_fb, fast_fb, ref_s, weights_diff, EPOCH_WEIGHT_TOL,
                note=f"{len(train_df)} train + {len(dev_df)} dev; floor = train/fwd+bwd rate "
                     f"+ dev/forward rate ({fast_f:.0f}/s); loop = the epoch as before "
                     "(packed encoder, per-batch padding, unfused Adam); agreement = max "
                     f"|weight diff| after the epoch; of the epoch, {opt_s:.2f}s are the "
                     f"{n_batches} Adam steps (dense amsgrad update of every parameter, the "
                     f"embedding matrix included; not in the floor): without them "
                     f"{(fast_s - opt_s) / floor_s:.2f}x the floor"))
    result = {"rows": rows, "machine": machine(), "sources": sources, "quick": args.quick,
              "sizes": {"sentences": n_rate, "train": n_train, "dev": n_dev, "repeats": repeats}}
    write_json(result, REPO / "bench/results/train.json")
    for r in rows:
        print(f"{r['stage']:28s} {r['seconds']:8.3f}s floor {r['floor_seconds']}s "
              f"ratio {r['floor_ratio']} speedup {r['loop_speedup']} agree {r['agreement']:.2e} "
              f"(tol {r['tolerance']}) {'ok' if r['agrees'] else 'FAIL'}")
    if not all(r["agrees"] for r in rows):
        raise SystemExit("bench_train: agreement outside tolerance")
    return result


if __name__ == "__main__":
    main()
