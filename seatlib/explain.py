"""Explain one text with a trained word model of the pipeline (``seatlib explain``).

``load_word_model(model_dir)`` loads ``results/models/{dataset}/{model}/seed{seed}/`` (weights,
``config.json``) with the dataset's vocabulary (``results/data/prepared/{dataset}/vocab.txt``,
found from the folder, or given) and label names (``seatlib.data.sources.DATASETS``; "class k"
for a user dataset). ``explain_texts`` runs the model and the importance methods of the
project's registry (``seatlib.importance.METHODS``) on a batch of texts and returns, per text,
the prediction, the attention and every method's per-token scores over the words, and Kendall
tau-b between attention and each method (``seatlib.agreement``; signed scores ranked by
magnitude, as in the JW track). ``render_terminal`` / ``render_html`` / ``as_json`` format them.

Every error is a ``ExplainError`` with one line naming what was wrong.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_METHODS = ("gradient", "loo", "integrated_gradients")
SHORT = {"integrated_gradients": "int.grad.", "gradient_shap": "grad.SHAP",
         "deeplift_shap": "DL.SHAP"}  # column heads of the plain-text table


class ExplainError(ValueError):
    """A one-line user error of ``seatlib explain``."""


@dataclass
class WordModel:
    model: object
    vocab: list[str]
    label_names: tuple[str, ...]
    dataset: str
    name: str
    path: Path


def _find_vocab(model_dir: Path, dataset: str) -> Path:
    """results/models/{dataset}/{model}/seed{seed}/ -> results/data/prepared/{dataset}/vocab.txt"""
    parts = model_dir.resolve().parents
    if len(parts) >= 4:
        return parts[3] / "data" / "prepared" / dataset / "vocab.txt"
    return model_dir / "vocab.txt"


def load_word_model(model_dir, vocab_path=None) -> WordModel:
    from seatlib.checkpoint import load_model
    from seatlib.data.prepare import read_vocab
    from seatlib.data.sources import DATASETS

    model_dir = Path(model_dir)
    weights, config = model_dir / "model.safetensors", model_dir / "config.json"
    if not model_dir.is_dir() or not weights.is_file() or not config.is_file():
        raise ExplainError(f"{model_dir}: no trained model here (expected model.safetensors and "
                           "config.json, as in results/models/{dataset}/{model}/seed{seed}/)")
    try:
        model, cfg = load_model(weights, config)
    except (ValueError, KeyError, OSError, json.JSONDecodeError) as err:
        raise ExplainError(f"{model_dir}: cannot load the model ({str(err).splitlines()[0]})") \
            from None
    dataset = str(cfg.get("dataset", ""))
    vocab_file = Path(vocab_path) if vocab_path else _find_vocab(model_dir, dataset)
    if not vocab_file.is_file():
        raise ExplainError(f"{vocab_file}: vocabulary not found (the model's dataset "
                           f"{dataset!r}); pass --vocab PATH")
    vocab = read_vocab(vocab_file)
    if len(vocab) != model.cfg.vocab_size:
        raise ExplainError(f"{vocab_file}: {len(vocab)} words, but the model in {model_dir} has "
                           f"a vocabulary of {model.cfg.vocab_size}")
    n = model.cfg.n_classes
    spec = DATASETS.get(dataset)
    names = tuple(spec.label_names) if spec and len(spec.label_names) == n else \
        tuple(f"class {k}" for k in range(n))
    name = str(cfg.get("model_name", model_dir.parent.name))
    return WordModel(model, vocab, names, dataset, name, model_dir)


def dataset_text(text: str, dataset: str) -> str:
    """The raw text as the dataset's reader gives it to the cleaner: SST's reader (JW's) turns
    every non-word character into a space, so a sentence typed with punctuation reads as the
    model's training sentences did; the other datasets go to the cleaner as they are."""
    if dataset == "sst":
        from seatlib.data.readers import sst_text

        return sst_text(text.split())
    return text


def encode_texts(texts: list[str], vocab: list[str], vocab_name: str = "the vocabulary",
                 dataset: str = "") -> pd.DataFrame:
    """Texts -> a frame of schema "split" (label 0); one-line errors for an empty text or a
    text without any known word."""
    from seatlib.data.prepare import encode
    from seatlib.data.text import UNK, clean

    index = {w: i for i, w in enumerate(vocab)}
    rows = []
    for k, text in enumerate(texts, 1):
        tokens = clean(dataset_text(text, dataset))
        if not tokens:
            raise ExplainError(f"text {k} is empty (expected at least one word)")
        ids = encode(tokens, index)
        if all(i == index[UNK] for i in ids[1:-1]):
            raise ExplainError(f"text {k} ({text[:40]!r}): no word of it is in {vocab_name} "
                               f"({len(vocab)} words)")
        rows.append({"example_id": f"text-{k}", "text": text, "tokens": tokens,
                     "token_ids": ids, "label": 0})
    if not rows:
        raise ExplainError("no text to explain (give TEXT or --file with one text a line)")
    return pd.DataFrame(rows)


def check_methods(methods: list[str]) -> list[str]:
    from seatlib.importance import METHODS

    bad = [m for m in methods if m not in METHODS]
    if bad:
        raise ExplainError(f"method {bad[0]!r} is not one the word model can do; expected some "
                           f"of {sorted(METHODS)}")
    if not methods:
        raise ExplainError(f"no method given; expected some of {sorted(METHODS)}")
    return list(dict.fromkeys(methods))


def explain_texts(wm: WordModel, texts: list[str], methods=DEFAULT_METHODS, *, n_steps: int = 50,
                  baseline: str = "pad", device="cpu", batch_size: int = 64) -> list[dict]:
    """Per text: tokens, prediction, attention and each method's scores over the words, and
    Kendall tau-b (and p) of attention against each method over the words."""
    import torch

    from seatlib.agreement import kendall_tau_b_ragged
    from seatlib.importance import compute_importance
    from seatlib.predict import run_model

    methods = check_methods(list(methods))
    split = encode_texts(texts, wm.vocab, "the model's vocabulary", wm.dataset)
    unk = wm.vocab.index("<UNK>")
    with torch.no_grad():
        probs, attention = run_model(wm.model, list(split["token_ids"]), batch_size, device)
    scores = {m: compute_importance(wm.model, split, m, device=device, batch_size=batch_size,
                                    n_steps=n_steps, baseline=baseline) for m in methods}
    words = [slice(1, len(ids) - 1) for ids in split["token_ids"]]
    att = [a[s] for a, s in zip(attention, words, strict=True)]
    taus = {}
    for m in methods:
        imp = [np.abs(v[s]) for v, s in zip(scores[m], words, strict=True)]
        taus[m] = kendall_tau_b_ragged(att, imp)
    out = []
    for i, row in enumerate(split.itertuples()):
        p = probs[i]
        k = int(np.argmax(p))
        out.append({
            "text": row.text,
            "tokens": list(row.tokens),
            "unknown": [int(t) == unk for t in row.token_ids[1:-1]],
            "prediction": wm.label_names[k],
            "probability": float(p[k]),
            "probabilities": {name: float(q) for name, q in zip(wm.label_names, p, strict=True)},
            "attention": [float(v) for v in att[i]],
            "importance": {m: [float(v) for v in scores[m][i][words[i]]] for m in methods},
            "kendall_tau": {m: _num(taus[m][0][i]) for m in methods},
            "kendall_p": {m: _num(taus[m][1][i]) for m in methods},
        })
    return out


def _num(v) -> float | None:
    v = float(v)
    return None if math.isnan(v) else v


def _norm(values) -> np.ndarray:
    """|v| / max |v| in [0, 1] (all zeros stay zero)."""
    a = np.abs(np.asarray(values, dtype=np.float64))
    top = a.max() if a.size else 0.0
    return a / top if top > 0 else a


def _rows(item: dict) -> list[tuple[str, list[float]]]:
    return [("attention", item["attention"]), *item["importance"].items()]


def _fmt_tau(item: dict, m: str) -> str:
    t, p = item["kendall_tau"][m], item["kendall_p"][m]
    return "n/a (fewer than 2 words or constant scores)" if t is None else f"{t:+.3f} (p={p:.3g})"


def header(wm: WordModel, item: dict, k: int) -> str:
    probs = ", ".join(f"{n} {q:.3f}" for n, q in item["probabilities"].items())
    return (f"[{k}] {item['text']}\n    model {wm.dataset}/{wm.name} ({wm.path}); prediction: "
            f"{item['prediction']} (p={item['probability']:.3f}; {probs})")


def render_terminal(wm: WordModel, items: list[dict], color: bool) -> str:
    """A heatmap per text: one line per score (attention, each method), each token's background
    as dark as its score relative to that line's largest |score|. Without colour: a table of
    tokens x scores (normalised, 0..1, per line) that reads in a log file."""
    out = []
    for k, item in enumerate(items, 1):
        out.append(header(wm, item, k))
        rows = _rows(item)
        width = max(len(name) for name, _ in rows)
        if color:
            for name, values in rows:
                cells = []
                for tok, v in zip(item["tokens"], _norm(values), strict=True):
                    shade = 255 - int(round(200 * v))
                    cells.append(f"\x1b[48;2;255;{shade};{shade}m\x1b[38;2;0;0;0m{tok}\x1b[0m")
                out.append(f"    {name:<{width}}  " + " ".join(cells))
        else:
            names = [n for n, _ in rows]
            tw = max(5, *(len(t) for t in item["tokens"]))
            cols = "  ".join(f"{SHORT.get(n, n)[:10]:>10}" for n in names)
            out.append(f"    {'token':<{tw}}  {cols}   (each column / its max |score|)")
            norms = [_norm(v) for _, v in rows]
            for j, tok in enumerate(item["tokens"]):
                mark = "*" if item["unknown"][j] else " "
                vals = "  ".join(f"{n[j]:>10.2f}" for n in norms)
                out.append(f"    {tok:<{tw}}{mark} {vals}")
            if any(item["unknown"]):
                out.append("    * not in the vocabulary (read as <UNK>)")
        out.append("    Kendall tau-b, attention vs " + "; ".join(
            f"{m}: {_fmt_tau(item, m)}" for m in item["importance"]))
        out.append("")
    return "\n".join(out)


def render_html(wm: WordModel, items: list[dict]) -> str:
    """A self-contained page (inline CSS, no script, no external resource)."""
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             "<title>seatlib explain</title><style>body{font-family:sans-serif;margin:2em}"
             "table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{padding:2px 6px;"
             "text-align:left}td.tok span{padding:1px 3px;border-radius:3px}"
             ".note{color:#555;font-size:90%}</style></head><body>",
             f"<h1>{html.escape(wm.dataset)} / {html.escape(wm.name)}</h1>",
             f"<p class='note'>Model folder {html.escape(str(wm.path))}. Each row shades every "
             "word by its score relative to the row's largest |score| (white 0, red the "
             "largest). Kendall tau-b compares the ranking of the words by attention with "
             "their ranking by each method (|score|).</p>"]
    for k, item in enumerate(items, 1):
        probs = ", ".join(f"{html.escape(n)} {q:.3f}" for n, q in item["probabilities"].items())
        parts.append(f"<h2>[{k}] {html.escape(item['text'])}</h2><p>prediction: <b>"
                     f"{html.escape(item['prediction'])}</b> (p={item['probability']:.3f}; "
                     f"{probs})</p><table><tr><th>score</th><th>words</th>"
                     "<th>Kendall tau-b vs attention</th></tr>")
        for name, values in _rows(item):
            cells = []
            for tok, v, raw in zip(item["tokens"], _norm(values), values, strict=True):
                shade = 255 - int(round(200 * v))
                cells.append(f"<span style='background:rgb(255,{shade},{shade})' "
                             f"title='{raw:.4g}'>{html.escape(tok)}</span>")
            tau = "" if name == "attention" else html.escape(_fmt_tau(item, name))
            parts.append(f"<tr><th>{html.escape(name)}</th><td class='tok'>{' '.join(cells)}"
                         f"</td><td>{tau}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "".join(parts)


def as_json(wm: WordModel, items: list[dict]) -> str:
    return json.dumps({"model": str(wm.path), "dataset": wm.dataset, "name": wm.name,
                       "label_names": list(wm.label_names), "texts": items}, indent=1)
