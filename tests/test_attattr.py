"""The transformer track on a tiny random BERT built in code (no download): the model's
overrides against transformers' own forward, AttAttr's completeness, batching and Riemann
rules, the rankings and the pruning loop on hand-checkable cases, and bad input."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from attattr_tiny import LABELS, ROWS, save_tiny_encoder, tiny_classifier, tiny_hf, tiny_tokenizer  # noqa: E402, I001

from seatlib.attattr import attribution as attr  # noqa: E402
from seatlib.attattr.heads import prune_order, rank_of, taylor_importance  # noqa: E402
from seatlib.attattr.model import Classifier, additive_mask, batch_inputs  # noqa: E402
from seatlib.attattr.prune import (  # noqa: E402
    head_mask, masked_predictions, n_pruned, per_example_accuracy, pruning_accuracy)
from seatlib.attattr.tokenize import encode_split  # noqa: E402


@pytest.fixture(scope="module")
def model():
    return tiny_classifier(seed=0)


def inputs(model, rows=ROWS):
    return batch_inputs(model, rows)


# ------------------------------------------------------------------------------ the model

def test_forward_equals_transformers_eager():
    hf = tiny_hf(seed=3)
    model = Classifier(hf).eval()
    ids, mask, types = inputs(model)
    assert types[3].tolist() == [0, 0, 0, 1, 1, 1, 0]  # the pair row: segment 1 after [SEP]
    ref = hf(input_ids=ids, attention_mask=mask, token_type_ids=types, output_attentions=True)
    out = model(ids, mask, types, output_attentions=True)
    assert out.attentions.shape == (4, 2, 4, 7, 7)  # [B, L, H, T, T]
    torch.testing.assert_close(out.logits, ref.logits, atol=1e-5, rtol=0)
    for i, a in enumerate(ref.attentions):
        torch.testing.assert_close(out.attentions[:, i], a, atol=1e-5, rtol=0)
    base = hf.bert(input_ids=ids, attention_mask=mask, token_type_ids=types)
    hidden, _, _ = model.run_layers(0, model.embed(ids, types), additive_mask(mask))
    real = mask.bool()
    torch.testing.assert_close(hidden[real], base.last_hidden_state[real], atol=1e-5, rtol=0)


def test_masking_nothing_changes_nothing_and_a_head_changes_the_output(model):
    ids, mask, types = inputs(model)
    plain = model(ids, mask, types).logits
    ones = torch.ones(2, 4)
    assert torch.equal(model(ids, mask, types, head_mask=ones).logits, plain)
    one_off = ones.clone()
    one_off[1, 2] = 0
    masked = model(ids, mask, types, head_mask=one_off).logits
    assert (masked - plain).abs().max() > 1e-4
    # per-example masks [B, L, H]: example 0 unmasked, the others with head (1, 2) off
    per = torch.stack([ones, one_off, one_off, one_off])
    both = model(ids, mask, types, head_mask=per).logits
    torch.testing.assert_close(both[0], plain[0], atol=1e-6, rtol=0)
    torch.testing.assert_close(both[1:], masked[1:], atol=1e-6, rtol=0)


def test_own_attention_as_override_and_embedding_override(model):
    ids, mask, types = inputs(model)
    out = model(ids, mask, types, output_attentions=True)
    for layer in range(2):
        again = model(ids, mask, types, attention_override=(layer, out.attentions[:, layer]))
        torch.testing.assert_close(again.logits, out.logits, atol=1e-6, rtol=0)
    zero = model(ids, mask, types, attention_override=(0, torch.zeros_like(out.attentions[:, 0])))
    assert (zero.logits - out.logits).abs().max() > 1e-4
    embeds = model.base.embeddings.word_embeddings(ids)
    via = model(attention_mask=mask, token_type_ids=types, inputs_embeds=embeds)
    torch.testing.assert_close(via.logits, out.logits, atol=1e-6, rtol=0)


# ------------------------------------------------------------------------------ AttAttr

def _f(model, row, label, layer, probs):
    ids, mask, types = batch_inputs(model, [row])
    with torch.no_grad():
        logits = model(ids, mask, types, attention_override=(layer, probs)).logits
    return float(torch.softmax(logits, -1)[0, label])


def test_completeness_per_layer(model):
    row, label = ROWS[2], 1
    ids, mask, types = batch_inputs(model, [row])
    A = model(ids, mask, types, output_attentions=True).attentions[0]  # [L, H, T, T]
    for layer in range(2):
        gap = _f(model, row, label, layer, A[layer][None]) - _f(
            model, row, label, layer, torch.zeros_like(A[layer][None]))
        assert abs(gap) > 1e-3
        errors = [abs(attr.attribute_naive(model, row, label, m, "left")[layer].sum() - gap)
                  for m in (4, 16, 128)]
        assert errors[2] < errors[1] < errors[0] and errors[2] < errors[0] / 10  # O(1/m)
        middle = attr.attribute_naive(model, row, label, 64, "middle")[layer].sum()
        assert abs(middle - gap) < 0.01 * abs(gap), (middle, gap)  # O(1/m^2)


def test_riemann_rules_converge_together(model):
    row = ROWS[0]
    coarse = {r: attr.attribute_naive(model, row, 0, 3, r) for r in attr.RULES}
    fine = {r: attr.attribute_naive(model, row, 0, 200, r) for r in attr.RULES}
    scale = np.abs(fine["middle"]).max()
    assert np.abs(coarse["left"] - coarse["right"]).max() > 1e-3 * scale
    for r in ("left", "right"):
        assert np.abs(fine[r] - fine["middle"]).max() < 1e-2 * scale
    assert np.abs(fine["left"] - fine["right"]).max() < np.abs(
        coarse["left"] - coarse["right"]).max() / 20


def test_batched_equals_one_by_one_and_padding_gets_nothing(model):
    cfg = attr.AttributionConfig(steps=6, batch_size=4, chunk=4, target="gold")
    batched = attr.attribute(model, ROWS, LABELS, cfg, "cpu", keep_matrices=range(4))
    single = attr.AttributionConfig(steps=6, batch_size=1, chunk=6, target="gold")
    alone = attr.attribute(model, ROWS, LABELS, single, "cpu", keep_matrices=range(4))
    for e, row in enumerate(ROWS):
        naive = attr.attribute_naive(model, row, LABELS[e], 6, "left", pad_to=12)
        assert batched.matrices[e].shape == (2, 4, len(row), len(row))
        np.testing.assert_allclose(batched.matrices[e], alone.matrices[e], atol=1e-5, rtol=0)
        np.testing.assert_allclose(batched.matrices[e], naive, atol=1e-5, rtol=0)
    np.testing.assert_allclose(batched.max_attribution, alone.max_attribution, atol=1e-5)
    maxima = [batched.matrices[e][1].max(axis=(-1, -2)) for e in range(4)]
    np.testing.assert_allclose(batched.max_attribution[:, 1], maxima, atol=0)
    # the raw layer attribution (before the explicit mask) is zero at padding cells
    ids, mask, types = batch_inputs(model, ROWS)
    with torch.no_grad():
        h = model.embed(ids, types)
        add = additive_mask(mask)
        A = model.attention_probs(0, h, add)
    raw = attr.attribute_layer(model, 0, h, add, A, torch.tensor(LABELS), 4, "left", 4)
    pad = ~(mask.bool()[:, :, None] & mask.bool()[:, None, :])
    assert raw.abs().amax(1)[pad].max() < 1e-12
    assert raw.abs().amax(1)[~pad].max() > 1e-6


def test_predicted_target(model):
    cfg = attr.AttributionConfig(steps=2, target="predicted")
    res = attr.attribute(model, ROWS, [1 - x for x in LABELS], cfg, "cpu")
    assert np.array_equal(res.target, res.pred)
    with pytest.raises(ValueError, match="attattr.attribution.rule"):
        attr.AttributionConfig(rule="trapezoid")


# ------------------------------------------------------------------------------ heads, pruning

def test_rankings_on_a_hand_checkable_case():
    imp = np.array([[3.0, 1.0], [2.0, 0.0]])
    assert prune_order(imp).tolist() == [3, 1, 2, 0]
    assert prune_order(np.array([[1.0, 1.0], [0.0, 1.0]])).tolist() == [2, 0, 1, 3]  # ties
    assert rank_of(imp).tolist() == [[3, 1], [2, 0]]
    assert head_mask(imp, 0.5).tolist() == [[1.0, 0.0], [1.0, 0.0]]
    assert head_mask(imp, 0.0).sum() == 4 and head_mask(imp, 1.0).sum() == 0
    assert [n_pruned(f / 10, 144) for f in range(11)] == [0, 14, 28, 43, 57, 72, 86, 100,
                                                          115, 129, 144]


def test_pruning_loop_equals_one_mask_at_a_time(model):
    rows = ROWS * 3
    ids, mask, types = batch_inputs(model, rows)
    with torch.no_grad():
        pred = model(ids, mask, types).logits.argmax(-1).numpy()
    labels = pred.copy()
    labels[:3] = 1 - labels[:3]  # 9 of 12 right when nothing is pruned
    imps = {"a": np.arange(8.0).reshape(2, 4), "b": -np.arange(8.0).reshape(2, 4)}
    fractions = (0.0, 0.25, 0.5, 1.0)
    rows_out = pruning_accuracy(model, rows, labels, imps, "cpu", fractions, batch_size=5)
    got = {(r["ranking"], r["fraction"]): r["accuracy"] for r in rows_out}
    assert got[("a", 0.0)] == got[("b", 0.0)] == pytest.approx(0.75)
    assert got[("a", 1.0)] == got[("b", 1.0)]
    for (name, f), acc in got.items():
        hm = torch.as_tensor(head_mask(imps[name], f), dtype=torch.float32)
        with torch.no_grad():
            p = model(ids, mask, types, head_mask=hm).logits.argmax(-1).numpy()
        assert acc == pytest.approx((p == labels).mean())
    # "a" prunes layer 0 first, head 0 first: at 25% heads (0,0) and (0,1) are off
    assert head_mask(imps["a"], 0.25).ravel().tolist() == [0, 0, 1, 1, 1, 1, 1, 1]
    # per-example pruning with every example ranked like "a" is the "a" curve
    per = per_example_accuracy(model, rows, labels, np.stack([imps["a"]] * 12), "cpu",
                               fractions, batch_size=5)
    assert [r["accuracy"] for r in per] == pytest.approx([got[("a", f)] for f in fractions])
    stacked = masked_predictions(model, rows, np.stack([head_mask(imps["b"], 0.5)] * 3), "cpu",
                                 batch_size=7)
    assert (stacked == stacked[0]).all()


def test_taylor_importance(model):
    imp = taylor_importance(model, ROWS, LABELS, "cpu", batch_size=3)
    np.testing.assert_allclose(np.linalg.norm(imp, axis=1), 1.0, atol=1e-9)
    raw = taylor_importance(model, ROWS, LABELS, "cpu", normalize=False)
    # |dL/d mask_h| = |sum over tokens of ctx . dL/dctx| <= the sum of the per-token |.|
    ids, mask, types = batch_inputs(model, ROWS)
    hm = torch.ones(2, 4, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(
        model(ids, mask, types, head_mask=hm).logits, torch.tensor(LABELS), reduction="sum")
    (g,) = torch.autograd.grad(loss, hm)
    bound = raw * int(mask.sum())
    assert np.all(np.abs(g.numpy()) <= bound + 1e-7) and np.abs(g.numpy()).max() > 1e-5
    logits = taylor_importance(model, ROWS, LABELS, "cpu", score="logits")
    assert not np.allclose(logits, imp)


# ------------------------------------------------------------------------------ bad input

def test_bad_model_names(tmp_path):
    with pytest.raises(ValueError, match=r"attattr.model: '.*nope'") as err:
        Classifier.from_pretrained(str(tmp_path / "nope"))
    assert "\n" not in str(err.value)
    folder = tmp_path / "no_weights"
    tiny_hf().config.save_pretrained(folder)
    with pytest.raises(ValueError, match="no weights") as err:
        Classifier.from_pretrained(str(folder))
    assert "\n" not in str(err.value)
    tiny_hf().save_pretrained(tmp_path / "two")
    with pytest.raises(ValueError, match="2-class head but the dataset has 3 labels"):
        Classifier.from_pretrained(str(tmp_path / "two"), n_labels=3)
    enc = save_tiny_encoder(tmp_path / "enc")  # no head: a fresh seeded 3-class head
    a = Classifier.from_pretrained(str(enc), n_labels=3, seed=4)
    b = Classifier.from_pretrained(str(enc), n_labels=3, seed=4)
    assert a.config.n_labels == 3
    assert torch.equal(a.hf.classifier.weight, b.hf.classifier.weight)


def test_tokenize_split_shape_truncation_and_empty_text(tmp_path, caplog):
    tok = tiny_tokenizer(tmp_path / "tok")
    df = pd.DataFrame({"example_id": ["a", "b"], "label": [0, 1],
                       "text": ["the film is good", "not very very very very very fun"]})
    with caplog.at_level(logging.INFO, logger="seatlib.attattr.tokenize"):
        out, n = encode_split(df, tok, 6, "sst2 dev")
    assert n == 1 and "1 of 2 texts truncated to 6" in caplog.text
    assert list(out.columns) == ["example_id", "text", "tokens", "token_ids", "label"]
    assert out["tokens"][0] == ["the", "film", "is", "good"]
    assert list(out["token_ids"][0]) == [2, 13, 14, 15, 5, 3] and len(out["token_ids"][1]) == 6
    pair = pd.DataFrame({"example_id": ["p"], "label": [1], "text": ["good film"],
                         "text_pair": ["bad plot"]})
    out, _ = encode_split(pair, tok, 20)
    assert out["text"][0] == "good film <sep> bad plot"
    assert out["tokens"][0] == ["good", "film", "[SEP]", "bad", "plot"]
    empty = df.assign(text=["fine", "  "])
    with pytest.raises(ValueError, match="sst2 dev: example 'b' has an empty text"):
        encode_split(empty, tok, 6, "sst2 dev")
