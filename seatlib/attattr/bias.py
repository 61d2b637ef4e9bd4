"""Attention against attribution on the transformer, per layer and head (spec 2, the
attentionBias study, and the JW question on BERT).

Token attribution with captum (F = softmax probability of the predicted class; token score =
the attribution summed over the hidden dimension; the ranks compare its absolute value, as the
importance of a token):

* ``lig``: LayerIntegratedGradients on the word-embedding layer, input ids, baseline [PAD] at
  every position with [CLS]/[SEP] kept (the captum BERT tutorial);
* ``saliency``: |dF/dE| on the word embeddings E, summed over the hidden dimension;
* ``gradshap``: GradientSHAP on E, baselines {all zeros, [PAD] everywhere}, ``n_samples`` draws;
* ``conductance``: LayerConductance of each layer's output (its final LayerNorm; the layer
  module itself is not called by the functional forward) along the E path from the [PAD]
  baseline, one per layer;
* ``deeplift`` is refused (:func:`check_method`): DeepLIFT's rules need every non-linearity as
  an ``nn`` module used once, but this encoder uses functional softmax, GELU, LayerNorm and
  matmuls, so captum would treat most of it as linear and return wrong numbers silently.

Attention summaries (over key tokens, from one forward): ``cls_head`` the [CLS] query row of each
layer and head; ``mean_heads`` that row averaged over the heads of each layer; ``last`` the mean
of the last layer (SEAT's choice); ``rollout`` (Abnar & Zuidema 2020) the [CLS] row of
``prod_l (0.5 mean_h A_l + 0.5 I)`` (rows renormalised); ``received`` the attentionBias
aggregation: per layer the attention a key receives, the mean over all real query rows and
heads (spec 2.5). Kendall tau-b per instance (``seatlib.agreement.kendall_tau_b``, batched) over
the WordPieces between [CLS] and [SEP].
"""

from __future__ import annotations

import numpy as np
import torch

from seatlib.attattr.model import Classifier, additive_mask, batch_inputs

METHODS = ("lig", "saliency", "gradshap", "conductance", "deeplift")
SUMMARIES = ("cls_head", "mean_heads", "last", "rollout", "received")

DEEPLIFT_REFUSAL = (
    "attattr.bias.methods: deeplift is refused on this transformer: captum's DeepLift rules need "
    "every non-linearity as an nn module used once, but the encoder uses functional softmax, "
    "GELU, LayerNorm and matmuls, so its attributions would be silently wrong (captum FAQ; "
    "captum#519); use lig, saliency, gradshap or conductance")


def check_method(name: str) -> None:
    if name == "deeplift":
        raise ValueError(DEEPLIFT_REFUSAL)
    if name not in METHODS:
        raise ValueError(f"attattr.bias.methods: unknown method {name!r} (expected one of "
                         f"{[m for m in METHODS if m != 'deeplift']})")


def rollout(attentions: torch.Tensor, residual: float = 0.5) -> torch.Tensor:
    """[B, L, H, T, T] -> [B, T, T]: prod over layers (last on the left) of
    ``residual * I + (1 - residual) * mean_h A_l``, each row renormalised."""
    A = attentions.mean(2)  # [B, L, T, T]
    eye = torch.eye(A.shape[-1], dtype=A.dtype, device=A.device)
    A = (1 - residual) * A + residual * eye
    A = A / A.sum(-1, keepdim=True)
    out = A[:, 0]
    for i in range(1, A.shape[1]):
        out = A[:, i] @ out
    return out


def summaries(attentions: torch.Tensor, attention_mask: torch.Tensor) -> dict:
    """[B, L, H, T, T], [B, T] -> name -> tensor over keys: cls_head [B, L, H, T], mean_heads
    and received [B, L, T], last and rollout [B, T]."""
    cls = attentions[:, :, :, 0, :]
    mean = cls.mean(2)
    real = attention_mask.to(attentions.dtype)
    received = (attentions.mean(2) * real[:, None, :, None]).sum(-2) / real.sum(-1)[:, None,
                                                                                    None]
    return {"cls_head": cls, "mean_heads": mean, "last": mean[:, -1],
            "rollout": rollout(attentions)[:, 0], "received": received}


def _probs(model: Classifier, ids=None, am=None, types=None, embeds=None, full=False):
    """softmax probabilities [B, C]; ``full``: every layer computes every query (the layer
    outputs captum hooks then have all T positions)."""
    hidden = model.embed(ids, types, embeds)
    mask = additive_mask(am, hidden.dtype)
    hidden, _, _ = model.run_layers(0, hidden, mask, cls_only=not full)
    return torch.softmax(model.classify(hidden), -1)


def reference_ids(model: Classifier, ids: torch.Tensor, am: torch.Tensor) -> torch.Tensor:
    """[PAD] at every real position but [CLS]/[SEP] (and padding as it is)."""
    cfg = model.hf.config
    pad = cfg.pad_token_id if cfg.pad_token_id is not None else 0
    keep = ids == ids[:, :1]  # the first token is [CLS] (or <s>)
    last = am.sum(1) - 1
    sep = ids.gather(1, last[:, None])  # the final [SEP] id of each row
    keep = keep | (ids == sep) | (am == 0)
    return torch.where(keep, ids, torch.full_like(ids, pad))


def token_attributions(model: Classifier, ids, am, types, target, method: str, steps: int = 50,
                       n_samples: int = 8, layer: int | None = None,
                       internal_batch_size: int | None = None) -> torch.Tensor:
    """One captum method for a padded batch -> token scores [B, T] (signed; sum over the hidden
    dimension). ``layer``: the layer of ``conductance``."""
    from captum.attr import GradientShap, LayerConductance, LayerIntegratedGradients, Saliency

    check_method(method)
    words = model.base.embeddings.word_embeddings
    ref = reference_ids(model, ids, am)
    args = (am, types)
    if method == "lig":
        lig = LayerIntegratedGradients(lambda i, a, t: _probs(model, i, a, t), words)
        attr = lig.attribute(ids, baselines=ref, target=target, additional_forward_args=args,
                             n_steps=steps, internal_batch_size=internal_batch_size)
        return attr.sum(-1).detach()
    E = words(ids).detach()
    E_ref = words(ref).detach()

    def f(e, a, t):
        return _probs(model, None, a, t, e, full=method == "conductance")

    if method == "saliency":
        return Saliency(f).attribute(E.requires_grad_(True), target=target,
                                     additional_forward_args=args).sum(-1).detach()
    if method == "gradshap":
        pad = model.hf.config.pad_token_id or 0
        pad_row = words(torch.full_like(ids[:1], pad)).detach()  # [1, T, D]
        baselines = torch.cat([torch.zeros_like(pad_row), pad_row])
        attr = GradientShap(f).attribute(E, baselines=baselines, n_samples=n_samples,
                                         stdevs=0.0, target=target,
                                         additional_forward_args=args)
        return attr.sum(-1).detach()
    if layer is None:
        raise ValueError("conductance needs a layer")
    lc = LayerConductance(f, model.layers[layer].output.LayerNorm)
    attr = lc.attribute(E, baselines=E_ref, target=target, additional_forward_args=args,
                        n_steps=steps, internal_batch_size=internal_batch_size)
    return attr.sum(-1).detach()


def method_names(methods, n_layers: int) -> list[tuple[str, int]]:
    """config methods -> (method, layer) pairs (layer -1 but for conductance)."""
    out = []
    for m in methods:
        check_method(m)
        out.extend([(m, i) for i in range(n_layers)] if m == "conductance" else [(m, -1)])
    return out


def analyse(model: Classifier, token_ids, methods, device, steps: int = 50, n_samples: int = 8,
            batch_size: int = 8, seed: int = 0):
    """-> (summaries: name -> list over examples of arrays [..., n] over the n inner tokens,
    attributions: (method, layer) -> list of [n] arrays, predictions [N])."""
    model.eval()
    L = model.config.n_layers
    pairs = method_names(methods, L)
    sums: dict[str, list] = {s: [] for s in SUMMARIES}
    attrs: dict[tuple[str, int], list] = {p: [] for p in pairs}
    preds = []
    frozen = [p.requires_grad for p in model.parameters()]
    model.requires_grad_(False)
    try:
        for start in range(0, len(token_ids), batch_size):
            rows = token_ids[start:start + batch_size]
            ids, am, types = batch_inputs(model, rows, device)
            with torch.no_grad():
                out = model(ids, am, types, output_attentions=True)
            target = out.logits.argmax(-1)
            preds.append(target.cpu().numpy())
            summ = {k: v.cpu().numpy() for k, v in summaries(out.attentions, am).items()}
            scores = {}
            for m, layer in pairs:
                torch.manual_seed(seed + start)  # gradshap's draws
                scores[(m, layer)] = token_attributions(
                    model, ids, am, types, target, m, steps, n_samples,
                    layer if layer >= 0 else None).cpu().numpy()
            for b, row in enumerate(rows):
                n = len(row)
                for k, v in summ.items():
                    sums[k].append(v[b, ..., 1:n - 1])
                for p, v in scores.items():
                    attrs[p].append(v[b, 1:n - 1])
    finally:
        for p, r in zip(model.parameters(), frozen, strict=True):
            p.requires_grad_(r)
    return sums, attrs, np.concatenate(preds) if preds else np.zeros(0, dtype=np.int64)


def summary_rows(sums: dict, n_layers: int, n_heads: int):
    """-> list of (summary, layer, head, list over examples of [n] arrays)."""
    out = []
    for name, per in sums.items():
        if name == "cls_head":
            for i in range(n_layers):
                for h in range(n_heads):
                    out.append((name, i, h, [v[i, h] for v in per]))
        elif name in ("mean_heads", "received"):
            for i in range(n_layers):
                out.append((name, i, -1, [v[i] for v in per]))
        else:
            out.append((name, -1, -1, list(per)))
    return out


def tau_table(sums: dict, attrs: dict, n_layers: int, n_heads: int) -> list[dict]:
    """Kendall tau-b of every (summary, attribution) pair per example, in one batched call.
    Columns: example (index), summary, layer, head, method, method_layer, tau, p, n_tokens."""
    from seatlib.agreement import kendall_tau_b_ragged

    rows, xs, ys = [], [], []
    for name, layer, head, per in summary_rows(sums, n_layers, n_heads):
        for (method, m_layer), values in attrs.items():
            for e, (s, a) in enumerate(zip(per, values, strict=True)):
                rows.append({"example": e, "summary": name, "layer": layer, "head": head,
                             "method": method, "method_layer": m_layer, "n_tokens": len(s)})
                xs.append(s)
                ys.append(np.abs(a))
    if not rows:
        return []
    tau, p = kendall_tau_b_ragged(xs, ys)
    for r, t, q in zip(rows, tau, p, strict=True):
        r["tau"], r["p"] = float(t), float(q)
    return rows


def heads_vs_attention(max_attention: np.ndarray, max_attribution: np.ndarray) -> dict:
    """[N, L, H] per-example head maxima -> per example: Kendall tau over the heads between max
    attention and max AttAttr, and the AttAttr rank (0 = largest) of the most-attending head."""
    from seatlib.agreement import kendall_tau_b

    N = max_attention.shape[0]
    att = max_attention.reshape(N, -1)
    attr = max_attribution.reshape(N, -1)
    tau, p = kendall_tau_b(att, attr)
    top = att.argmax(1)
    order = np.argsort(-attr, axis=1, kind="stable")
    rank = np.argmax(order == top[:, None], axis=1)
    return {"tau": tau, "p": p, "top_head": top, "top_head_attr_rank": rank}


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q) of a 1-D array; NaN stays NaN and is not
    counted among the tests."""
    p = np.asarray(p, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return q
    vals = p[ok]
    order = np.argsort(vals, kind="stable")
    ranked = vals[order] * m / np.arange(1, m + 1)
    adj = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    q[ok] = out
    return q


def head_ttests(cube: np.ndarray, correct: np.ndarray) -> dict:
    """The attentionBias per-head test (spec 2.6, item 2): for every (layer, head), Student's
    two-sample t-test (``scipy.stats.ttest_ind``, equal variances, as the original) of a
    per-example head value ``cube`` [N, L, H] between the correctly and wrongly predicted
    examples, all heads in one vectorised call. The original reads p < 0.05 over the 144 heads
    uncorrected; q adds the Benjamini-Hochberg correction over the L x H tests.
    -> arrays [L, H]: n_correct, n_wrong, mean_correct, mean_wrong, t, p, q (NaN when a group
    has fewer than 2 examples or both groups are constant)."""
    from scipy import stats

    cube = np.asarray(cube, dtype=np.float64)
    correct = np.asarray(correct, dtype=bool)
    a, b = cube[correct], cube[~correct]
    shape = cube.shape[1:]
    nan = np.full(shape, np.nan)
    out = {"n_correct": np.full(shape, len(a)), "n_wrong": np.full(shape, len(b)),
           "mean_correct": a.mean(0) if len(a) else nan,
           "mean_wrong": b.mean(0) if len(b) else nan}
    if len(a) >= 2 and len(b) >= 2:
        import warnings

        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # constant heads: NaN, as wanted
            res = stats.ttest_ind(a, b, axis=0, equal_var=True)
        t, p = np.asarray(res.statistic, dtype=np.float64), np.asarray(res.pvalue, np.float64)
    else:
        t, p = nan.copy(), nan.copy()
    out["t"], out["p"] = t, p
    out["q"] = benjamini_hochberg(p.ravel()).reshape(shape)
    return out
