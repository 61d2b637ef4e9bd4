"""One function per rule of workflow/rules/attattr.smk (docs/attattr.md). torch and
transformers are imported inside the functions that need them."""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd

from seatlib.schema import TABLES, read_table, write_table

log = logging.getLogger("seatlib.attattr.steps")


def _key(job) -> dict:
    return {"dataset": job.wildcards.dataset, "model": job.params.model,
            "seed": int(job.wildcards.seed)}


def _setup(job):
    """(device, seed) with torch seeded and its threads set to the job's."""
    from seatlib.device import resolve_device, seed_everything

    seed = int(job.wildcards.seed) if hasattr(job.wildcards, "seed") else 0
    seed_everything(seed, job.threads)
    return resolve_device(job.params.device), seed


def _first_dev(job, n):
    """The first n dev examples (all of them when n is None)."""
    dev = read_table(job.input.dev, "split")
    return dev.iloc[:n] if n is not None else dev


def _load(job, device):
    from seatlib.attattr.model import Classifier

    return Classifier.from_pretrained(os.path.dirname(job.input.weights)).to(device).eval()


def attattr_tokenize(job) -> None:
    """raw dataset -> WordPiece train/dev split tables (seeded subsets)."""
    from seatlib.attattr.tokenize import encode_split, load_tokenizer, subsample
    from seatlib.data.readers import read_dataset

    p = job.params
    frame = read_dataset(job.wildcards.dataset, job.input.raw)
    tokenizer = load_tokenizer(p.model)
    sizes = {"train": p.data["train_examples"], "dev": p.data["dev_examples"]}
    encoded = {}
    for split, n in sizes.items():
        part = subsample(frame[frame["split"] == split], n, p.data["seed"])
        encoded[split], _ = encode_split(part, tokenizer, p.max_length,
                                         f"{job.wildcards.dataset} {split}")
        log.info("%s %s: %d examples, mean %.1f WordPieces", job.wildcards.dataset, split,
                 len(part), np.mean([len(t) for t in encoded[split]["token_ids"]]))
    for split, df in encoded.items():
        write_table(df, job.output[split], "split")


def attattr_finetune(job) -> None:
    """train/dev split tables -> the fine-tuned model folder and its epochs table."""
    import time

    from seatlib.attattr.finetune import FinetuneConfig, finetune
    from seatlib.attattr.model import Classifier
    from seatlib.data.sources import get_spec

    device, seed = _setup(job)
    train = read_table(job.input.train, "split")
    dev = read_table(job.input.dev, "split")
    n_labels = len(get_spec(job.wildcards.dataset).label_names)
    top = int(max(train["label"].max(), dev["label"].max()))
    if top >= n_labels:
        raise ValueError(f"{job.input.train}: label {top} but dataset "
                         f"{job.wildcards.dataset!r} has {n_labels} classes")
    model = Classifier.from_pretrained(job.params.model, n_labels=n_labels, seed=seed)
    if model.config.n_labels < n_labels:
        raise ValueError(f"attattr.model: {job.params.model!r} has a {model.config.n_labels}-"
                         f"class head but {job.wildcards.dataset!r} has {n_labels} labels")
    cfg = FinetuneConfig.from_dict(job.params.finetune)
    start = time.perf_counter()
    _, frame, _ = finetune(model, train, dev, cfg, seed, device,
                           name=f"attattr {job.wildcards.dataset} seed {seed}")
    log.info("fine-tuned in %.1f s", time.perf_counter() - start)
    model.cpu().save_pretrained(os.path.dirname(job.output.weights))
    for column, value in reversed(_key(job).items()):
        frame.insert(0, column, value)
    write_table(frame, job.output.epochs, "attattr_epochs")


def attattr_heads(job) -> None:
    """AttAttr of the first n dev examples: per example x layer x head maxima, and the full
    matrices of the first save_examples examples."""
    import time

    from seatlib.attattr.attribution import AttributionConfig, attribute

    device, _ = _setup(job)
    p = job.params.attribution
    dev = _first_dev(job, p["n_examples"])
    model = _load(job, device)
    token_ids = list(dev["token_ids"])
    keep = range(min(p["save_examples"], len(dev)))
    start = time.perf_counter()
    res = attribute(model, token_ids, dev["label"].to_numpy(), AttributionConfig.from_dict(p),
                    device, keep_matrices=keep)
    seconds = time.perf_counter() - start
    log.info("AttAttr of %d examples (m=%d, %s rule) in %.1f s: %.3f s per example",
             len(dev), p["steps"], p["rule"], seconds, seconds / max(len(dev), 1))
    L, H = res.max_attribution.shape[1:]
    n = len(dev)
    ex = np.repeat(np.arange(n), L * H)
    rows = pd.DataFrame({
        **_key(job), "example_id": dev["example_id"].to_numpy()[ex],
        "layer": np.tile(np.repeat(np.arange(L), H), n), "head": np.tile(np.arange(H), n * L),
        "max_attribution": res.max_attribution.ravel(), "max_attention": res.max_attention.ravel(),
        "label": dev["label"].to_numpy()[ex], "pred": res.pred[ex], "target": res.target[ex],
        "prob": res.prob[ex]})
    write_table(rows, job.output.heads, "attattr_head_attribution")
    mats = []
    for e, m in sorted(res.matrices.items()):
        tokens = ["[CLS]", *dev["tokens"].iloc[e], "[SEP]"]
        for layer in range(L):
            for head in range(H):
                mats.append({**_key(job), "example_id": dev["example_id"].iloc[e],
                             "layer": layer, "head": head, "n_tokens": m.shape[-1],
                             "tokens": tokens, "attribution": m[layer, head].ravel()})
    columns = TABLES["attattr_matrices"].names
    write_table(pd.DataFrame(mats, columns=columns), job.output.matrices, "attattr_matrices")


def _cube(heads: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """attattr_head_attribution rows -> (example ids in sorted order, [N, L, H] of column)."""
    rows = heads.sort_values(["example_id", "layer", "head"], kind="stable")
    ids = rows["example_id"].drop_duplicates().to_numpy()
    L, H = int(heads["layer"].max()) + 1, int(heads["head"].max()) + 1
    return ids, rows[column].to_numpy().reshape(len(ids), L, H)


def _grid(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    L, H = values.shape
    return np.repeat(np.arange(L), H), np.tile(np.arange(H), L)


def attattr_score_heads(job) -> None:
    """Four rankings of the heads: attattr, attention, taylor, random (one per seed)."""
    from seatlib.attattr.heads import random_importance, rank_of, summed, taylor_importance

    device, _ = _setup(job)
    p = job.params.heads
    heads = read_table(job.input.heads, "attattr_head_attribution")
    L, H = int(heads["layer"].max()) + 1, int(heads["head"].max()) + 1
    cube = {c: _cube(heads, c)[1] for c in ("max_attribution", "max_attention")}
    dev = read_table(job.input.dev, "split")
    examples = dev[dev["example_id"].isin(set(heads["example_id"]))]
    model = _load(job, device)
    importances = {("attattr", 0): summed(cube["max_attribution"]),
                   ("attention", 0): summed(cube["max_attention"]),
                   ("taylor", 0): taylor_importance(model, list(examples["token_ids"]),
                                                    examples["label"].to_numpy(), device,
                                                    score=p["taylor"])}
    for s in p["random_seeds"]:
        importances[("random", int(s))] = random_importance(L, H, int(s))
    frames = []
    for (name, s), imp in importances.items():
        layer, head = _grid(imp)
        frames.append(pd.DataFrame({**_key(job), "ranking": name, "ranking_seed": s,
                                    "layer": layer, "head": head, "importance": imp.ravel(),
                                    "rank": rank_of(imp).ravel()}))
    write_table(pd.concat(frames, ignore_index=True), job.output.importance,
                "attattr_head_importance")


def attattr_prune(job) -> None:
    """Accuracy on dev with 0..100% of the heads pruned, per ranking (+ per-example AttAttr)."""
    from seatlib.attattr.prune import per_example_accuracy, pruning_accuracy

    device, _ = _setup(job)
    p = job.params.prune
    fractions = tuple(p["fractions"])
    imp = read_table(job.input.importance, "attattr_head_importance")
    L, H = int(imp["layer"].max()) + 1, int(imp["head"].max()) + 1
    importances = {}
    for (name, s), g in imp.groupby(["ranking", "ranking_seed"], sort=False):
        g = g.sort_values(["layer", "head"])
        importances[(name, int(s))] = g["importance"].to_numpy().reshape(L, H)
    dev = read_table(job.input.dev, "split")
    model = _load(job, device)
    labels = dev["label"].to_numpy()
    keys = list(importances)
    rows = pruning_accuracy(model, list(dev["token_ids"]), labels,
                            {i: importances[k] for i, k in enumerate(keys)}, device, fractions,
                            p["batch_size"])
    out = [{**_key(job), "ranking": keys[r["ranking"]][0], "ranking_seed": keys[r["ranking"]][1],
            **{k: v for k, v in r.items() if k != "ranking"}, "n_examples": len(dev)}
           for r in rows]
    if p["per_example"]:
        heads = read_table(job.input.heads, "attattr_head_attribution")
        ex_ids, per = _cube(heads, "max_attribution")
        n = len(ex_ids)
        sub = dev.set_index("example_id").loc[ex_ids]
        for r in per_example_accuracy(model, list(sub["token_ids"]), sub["label"].to_numpy(),
                                      per, device, fractions, p["batch_size"]):
            out.append({**_key(job), "ranking": "attattr_per_example", "ranking_seed": 0, **r,
                        "n_examples": n})
    write_table(pd.DataFrame(out), job.output.pruning, "attattr_pruning")
    for r in out:
        if r["fraction"] in (0.0, 0.3, 0.5, 0.7):
            log.info("%s(%d) %.0f%% pruned: accuracy %.4f", r["ranking"], r["ranking_seed"],
                     100 * r["fraction"], r["accuracy"])


def attattr_table_pruning(job) -> None:
    from seatlib.attattr.tables import pruning_summary
    from seatlib.markdown import write_markdown

    frame = pd.concat([read_table(f, "attattr_pruning") for f in job.input], ignore_index=True)
    summary = pruning_summary(frame)
    write_table(summary, job.output.parquet, "attattr_pruning_summary")
    write_markdown(summary, job.output.markdown, "AttAttr: dev accuracy vs fraction of heads "
                   "pruned (random: mean and sd over its seeds)")


def attattr_table_finetune(job) -> None:
    from seatlib.attattr.tables import finetune_summary
    from seatlib.markdown import write_markdown

    frames = [read_table(f, "attattr_epochs") for f in job.input.epochs]
    n = [(len(read_table(t, "split")), len(read_table(d, "split")))
         for t, d in zip(job.input.train, job.input.dev, strict=True)]
    summary = finetune_summary(frames, n)
    write_table(summary, job.output.parquet, "attattr_finetune")
    write_markdown(summary, job.output.markdown, "AttAttr: fine-tuned classifiers (dev split)")


def _figure(job, draw, name: str, table: str) -> None:
    draw(read_table(getattr(job.input, name), table), job.output.pdf, job.output.png)


def attattr_fig_pruning(job) -> None:
    from seatlib.figures.attattr_pruning import draw_pruning

    _figure(job, draw_pruning, "pruning", "attattr_pruning")


def attattr_fig_heads(job) -> None:
    from seatlib.figures.attattr_heads import draw_heads

    _figure(job, draw_heads, "importance", "attattr_head_importance")


# --- part two: attribution trees, adversarial triggers, attention vs attribution ------------

def attattr_tree(job) -> None:
    """attattr_matrices -> the attribution tree of every saved example (edges at the reference
    threshold) and how the tree moves with the threshold."""
    from seatlib.attattr.tree import build_tree, stability

    p = job.params.tree
    mats = read_table(job.input.matrices, "attattr_matrices")
    edges, stab = [], []
    for ex, g in mats.groupby("example_id", sort=False):
        g = g.sort_values(["layer", "head"])
        L, H = int(g["layer"].max()) + 1, int(g["head"].max()) + 1
        n = int(g["n_tokens"].iloc[0])
        attr = np.stack(g["attribution"].to_numpy()).reshape(L, H, n, n)
        tokens = list(g["tokens"].iloc[0])
        tree = build_tree(attr, p["threshold"])
        for k, (layer, i, j, w) in enumerate(tree.edges):
            hq, hk = tree.edge_heights(k)
            edges.append({**_key(job), "example_id": ex, "threshold": p["threshold"],
                          "layer": layer, "query": i, "key": j, "query_token": tokens[i],
                          "key_token": tokens[j], "weight": w, "query_height": hq,
                          "key_height": hk})
        for r in stability(attr, p["thresholds"], p["threshold"]):
            stab.append({**_key(job), "example_id": ex, **r, "reference": p["threshold"],
                         "n_tokens": n})
        log.info("tree of %s: top node %r, %d edges", ex, tokens[tree.top], len(tree.edges))
    write_table(pd.DataFrame(edges, columns=TABLES["attattr_tree_edges"].names),
                job.output.edges, "attattr_tree_edges")
    write_table(pd.DataFrame(stab, columns=TABLES["attattr_tree_stability"].names),
                job.output.stability, "attattr_tree_stability")


def attattr_fig_tree(job) -> None:
    from seatlib.attattr.figures import draw_trees

    _figure(job, draw_trees, "edges", "attattr_tree_edges")


def attattr_triggers(job) -> None:
    """Adversarial triggers (spec 1.6): patterns from the AttAttr of training examples,
    inserted into the dev examples of the other labels, against random patterns."""
    import time

    from seatlib.attattr.attribution import AttributionConfig, attribute
    from seatlib.attattr.prune import masked_predictions
    from seatlib.attattr.triggers import insert, make_pattern, random_pattern, select_patterns

    device, seed = _setup(job)
    p = job.params.triggers
    train = read_table(job.input.train, "split")
    dev = read_table(job.input.dev, "split")
    model = _load(job, device)
    sep = int(dev["token_ids"].iloc[0][-1])
    # a text is at most max_length WordPieces, so the threshold is capped there
    min_tokens = min(p["min_tokens"], job.params.max_length)
    long = train[train["token_ids"].map(len) >= min_tokens]
    src = long.iloc[: p["train_examples"]] if p["train_examples"] is not None else long
    if len(src) == 0:
        raise ValueError(f"{job.input.train}: no training example has at least "
                         f"attattr.triggers.min_tokens = {min_tokens} WordPieces")
    cfg = AttributionConfig.from_dict({**job.params.attribution, "steps": p["steps"],
                                       "target": "predicted"})
    rows = list(src["token_ids"])
    start = time.perf_counter()
    res = attribute(model, rows, src["label"].to_numpy(), cfg, device,
                    keep_matrices=range(len(src)))
    log.info("AttAttr of %d training examples (m=%d) in %.1f s", len(src), p["steps"],
             time.perf_counter() - start)
    labels = src["label"].to_numpy()
    cands = [make_pattern(res.matrices[e], rows[e], labels[e], e, sep, p["ratio"], p["use_all"])
             for e in range(len(src))]
    patterns = select_patterns([c for c in cands if c is not None], p["per_label"],
                               p["min_score"])
    rng = np.random.default_rng(seed)
    dev_ids = list(dev["token_ids"])
    dev_labels = dev["label"].to_numpy()
    ones = np.ones((1, model.config.n_layers, model.config.n_heads))
    before = masked_predictions(model, dev_ids, ones, device, p["batch_size"])[0]
    jobs = []  # (pattern index, kind, control, Pattern, gold label attacked, dev indices)
    for k, pat in enumerate(patterns):
        controls = [("attattr", 0, pat)] + [
            ("random", c, random_pattern(rng, rows, len(pat.token_ids), sep, pat.label))
            for c in range(p["random_controls"])]
        for g in sorted(set(dev_labels.tolist()) - {pat.label}):
            idx = np.flatnonzero(dev_labels == g)
            for kind, c, q in controls:
                jobs.append((k, kind, c, q, g, idx))
    seqs = [insert(dev_ids[i], q.token_ids, q.segments, q.rel, sep)
            for _, _, _, q, _, idx in jobs for i in idx]
    after = (masked_predictions(model, seqs, ones, device, p["batch_size"])[0]
             if seqs else np.zeros(0, dtype=np.int64))
    out, offset = [], 0
    tok = _tokens_of(job.params.model)
    for k, kind, c, q, g, idx in jobs:
        pred = after[offset:offset + len(idx)]
        offset += len(idx)
        out.append({**_key(job), "pattern": k, "kind": kind, "control": c,
                    "pattern_label": q.label,
                    "source_example_id": str(src["example_id"].iloc[q.source]),
                    "tokens": tok(q.token_ids), "token_ids": np.asarray(q.token_ids, np.int32),
                    "rel_positions": np.asarray(q.rel, dtype=np.float64), "score": q.score,
                    "gold_label": g, "n_examples": len(idx),
                    "accuracy_before": float((before[idx] == g).mean()),
                    "accuracy_after": float((pred == g).mean())})
        if kind == "attattr":
            log.info("pattern %d %s (label %d) on gold %d: accuracy %.3f -> %.3f", k,
                     out[-1]["tokens"], q.label, g, out[-1]["accuracy_before"],
                     out[-1]["accuracy_after"])
    write_table(pd.DataFrame(out, columns=TABLES["attattr_triggers"].names), job.output.triggers,
                "attattr_triggers")


def _tokens_of(model_name: str):
    """ids -> WordPiece strings with the model's tokenizer."""
    from seatlib.attattr.tokenize import load_tokenizer

    tokenizer = load_tokenizer(model_name)
    return lambda ids: list(tokenizer.convert_ids_to_tokens([int(i) for i in ids]))


def attattr_table_triggers(job) -> None:
    from seatlib.attattr.summaries import triggers_summary
    from seatlib.io import write_text
    from seatlib.markdown import to_markdown

    frame = pd.concat([read_table(f, "attattr_triggers") for f in job.input], ignore_index=True)
    summary = triggers_summary(frame)
    write_table(summary, job.output.parquet, "attattr_triggers_summary")
    pats = frame[frame["kind"] == "attattr"].copy()
    pats["tokens"] = pats["tokens"].map(" ".join)
    cols = ["dataset", "model", "seed", "pattern", "pattern_label", "source_example_id",
            "tokens", "score", "gold_label", "n_examples", "accuracy_before", "accuracy_after"]
    write_text("# AttAttr adversarial triggers: dev accuracy per gold label\n\n"
               + to_markdown(summary) + "\n## The patterns\n\n" + to_markdown(pats[cols]),
               job.output.markdown)


def attattr_bias(job) -> None:
    """Attention summaries against captum token attributions per dev example, layer and head;
    AttAttr against raw attention per head."""
    import time

    from seatlib.attattr.bias import analyse, heads_vs_attention, tau_table

    device, seed = _setup(job)
    p = job.params.bias
    dev = _first_dev(job, p["n_examples"])
    model = _load(job, device)
    L, H = model.config.n_layers, model.config.n_heads
    start = time.perf_counter()
    sums, attrs, _ = analyse(model, list(dev["token_ids"]), p["methods"], device, p["steps"],
                             p["n_samples"], p["batch_size"], seed)
    log.info("captum %s on %d examples in %.1f s", p["methods"], len(dev),
             time.perf_counter() - start)
    ids = dev["example_id"].to_numpy()
    rows = tau_table(sums, attrs, L, H)
    frame = pd.DataFrame(rows, columns=["example", "summary", "layer", "head", "method",
                                        "method_layer", "n_tokens", "tau", "p"])
    frame.insert(0, "example_id", ids[frame["example"].to_numpy()] if len(frame) else [])
    frame = frame.drop(columns="example")
    undefined = frame["tau"].isna()
    if undefined.any():  # fewer than two inner tokens, or a constant signal (all ties)
        log.info("%d of %d (summary, attribution, example) pairs have no tau (ties "
                 "everywhere or < 2 tokens); left out", int(undefined.sum()), len(frame))
        frame = frame[~undefined].reset_index(drop=True)
    for column, value in reversed(_key(job).items()):
        frame.insert(0, column, value)
    write_table(frame, job.output.tau, "attattr_bias_tau")
    for s in ("cls_head", "mean_heads", "last", "rollout", "received"):
        sel = frame[frame["summary"] == s]
        log.info("mean tau %s: %s", s, sel.groupby("method")["tau"].mean().round(3).to_dict())
    tokens = []
    for e in range(min(p["figure_examples"], len(dev))):
        toks = list(dev["tokens"].iloc[e])
        signals = [("rollout", -1, sums["rollout"][e]), ("last", -1, sums["last"][e])]
        signals += [("mean_heads", i, sums["mean_heads"][e][i]) for i in range(L)]
        signals += [(m, i, v[e]) for (m, i), v in attrs.items()]
        for name, layer, v in signals:
            tokens.append({**_key(job), "example_id": ids[e], "signal": name, "layer": layer,
                           "tokens": toks, "values": np.asarray(v, dtype=np.float64)})
    write_table(pd.DataFrame(tokens, columns=TABLES["attattr_bias_tokens"].names),
                job.output.tokens, "attattr_bias_tokens")
    heads = read_table(job.input.heads, "attattr_head_attribution")
    ex_ids, att = _cube(heads, "max_attention")
    _, attr = _cube(heads, "max_attribution")
    hv = heads_vs_attention(att, attr)
    write_table(pd.DataFrame({**_key(job), "example_id": ex_ids, "tau": hv["tau"], "p": hv["p"],
                              "top_attention_layer": hv["top_head"] // H,
                              "top_attention_head": hv["top_head"] % H,
                              "top_attention_attr_rank": hv["top_head_attr_rank"],
                              "n_heads": L * H}),
                job.output.heads_vs_attention, "attattr_heads_vs_attention")


def attattr_table_bias(job) -> None:
    from seatlib.attattr.summaries import bias_summary
    from seatlib.io import write_text
    from seatlib.markdown import to_markdown

    frame = pd.concat([read_table(f, "attattr_bias_tau") for f in job.input.tau],
                      ignore_index=True)
    summary = bias_summary(frame)
    write_table(summary, job.output.parquet, "attattr_bias_summary")
    hv = pd.concat([read_table(f, "attattr_heads_vs_attention")
                    for f in job.input.heads_vs_attention], ignore_index=True)
    hv_sum = hv.groupby(["dataset", "model", "seed"]).agg(
        n_examples=("tau", "size"), mean_tau=("tau", "mean"),
        frac_significant=("p", lambda s: float((s < 0.05).mean())),
        mean_attr_rank_of_top_attention_head=("top_attention_attr_rank", "mean"),
        n_heads=("n_heads", "first")).reset_index()
    pooled = summary[summary["layer"] == -1]
    tests = pd.concat([head_ttest_rows(read_table(f, "attattr_head_attribution"))
                       for f in job.input.heads], ignore_index=True)
    write_table(tests, job.output.ttests, "attattr_head_ttests")
    n_sig = tests.groupby(["dataset", "model", "seed", "signal"]).agg(
        n_correct=("n_correct", "first"), n_wrong=("n_wrong", "first"),
        heads_tested=("defined", "sum"),
        significant_p05=("p", lambda s: int((s < 0.05).sum())),
        significant_q05=("q", lambda s: int((s < 0.05).sum())),
        min_q=("q", "min")).reset_index()
    write_text("# Attention vs attribution: mean Kendall tau per attention summary and method "
               "(layer -1: pooled over layers and heads)\n\n" + to_markdown(pooled)
               + "\n## AttAttr vs raw attention per head (tau over heads of max attention vs "
               "max attribution, per example)\n\n" + to_markdown(hv_sum)
               + "\n## Heads that separate correct from mispredicted examples (attentionBias "
               "per-head Student t-test of each head's max attention / max AttAttr; p "
               "uncorrected as the original, q Benjamini-Hochberg over the heads)\n\n"
               + to_markdown(n_sig)
               + "\n## Per layer\n\n" + to_markdown(summary[summary["layer"] >= 0]),
               job.output.markdown)


def head_ttest_rows(heads: pd.DataFrame) -> pd.DataFrame:
    """attattr_head_attribution rows of one model -> attattr_head_ttests rows."""
    from seatlib.attattr.bias import head_ttests

    rows = heads.sort_values(["example_id", "layer", "head"], kind="stable")
    first = rows.drop_duplicates("example_id")
    correct = (first["pred"] == first["label"]).to_numpy()
    parts = []
    for signal in ("max_attention", "max_attribution"):
        _, cube = _cube(heads, signal)
        res = head_ttests(cube, correct)
        layer, head = _grid(cube[0] if len(cube) else np.zeros((0, 0)))
        frame = pd.DataFrame({k: np.asarray(v).ravel() for k, v in res.items()})
        frame.insert(0, "head", head)
        frame.insert(0, "layer", layer)
        frame.insert(0, "signal", signal)
        frame["defined"] = ~np.isnan(frame["p"].to_numpy())
        frame = frame.fillna({"t": 0.0, "p": 1.0, "q": 1.0, "mean_correct": 0.0,
                              "mean_wrong": 0.0})
        parts.append(frame)
    out = pd.concat(parts, ignore_index=True)
    for column in ("seed", "model", "dataset"):
        out.insert(0, column, heads[column].iloc[0])
    return out


def attattr_fig_bias(job) -> None:
    from seatlib.attattr.figures import draw_bias

    draw_bias(read_table(job.input.tau, "attattr_bias_tau"),
              read_table(job.input.tokens, "attattr_bias_tokens"), job.output)
