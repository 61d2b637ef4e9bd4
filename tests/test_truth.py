"""The planted-evidence generator and the metrics (seatlib.truth), against hand-computed values
and closed forms."""

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import chi2_contingency

from seatlib.data.text import SPECIALS
from seatlib.models.base import ModelOutput
from seatlib.schema import write_table
from seatlib.truth import metrics as tm
from seatlib.truth.evaluate import evaluate_model
from seatlib.truth.generator import TruthSpec, draw_markers, marker_candidates, plant

# --- a source split made in code: neutral words, and sentiment words tied to the label ---
NEUTRAL = [f"w{a}{b}" for a in "abcdefghij" for b in "abcdefghijklmnopqrst"]  # label-free
POS, NEG = ["good", "great"], ["bad", "awful"]
VOCAB = [*SPECIALS, *NEUTRAL, *POS, *NEG, "qqq", "rare"]
INDEX = {w: i for i, w in enumerate(VOCAB)}


def source_split(n=3000, seed=0, prefix="x"):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    rows = []
    for y in labels:
        words = list(rng.choice(NEUTRAL, rng.integers(3, 9)))
        words.insert(int(rng.integers(0, len(words) + 1)), str(rng.choice(POS if y else NEG)))
        rows.append(words)
    return pd.DataFrame({
        "example_id": [f"{prefix}-{i:05d}" for i in range(n)],
        "text": [" ".join(t) for t in rows], "tokens": rows,
        "token_ids": [np.array([2, *[INDEX[w] for w in t], 3], dtype=np.int32) for t in rows],
        "label": labels.astype(np.int64)})


def test_candidates_are_the_frequent_label_free_words():
    df = pd.DataFrame({"tokens": [["wa", "good", "wa"], ["wa", "bad"], ["wb", "good"],
                                  ["wb", "bad", "qqq"], ["wc", "good"]],
                       "label": [1, 0, 1, 0, 1]})
    vocab = [*SPECIALS, "wa", "wb", "wc", "good", "bad", "qqq"]
    # P(1) = 3/5. wa: 2 sentences, P(1|wa) = 1/2, gap 0.1; wb: same; wc: 1 sentence, gap 0.4;
    # good: gap 0.4; bad: gap 0.6; qqq: excluded by name
    got = marker_candidates(df, vocab, min_count=2, max_count=10, balance=0.1 + 1e-9)
    assert got["word"].tolist() == ["wa", "wb"]
    assert got["count"].tolist() == [2, 2]
    np.testing.assert_allclose(got["label_gap"], [0.1, 0.1])
    assert marker_candidates(df, vocab, 2, 10, 0.05).empty
    assert marker_candidates(df, vocab, 3, 10, 1.0)["word"].tolist() == ["good"]
    assert marker_candidates(df, vocab, 2, 2, 1.0)["word"].tolist() == ["bad", "wa", "wb"]


def make(variant, n=3000, seed=0, **kw):
    src = source_split(n)
    spec = TruthSpec(variant=variant, n_markers=3, min_count=n // 60, max_count=10_000,
                     balance=0.1, seed=seed, **kw)
    markers = draw_markers(marker_candidates(src, VOCAB, spec.min_count, spec.max_count,
                                             spec.balance), spec, "toy")
    return src, markers, plant(src, markers, VOCAB, spec, "train"), spec


@pytest.mark.parametrize("variant", ["one", "several", "xor", "distractor"])
def test_markers_sit_where_recorded_and_removing_them_gives_the_source(variant):
    src, markers, out, spec = make(variant)
    assert set(markers["word"]) <= set(NEUTRAL)  # never a sentiment word
    group = dict(zip(markers["word"], markers["group"], strict=True))
    by_id = src.set_index("example_id")
    assert len(out) > 0.3 * len(src)
    for row in out.itertuples():
        toks = np.array(row.tokens, dtype=object)
        planted, distract = list(row.planted), list(row.distractors)
        assert len(planted) == {"one": 1, "several": 3, "xor": 2, "distractor": 3}[variant]
        assert len(distract) == (1 if variant == "distractor" else 0)
        groups = [group[w] for w in toks[planted]]
        if variant == "xor":
            assert sorted(g[0] for g in groups) == ["a", "b"]
            assert row.label == int(groups[0][1]) ^ int(groups[1][1])
        else:
            assert groups == [str(row.label)] * len(planted)
            assert [group[w] for w in toks[distract]] == [str(1 - row.label)] * len(distract)
        rest = [t for i, t in enumerate(row.tokens) if i not in planted + distract]
        assert rest == list(by_id.at[row.example_id, "tokens"])  # order kept
        assert row.source_label == by_id.at[row.example_id, "label"]
        assert not set(rest) & set(group)  # the planted markers are the only ones
        assert list(row.token_ids) == [2, *[INDEX[t] for t in row.tokens], 3]
        assert row.text == " ".join(row.tokens)


def test_label_is_independent_of_the_source_label():
    _, _, out, _ = make("several", n=4000)
    table = pd.crosstab(out["label"], out["source_label"]).to_numpy()
    assert table.shape == (2, 2)
    assert chi2_contingency(table).pvalue > 0.01
    rate = out.groupby("source_label")["label"].mean()
    assert abs(rate[1] - rate[0]) < 0.05
    # the source label does decide the sentiment word: the check can fail
    has_good = out["tokens"].map(lambda t: bool({"good", "great"} & set(t)))
    assert chi2_contingency(pd.crosstab(has_good, out["source_label"])).pvalue < 1e-10


def test_xor_markers_alone_say_nothing():
    _, markers, out, _ = make("xor", n=4000)
    group = dict(zip(markers["word"], markers["group"], strict=True))
    first_a = [next(group[t] for t in toks if group.get(t, "").startswith("a"))
               for toks in out["tokens"]]
    table = pd.crosstab(np.array(first_a), out["label"]).to_numpy()
    assert chi2_contingency(table).pvalue > 0.01


def test_seeded_same_bytes(tmp_path):
    paths = []
    for i, seed in enumerate((0, 0, 1)):
        _, _, out, _ = make("distractor", n=1500, seed=seed)
        paths.append(tmp_path / f"{i}.parquet")
        write_table(out, paths[-1], "truth_split")
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()


def test_too_few_candidates_is_a_one_line_error():
    src = source_split(200)
    spec = TruthSpec(min_count=500, max_count=600)
    with pytest.raises(ValueError, match="truth.min_count 500, truth.max_count 600"):
        draw_markers(marker_candidates(src, VOCAB, 500, 600, 0.05), spec, "toy")
    with pytest.raises(ValueError, match="truth.n_distractors"):
        TruthSpec(variant="distractor", n_planted=2, n_distractors=2)


# --- metrics ---
def mats(scores, planted):
    s, valid = tm.pad(scores)
    return s, valid, tm.position_mask(planted, valid)


def test_metrics_hand_computed():
    s, v, t = mats([[0.9, 0.1, 0.5, 0.3], [0.9, 0.1, 0.5, 0.3], [0.2, 0.2, 0.2, 0.2, 0.2]],
                   [[0, 3], [3], [1, 4]])
    p, r = tm.precision_recall_at_k(s, v, t)
    # row 0: top-2 = {0, 2}, one planted; row 1: top-1 = {0}; row 2: all tied, 2 of 5
    np.testing.assert_allclose(p, [0.5, 0.0, 0.4])
    np.testing.assert_allclose(r, [0.5, 0.0, 0.4])
    # row 0: planted at ranks 1 and 3 -> (1/1 + 2/3) / 2; row 1: rank 3 -> 1/3;
    # row 2: one threshold, precision 2/5
    np.testing.assert_allclose(tm.average_precision(s, v, t), [5 / 6, 1 / 3, 0.4])
    # row 2: first of 2 planted among 5 tied: (5 + 1) / (2 + 1)
    np.testing.assert_allclose(tm.first_planted_rank(s, v, t), [1.0, 3.0, 2.0])


def reference_ap(scores, truth):
    """Step-wise average precision, one threshold per distinct score (a loop)."""
    ap, prev_recall = 0.0, 0.0
    for thr in sorted(set(scores), reverse=True):
        chosen = scores >= thr
        tp = (chosen & truth).sum()
        recall = tp / truth.sum()
        ap += (recall - prev_recall) * tp / chosen.sum()
        prev_recall = recall
    return ap


def test_average_precision_matches_a_loop_with_ties():
    rng = np.random.default_rng(3)
    rows, planted = [], []
    for _ in range(200):
        n = int(rng.integers(2, 15))
        rows.append(rng.integers(0, 4, n).astype(float))  # many ties
        planted.append(np.sort(rng.choice(n, int(rng.integers(1, n + 1)), replace=False)))
    s, v, t = mats(rows, planted)
    got = tm.average_precision(s, v, t)
    want = [reference_ap(np.asarray(r), t[i, : len(r)]) for i, r in enumerate(rows)]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_oracle_scores_one_and_random_scores_at_chance():
    rng = np.random.default_rng(0)
    n_tokens = rng.integers(5, 30, 4000)
    planted = [np.sort(rng.choice(n, int(rng.integers(1, 4)), replace=False)) for n in n_tokens]
    _, valid = tm.pad([np.zeros(n) for n in n_tokens])
    truth = tm.position_mask(planted, valid)
    oracle = truth.astype(float)
    p, r = tm.precision_recall_at_k(oracle, valid, truth)
    assert (p == 1).all() and (r == 1).all()
    assert (tm.average_precision(oracle, valid, truth) == 1).all()
    assert (tm.first_planted_rank(oracle, valid, truth) == 1).all()
    random = rng.random(valid.shape)
    k = truth.sum(1)
    # E[precision@k] of a random order = k / n (hypergeometric mean / k); E[first rank] =
    # (n + 1) / (k + 1); the constant explainer meets them exactly (ties in expectation)
    for got, want in ((tm.precision_recall_at_k(random, valid, truth)[0], k / n_tokens),
                      (tm.first_planted_rank(random, valid, truth),
                       (n_tokens + 1) / (k + 1))):
        se = got.std() / np.sqrt(len(got))
        assert abs(got.mean() - want.mean()) < 4 * se
    const = np.zeros(valid.shape)
    np.testing.assert_allclose(tm.precision_recall_at_k(const, valid, truth)[0], k / n_tokens)
    np.testing.assert_allclose(tm.first_planted_rank(const, valid, truth),
                               (n_tokens + 1) / (k + 1))


def test_eraser_k_and_top_k_and_aopc():
    np.testing.assert_array_equal(tm.eraser_k(np.array([2, 3, 10, 11]), 0.5), [1, 2, 5, 6])
    np.testing.assert_array_equal(tm.eraser_k(np.array([2, 10]), 0.1), [1, 1])
    s, v = tm.pad([[0.1, 0.5, 0.5, 0.2], [3.0, 1.0]])
    np.testing.assert_array_equal(tm.top_k_mask(s, v, np.array([2, 1])),
                                  [[False, True, True, False], [True, False, False, False]])
    np.testing.assert_allclose(tm.aopc(np.array([[0.2, 0.4], [0.0, 0.1]])), [0.3, 0.05])


class MarkerCounter(torch.nn.Module):
    """logits [0, 2 * (count of id 5 among the real tokens)]: a model that reads one marker."""

    def forward(self, ids, real, attention_override=None, embedding_override=None):
        count = ((ids == 5) & real).sum(1).float()
        logits = torch.stack([torch.zeros_like(count), 2.0 * count], 1)
        att = real.float() / real.float().sum(1, keepdim=True).clamp(min=1)
        return ModelOutput(logits=logits, attention=att, hidden=att[..., None],
                           embeddings=att[..., None])


def test_comprehensiveness_and_sufficiency_hand_computed():
    df = pd.DataFrame({"example_id": ["a", "b"],
                       "token_ids": [[2, 7, 5, 8, 9, 3], [2, 7, 8, 3]],
                       "label": [1, 0], "planted": [[1], [0]], "distractors": [[], []],
                       "tokens": [["u", "m", "v", "w"], ["u", "v"]]})
    checks, ex = evaluate_model(MarkerCounter(), df, ["oracle"], {}, [0.25, 0.5],
                                device="cpu", seed=0)
    p = 1 / (1 + np.exp(-2.0))  # softmax([0, 2])[1]
    assert checks == {"n_examples": 2, "accuracy": 1.0, "accuracy_removed": 0.5, "chance": 0.5}
    a = ex.iloc[0]
    # k = 1 then 2 of 4 words; deleting the marker leaves p(1) = 1/2; keeping it keeps p
    np.testing.assert_allclose(a["comprehensiveness"], [p - 0.5, p - 0.5], rtol=1e-6)
    np.testing.assert_allclose(a["sufficiency"], [0.0, 0.0], atol=1e-12)
    assert a["comprehensiveness_aopc"] == pytest.approx(p - 0.5, rel=1e-6)
    # example b has no marker: prediction 0 at p = 1/2 whatever is deleted
    np.testing.assert_allclose(ex.iloc[1]["comprehensiveness"], [0.0, 0.0], atol=1e-12)
    assert (ex["precision_at_k"] == 1).all()
