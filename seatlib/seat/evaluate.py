"""Evaluation of one trained model (eval mode; every metric a mean over instances):

- accuracy, positive-class and macro F1 on the test split (the model was selected on dev);
- stability under embedding perturbation: l-inf PGD of radius r on the word embeddings
  maximising the prediction change TVD(p(x), p(x + delta)); per instance JSD(attention clean,
  perturbed) and TVD(prediction clean, perturbed), for every radius of the config (all radii of
  a batch attacked at once, one row per (instance, radius));
- Sens: ``seat.metrics.sens`` over ``eval.radii`` (each radius is a value of the attack, never
  state kept between models: the released code's leak, spec 10.3, cannot happen);
- comprehensiveness / sufficiency: TVD between the prediction and the prediction with each
  instance's own top-k attention words' embeddings zeroed / with only them kept (SOS and EOS are
  kept; the released code removed the union over the batch, spec 10.5);
- true top-k overlap with the vanilla model's attention;
- word substitution: JSD and TVD between the clean and the word-substituted sentence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch.nn.utils.rnn import pad_sequence

from seatlib.batching import pad_batch, real_mask, sequential_batches
from seatlib.divergence import jsd_authors, tvd
from seatlib.metrics import classification_scores
from seatlib.models.base import probabilities
from seatlib.predict import run_split
from seatlib.progress import progress
from seatlib.seat.attacks import input_mask, pgd_embeddings
from seatlib.seat.metrics import sens
from seatlib.seat.pgd import random_start
from seatlib.seat.settings import SeatEvalConfig
from seatlib.seat.topk import topk_set, true_topk_overlap


def ragged(padded: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    """Rows of a padded (N, L) array cut to their lengths."""
    keep = np.arange(padded.shape[1])[None, :] < lengths[:, None]
    return np.split(padded[keep], np.cumsum(lengths)[:-1])


@torch.no_grad()
def erasure(model, token_ids: list, k: int, batch_size: int, device) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    """Per instance (comp, suff): TVD(p(x), p(x without its top-k attention words)) and
    TVD(p(x), p(only its top-k attention words)); "without" = embeddings zeroed."""
    model.eval()
    lengths = np.array([len(t) for t in token_ids])
    order = np.argsort(lengths, kind="stable")
    comp, suff = np.zeros(len(token_ids)), np.zeros(len(token_ids))
    for idx in sequential_batches(len(order), batch_size):
        rows = order[idx]
        ids, real = pad_batch([token_ids[i] for i in rows], device)
        out = model(ids, real)
        p = probabilities(out.logits)
        top, _ = topk_set(out.attention, real, k)
        emb = out.embeddings
        without = emb * (~top).unsqueeze(-1)
        only = emb * (top | ~real).unsqueeze(-1)
        both = model(ids.repeat(2, 1), real.repeat(2, 1),
                     embedding_override=torch.cat([without, only]))
        p_without, p_only = probabilities(both.logits).chunk(2)
        comp[rows] = tvd(p, p_without).cpu().numpy()
        suff[rows] = tvd(p, p_only).cpu().numpy()
    return comp, suff


PGD_TOKENS = 2048  # padded tokens per PGD chunk: 64 rows of 32, a few MB of LSTM state (L3)


def _starts(model, token_ids, order, radii, ecfg, device, gen):
    """The clean pass and the random starts, batch by batch exactly as the per-batch code drew
    them (batches of ``ecfg.batch_size`` instances in length order, each repeated over the
    radii, one ``random_start`` call per batch), cut into one row per (instance, radius):
    -> list of (instance, radius index, embeddings (l, E), start delta (l, E), probs (C,),
    attention (l,)). The draws do not depend on how the rows are later chunked."""
    r = torch.tensor(radii, dtype=torch.float32, device=device)
    n_r = len(radii)
    out = []
    for idx in sequential_batches(len(order), ecfg.batch_size):
        rows = order[idx]
        ids, real = pad_batch([token_ids[i] for i in rows], device)
        with torch.no_grad():
            clean = model(ids, real)
        p = probabilities(clean.logits)
        emb = clean.embeddings.repeat(n_r, 1, 1)
        if ecfg.random_start:
            mask = input_mask(ids.repeat(n_r, 1))
            delta = random_start(emb, r.repeat_interleave(len(rows)), ecfg.norm, mask, gen)
        else:
            delta = torch.zeros_like(emb)
        for j in range(n_r * len(rows)):
            i = j % len(rows)
            n = len(token_ids[rows[i]])
            out.append((int(rows[i]), j // len(rows), emb[j, :n], delta[j, :n], p[i],
                        clean.attention[i, :n]))
    return out


def _chunks(lengths: np.ndarray, max_rows: int, max_tokens: int) -> list[np.ndarray]:
    """Rows in length order cut into chunks of at most ``max_rows`` rows and (unless one row is
    longer) ``max_tokens`` padded tokens."""
    order = np.argsort(lengths, kind="stable")
    chunks, start = [], 0
    while start < len(order):
        end = start + 1
        while (end < len(order) and end - start < max_rows
               and (end + 1 - start) * lengths[order[end]] <= max_tokens):
            end += 1
        chunks.append(order[start:end])
        start = end
    return chunks


def embedding_stability(model, token_ids: list, radii: list[float], ecfg: SeatEvalConfig,
                        device, max_tokens: int = PGD_TOKENS) -> pd.DataFrame:
    """PGD on the embeddings at every radius (every instance becomes len(radii) rows) -> frame
    (row, radius, jsd, tvd), one line per (instance, radius), radius-major within each batch
    of ``ecfg.batch_size`` instances.

    The random starts are drawn as the per-batch code drew them (``_starts``); then all
    (instance, radius) rows are sorted by length and attacked together in chunks of equal or
    near-equal length (no padding to speak of) of at most batch_size x len(radii) rows and
    ``max_tokens`` tokens. PGD is per row, so the chunking changes only float summation order
    inside the model."""
    model.eval()
    gen = torch.Generator(device=device).manual_seed(ecfg.seed)
    lengths = np.array([len(t) for t in token_ids])
    order = np.argsort(lengths, kind="stable")
    attack = ecfg.attack(float(max(radii)))
    radii_arr = np.asarray(radii, dtype=np.float64)
    rows = _starts(model, token_ids, order, radii, ecfg, device, gen)
    if not rows:
        return pd.DataFrame({"row": [], "radius": [], "jsd": [], "tvd": []})
    row_len = np.array([len(e) for _, _, e, _, _, _ in rows])
    jsd_out, tvd_out = np.zeros(len(rows)), np.zeros(len(rows))
    chunks = _chunks(row_len, max(ecfg.batch_size, 1) * len(radii), max_tokens)
    for chunk in progress(chunks, desc="embedding PGD", unit="chunk"):
        sel = [rows[k] for k in chunk]
        ids, real = pad_batch([token_ids[inst] for inst, *_ in sel], device)
        emb = pad_sequence([e for _, _, e, _, _, _ in sel], batch_first=True)
        start = pad_sequence([d for _, _, _, d, _, _ in sel], batch_first=True)
        att = pad_sequence([a for *_, a in sel], batch_first=True)
        p = torch.stack([q for _, _, _, _, q, _ in sel])
        radius = torch.tensor(radii_arr[[ri for _, ri, *_ in sel]], dtype=torch.float32,
                              device=device)
        e_star = pgd_embeddings(model, ids, real, emb, p, attack, gen, radius=radius,
                                start=start)
        with torch.no_grad():
            adv = model(ids, real, embedding_override=e_star)
        jsd_out[chunk] = jsd_authors(att, adv.attention).cpu().numpy()
        tvd_out[chunk] = tvd(p, probabilities(adv.logits)).cpu().numpy()
    return pd.DataFrame({"row": np.array([inst for inst, *_ in rows]),
                         "radius": radii_arr[[ri for _, ri, *_ in rows]],
                         "jsd": jsd_out, "tvd": tvd_out})


def attacked_rows(n: int, ecfg: SeatEvalConfig) -> np.ndarray:
    """The (seeded) test rows the embedding adversary attacks: all, or max_examples of them."""
    if ecfg.max_examples is None or ecfg.max_examples >= n:
        return np.arange(n)
    rng = np.random.default_rng(ecfg.seed)
    return np.sort(rng.choice(n, size=ecfg.max_examples, replace=False))


def evaluate_model(model, test_df: pd.DataFrame, vanilla_attention: torch.Tensor,
                   subst_df: pd.DataFrame, ecfg: SeatEvalConfig, topk: int, device,
                   meta: dict, selected_epoch: int = -1):
    """-> (summary (one row, "seat_summary"), instances ("seat_instances"),
    perturbation ("seat_perturbation")). vanilla_attention: (N, L_max) of the vanilla model on
    the same split (for the top-k overlap); subst_df: "seat_substitutions" rows of the split."""
    if list(subst_df["example_id"]) != list(test_df["example_id"]):
        raise ValueError("seat substitutions do not list the test split's example_ids in order; "
                         "rebuild results/seat/substitutions for this dataset")
    model.eval()
    ids = list(test_df["token_ids"])
    labels = test_df["label"].to_numpy()
    lengths = np.array([len(t) for t in ids])
    bs = max(ecfg.batch_size, 1)
    probs, att = run_split(model, ids, 4 * bs, device)
    real = real_mask(lengths, att.shape[1])
    scores = classification_scores(labels, probs.numpy())
    overlap = true_topk_overlap(att, vanilla_attention[:, : att.shape[1]], real, topk).numpy()
    comp, suff = erasure(model, ids, ecfg.erasure_k, 4 * bs, device)

    # word substitution
    sub_ids = [np.asarray(t) for t in subst_df["token_ids"]]
    p_sub, att_sub = run_split(model, sub_ids, 4 * bs, device)
    sub_jsd = jsd_authors(att, att_sub).numpy()
    sub_tvd = tvd(probs, p_sub).numpy()
    n_changed = subst_df["n_changed"].to_numpy()
    changed = n_changed > 0

    # embedding PGD on (a subsample of) the split, every radius at once
    rows = attacked_rows(len(ids), ecfg)
    radii = ecfg.all_radii
    stab = embedding_stability(model, [ids[i] for i in rows], radii, ecfg, device)
    stab["row"] = rows[stab["row"].to_numpy().astype(int)]
    by_r = stab.groupby("radius")[["jsd", "tvd"]].mean()

    def at(radius, col):
        return float(by_r.loc[np.isclose(by_r.index, radius), col].iloc[0])

    att_np, probs_np = att.numpy().astype(np.float32), probs.numpy().astype(np.float32)
    max_att = att_np.max(1)
    pred = probs_np.argmax(1)
    key = {k: meta[k] for k in ("dataset", "encoder", "method", "seed")}
    instances = pd.DataFrame({
        **key, "example_id": test_df["example_id"].to_numpy(), "label": labels, "pred": pred,
        "prob": list(probs_np), "attention": ragged(att_np, lengths), "max_attention": max_att,
        "topk_overlap": overlap.astype(np.float64), "comp": comp, "suff": suff,
        "subst_n": n_changed.astype(np.int64),
        "subst_attention": ragged(att_sub.numpy().astype(np.float32), lengths),
        "subst_prob": list(p_sub.numpy().astype(np.float32)),
        "subst_jsd": sub_jsd.astype(np.float64), "subst_tvd": sub_tvd.astype(np.float64)})
    r_idx = stab["row"].to_numpy()
    perturbation = pd.DataFrame({
        **key, "example_id": test_df["example_id"].to_numpy()[r_idx],
        "radius": stab["radius"].to_numpy(), "jsd": stab["jsd"].to_numpy(),
        "tvd": stab["tvd"].to_numpy(), "label": labels[r_idx], "pred": pred[r_idx],
        "max_attention": max_att[r_idx]})
    summary = pd.DataFrame([{
        **key, "n_test": len(ids), "n_attacked": len(rows), "n_substituted": int(changed.sum()),
        "accuracy": scores["accuracy"], "f1": scores["f1"], "macro_f1": scores["macro_f1"],
        "radius": float(ecfg.radius), "jsd": at(ecfg.radius, "jsd"),
        "tvd": at(ecfg.radius, "tvd"),
        "sens": sens(list(ecfg.radii), [at(x, "tvd") for x in ecfg.radii]),
        "comp": float(comp.mean()), "suff": float(suff.mean()),
        "topk_overlap": float(overlap.mean()),
        "subst_jsd": float(sub_jsd[changed].mean()) if changed.any() else 0.0,
        "subst_tvd": float(sub_tvd[changed].mean()) if changed.any() else 0.0,
        "selected_epoch": int(selected_epoch)}])
    return summary, instances, perturbation
