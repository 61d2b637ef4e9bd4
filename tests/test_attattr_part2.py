"""Part two of the transformer track: the attribution tree of a hand-made tensor, trigger
extraction and insertion on hand-made rows, attention rollout on a hand-checkable case, captum
completeness on a tiny random BERT, the DeepLIFT refusal, and the tau table."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from attattr_tiny import ROWS, tiny_classifier  # noqa: E402

from seatlib.attattr import bias  # noqa: E402
from seatlib.attattr.model import batch_inputs  # noqa: E402
from seatlib.attattr.tree import build_tree, normalised, stability  # noqa: E402
from seatlib.attattr.triggers import (  # noqa: E402
    insert,
    make_pattern,
    random_pattern,
    relative_positions,
    select_patterns,
    top_cells,
)

# ------------------------------------------------------------------------------ the tree

def hand_tensor() -> np.ndarray:
    """[L=4, n=6, n]: layer maxima over rows 1.. are 1 (layer 1 is scaled by 2), so P is the
    tensor as written; row 0 holds large values that must not count."""
    S = np.zeros((4, 6, 6))
    S[3, 0, 2] = 0.7  # the root's weight
    S[3, 1, 1] = 1.0
    S[3, 2, 3] = S[3, 2, 4] = 1.0  # make token 2 the top node
    S[2, 2, 1], S[2, 2, 3], S[2, 2, 2], S[2, 3, 4] = 1.0, 0.3, 0.9, 0.8
    S[1, 1, 3], S[1, 1, 4], S[1, 2, 0], S[1, 3, 1], S[1, 4, 0] = 0.9, 0.5, 0.6, 1.0, 0.45
    S[1] *= 2.0
    S[0, 3, 4], S[0, 4, 2], S[0, 3, 5], S[0, 4, 5], S[0, 5, 5] = 0.5, 0.9, 0.4, 0.39, 1.0
    S[:3, 0, 5] = -5.0  # [CLS] row: left out of the maximum and of the top node
    S[0, 0, 1] = 7.0
    return S


def test_tree_of_a_hand_made_tensor():
    S = hand_tensor()
    # as heads: split each layer's sum over 3 heads unevenly; the tree reads the head sum
    heads = np.stack([0.5 * S, 0.2 * S, 0.3 * S], axis=1)
    np.testing.assert_allclose(normalised(heads)[1], S[1] / 2.0)
    tree = build_tree(heads, 0.4)
    assert tree.top == 2
    got = [(layer, i, j, round(w, 9)) for layer, i, j, w in tree.edges]
    assert got == [(3, 0, 2, 0.7), (2, 2, 1, 1.0), (1, 1, 3, 0.9), (1, 1, 4, 0.5),
                   (1, 2, 0, 0.6), (0, 3, 5, 0.4)]
    np.testing.assert_allclose(tree.heights, [0, 0.5, 0.75, 0.25, 0, 0])
    assert tree.state.tolist() == [0, 1, 1, 1, 0, 0]
    assert tree.edge_heights(0) == (1.0, 0.75)  # the root
    assert tree.edge_heights(2) == (0.5, 0.25)


def test_tree_stability_when_the_threshold_moves():
    rows = {r["threshold"]: r for r in stability(hand_tensor(), [0.4, 0.95], 0.4)}
    assert rows[0.4]["jaccard"] == 1.0 and rows[0.4]["top_edges_kept"] == 1.0
    # at 0.95 only the root and (2, 2, 1) remain: 2 of the 6 reference edges; the reference
    # top node's edges (2->1 at layer 2, 2->0 at layer 1) keep one of two
    assert rows[0.95]["n_edges"] == 2 and rows[0.95]["jaccard"] == pytest.approx(2 / 6)
    assert rows[0.95]["top_edges_kept"] == 0.5 and rows[0.95]["n_nodes"] == 3


def test_tree_rejects_a_bad_shape():
    with pytest.raises(ValueError, match=r"expected \[L, H, n, n\] or \[L, n, n\]"):
        build_tree(np.zeros((2, 3, 4)))


# ------------------------------------------------------------------------------ triggers

SEP = 3


def test_insertion_on_a_hand_made_row():
    row = [2, 10, 11, 12, 13, SEP]
    # size 6: round(6 * 0.25) = round(1.5) = 2 (Python rounds half to even), round(6) = 6
    assert insert(row, [50, 51], [0, 0], [0.25, 1.0], SEP) == [2, 10, 50, 11, 12, 13, 51, SEP]
    # a collision is bumped by one
    assert insert(row, [50, 51], [0, 0], [0.5, 0.5], SEP) == [2, 10, 11, 50, 51, 12, 13, SEP]
    # the last slot taken: the bump wraps to the first free slot
    assert insert([2, 10, SEP], [50, 51], [0, 0], [1.0, 1.0], SEP) == [2, 51, 10, 50, SEP]
    # a pair: the token goes into its own segment
    assert insert([2, 10, 11, SEP, 12, SEP], [60], [1], [1.0], SEP) == [
        2, 10, 11, SEP, 12, 60, SEP]


def test_relative_positions_and_patterns():
    row = [2, 10, 11, 12, 13, SEP]
    assert relative_positions(row, [1, 4], SEP) == ([0, 0], [0.25, 1.0])
    assert relative_positions([2, 10, 11, SEP, 12, 14, SEP], [2, 5], SEP) == ([0, 1], [1.0, 1.0])
    with pytest.raises(ValueError, match="position 5 is a special token"):
        relative_positions(row, [5], SEP)
    attr = np.zeros((2, 2, 6, 6))
    attr[0, 1, 3, 3] = 0.3  # layer 0's max (head 1)
    attr[1, 0, 2, 4] = 0.5  # the global max: layer 1, head 0
    attr[1, 0, 1, 0] = 0.05  # second cell of that head; ratio 0.1 < 0.2: top-1 alone
    assert top_cells(attr) == (1, 0, [(2, 4, 0.5), (1, 0, 0.05)])
    p = make_pattern(attr, row, label=1, source=7, sep_id=SEP)
    assert (p.positions, p.token_ids, p.rel, p.score) == ([2, 4], [11, 13], [0.5, 1.0], 0.55)
    attr[1, 0, 1, 0] = 0.2  # ratio 0.4: both cells, less [CLS]
    p = make_pattern(attr, row, label=1, source=7, sep_id=SEP)
    assert p.positions == [1, 2, 4] and p.token_ids == [10, 11, 13]
    assert make_pattern(attr, row, 1, 7, SEP, use_all=True).positions == [1, 2, 4]


def test_select_and_random_patterns():
    from seatlib.attattr.triggers import Pattern

    pats = [Pattern(lab, s, [1], [9], [0], [1.0], score) for lab, s, score in
            [(0, 0, 0.5), (0, 1, 0.9), (1, 2, 0.3), (1, 3, 0.01), (0, 4, 0.7)]]
    kept = select_patterns(pats, per_label=2, min_score=0.02)
    assert [p.source for p in kept] == [1, 4, 2]  # by score; label 0 full after two
    rows = [[2, 10, SEP], [2, 10, 11, 12, SEP]]
    p = random_pattern(np.random.default_rng(0), rows, 3, SEP)
    assert p.source == 1 and p.token_ids == [10, 11, 12] and p.rel == [1 / 3, 2 / 3, 1.0]


# ------------------------------------------------------------------------------ rollout

def test_rollout_on_a_hand_checkable_case():
    # layer 0: heads [[0, 1], [0, 1]] and I -> mean [[.5, .5], [0, 1]]
    # -> 0.5 mean + 0.5 I = [[.75, .25], [0, 1]]; layer 1 (one head value twice): [[0, 1],
    # [1, 0]] -> [[.5, .5], [.5, .5]]; rollout = A1 @ A0 = [[.375, .625], [.375, .625]]
    a0 = torch.tensor([[[0.0, 1.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])
    a1 = torch.tensor([[[0.0, 1.0], [1.0, 0.0]]] * 2)
    att = torch.stack([a0, a1])[None]  # [1, L=2, H=2, 2, 2]
    torch.testing.assert_close(bias.rollout(att)[0], torch.tensor([[0.375, 0.625]] * 2))
    s = bias.summaries(att, torch.ones(1, 2))
    torch.testing.assert_close(s["rollout"][0], torch.tensor([0.375, 0.625]))
    torch.testing.assert_close(s["last"][0], torch.tensor([0.0, 1.0]))
    torch.testing.assert_close(s["cls_head"][0, 0], torch.tensor([[0.0, 1.0], [1.0, 0.0]]))
    # received: mean over the query rows (and heads) of each key column
    torch.testing.assert_close(s["received"][0, 0], torch.tensor([0.25, 0.75]))


def test_rollout_ignores_padding():
    torch.manual_seed(0)
    att = torch.softmax(torch.randn(1, 3, 2, 4, 4), -1)
    padded = torch.zeros(1, 3, 2, 6, 6)
    padded[..., :4, :4] = att
    padded[..., 4:, :4] = att[..., :2, :]  # padding queries attend real keys only
    torch.testing.assert_close(bias.rollout(padded)[0, 0, :4], bias.rollout(att)[0, 0])
    assert bias.rollout(padded)[0, 0, 4:].abs().max() == 0


# ------------------------------------------------------------------------------ captum

@pytest.fixture(scope="module")
def model():
    return tiny_classifier(seed=0)


def _prob(model, ids, am, types, target):
    with torch.no_grad():
        p = torch.softmax(model(ids, am, types).logits, -1)
    return p.gather(1, target[:, None])[:, 0]


def test_ig_and_conductance_are_complete_at_300_steps(model):
    ids, am, types = batch_inputs(model, ROWS)
    target = model(ids, am, types).logits.argmax(-1)
    ref = bias.reference_ids(model, ids, am)
    assert ref[3].tolist() == [2, 0, 3, 0, 0, 3, 0]  # [CLS], [SEP]s and padding kept
    delta = _prob(model, ids, am, types, target) - _prob(model, ref, am, types, target)
    assert delta.abs().min() > 1e-3  # a real difference to explain
    lig = bias.token_attributions(model, ids, am, types, target, "lig", steps=300)
    assert lig.shape == ids.shape and (lig * (am == 0)).abs().max() == 0
    torch.testing.assert_close(lig.sum(1), delta, atol=1e-3, rtol=0)
    for layer in range(model.config.n_layers):
        lc = bias.token_attributions(model, ids, am, types, target, "conductance", steps=300,
                                     layer=layer)
        torch.testing.assert_close(lc.sum(1), delta, atol=1e-3, rtol=0)


def test_saliency_is_the_embedding_gradient(model):
    ids, am, types = batch_inputs(model, ROWS)
    target = model(ids, am, types).logits.argmax(-1)
    E = model.base.embeddings.word_embeddings(ids).detach().requires_grad_(True)
    p = torch.softmax(model(attention_mask=am, token_type_ids=types, inputs_embeds=E).logits, -1)
    (g,) = torch.autograd.grad(p.gather(1, target[:, None]).sum(), E)
    sal = bias.token_attributions(model, ids, am, types, target, "saliency")
    torch.testing.assert_close(sal, g.abs().sum(-1), atol=1e-6, rtol=1e-5)


def test_deeplift_is_refused_with_its_reason(model):
    ids, am, types = batch_inputs(model, ROWS)
    with pytest.raises(ValueError, match=r"^attattr.bias.methods: deeplift is refused on this "
                                         r"transformer: captum's DeepLift rules need"):
        bias.token_attributions(model, ids, am, types, torch.zeros(4, dtype=torch.long),
                                "deeplift")
    with pytest.raises(ValueError, match="unknown method 'ig'"):
        bias.method_names(["ig"], 2)


def test_tau_table_against_scipy(model):
    from scipy.stats import kendalltau

    sums, attrs, pred = bias.analyse(model, ROWS, ["saliency", "gradshap"], "cpu",
                                     batch_size=3)
    L, H = model.config.n_layers, model.config.n_heads
    assert len(pred) == 4 and sums["cls_head"][2].shape == (L, H, 5)
    rows = bias.tau_table(sums, attrs, L, H)
    n_summaries = L * H + 2 * L + 2
    assert len(rows) == n_summaries * 2 * 4
    r = next(r for r in rows if r["summary"] == "cls_head" and r["layer"] == 1
             and r["head"] == 2 and r["method"] == "saliency" and r["example"] == 2)
    ref = kendalltau(sums["cls_head"][2][1, 2], np.abs(attrs[("saliency", -1)][2]))
    assert r["tau"] == pytest.approx(ref.statistic, abs=1e-12)
    assert r["p"] == pytest.approx(ref.pvalue, rel=1e-9)


def test_heads_vs_attention():
    att = np.array([[[0.9, 0.1], [0.5, 0.3]], [[0.2, 0.4], [0.6, 0.8]]])  # [N=2, L=2, H=2]
    attr = np.array([[[0.1, 0.2], [0.3, 0.4]], [[0.1, 0.2], [0.3, 0.4]]])
    hv = bias.heads_vs_attention(att, attr)
    # example 0: attention order 0 > 2 > 3 > 1, attribution 3 > 2 > 1 > 0
    assert hv["top_head"].tolist() == [0, 3] and hv["top_head_attr_rank"].tolist() == [3, 0]
    assert hv["tau"][1] == pytest.approx(1.0) and hv["tau"][0] == pytest.approx(-1 / 3)


def test_benjamini_hochberg_by_hand():
    from seatlib.attattr.bias import benjamini_hochberg

    q = benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.5, np.nan]))
    # m = 4 (the NaN is not a test): sorted .01 .03 .04 .5 -> x 4/rank = .04 .06 .0533 .5,
    # then the running minimum from the largest p down
    np.testing.assert_allclose(q[:4], [0.04, 0.16 / 3, 0.16 / 3, 0.5], rtol=1e-12)
    assert np.isnan(q[4])


def test_head_ttests_by_hand_and_per_head():
    from scipy import stats

    from seatlib.attattr.bias import head_ttests

    # head (0, 0): correct [1, 2, 3] vs wrong [4, 5, 6]: Student t = -3 / sqrt(2/3) on 4 df
    cube = np.zeros((6, 2, 3))
    cube[:, 0, 0] = [1, 2, 3, 4, 5, 6]
    rng = np.random.default_rng(0)
    cube[:, 1:, :] = rng.normal(size=(6, 1, 3))
    cube[:, 0, 1] = 7.0  # constant in both groups: undefined
    cube[:, 0, 2] = [0, 0, 0, 1, 1, 2]
    correct = np.array([True, True, True, False, False, False])
    res = head_ttests(cube, correct)
    t = -3 / np.sqrt(2 / 3)
    assert res["t"][0, 0] == pytest.approx(t, rel=1e-12)
    assert res["p"][0, 0] == pytest.approx(2 * stats.t.sf(abs(t), 4), rel=1e-10)
    assert np.isnan(res["p"][0, 1]) and np.isnan(res["q"][0, 1])
    assert res["mean_correct"][0, 0] == 2.0 and res["mean_wrong"][0, 0] == 5.0
    assert (res["n_correct"] == 3).all() and (res["n_wrong"] == 3).all()
    for layer, head in [(1, 0), (1, 1), (1, 2), (0, 2)]:  # a plain scipy call per head
        ref = stats.ttest_ind(cube[correct, layer, head], cube[~correct, layer, head])
        assert res["t"][layer, head] == pytest.approx(ref.statistic, rel=1e-12)
        assert res["p"][layer, head] == pytest.approx(ref.pvalue, rel=1e-12)
    # fewer than two wrong examples: nothing is tested
    one_wrong = head_ttests(cube[:4], correct[:4])
    assert np.isnan(one_wrong["p"]).all() and (one_wrong["n_wrong"] == 1).all()


def test_head_ttest_rows_table():
    import pandas as pd

    from seatlib.attattr.steps import head_ttest_rows
    from seatlib.schema import to_arrow

    rng = np.random.default_rng(1)
    rows = []
    for e in range(8):
        for layer in range(2):
            for head in range(2):
                rows.append({"dataset": "sst2", "model": "tiny", "seed": 1,
                             "example_id": f"dev-{e}", "layer": layer, "head": head,
                             "max_attribution": float(rng.normal() + (e < 4) * (layer == 1)),
                             "max_attention": float(rng.random()), "label": 1,
                             "pred": int(e < 5), "target": 1, "prob": 0.5})
    out = head_ttest_rows(pd.DataFrame(rows))
    to_arrow(out, "attattr_head_ttests")  # the declared schema, no nulls
    assert len(out) == 2 * 2 * 2
    assert (out["n_correct"] == 5).all() and (out["n_wrong"] == 3).all()
    assert out["defined"].all()
