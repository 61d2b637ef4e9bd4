"""``seatlib explain`` through its entry point, on a tiny word model made in code."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from scipy.stats import kendalltau

from seatlib.checkpoint import save_model
from seatlib.cli import main
from seatlib.data.sources import DATASETS
from seatlib.data.text import SPECIALS
from seatlib.models.base import probabilities
from tests.conftest import REPO, tiny_model

WORDS = ["the", "film", "is", "good", "bad", "great", "awful", "plot", "a", "not"]


@pytest.fixture
def model_dir(tmp_path):
    """A pipeline layout: results/models/sst/bilstm-tanh/seed1/ and the dataset's vocab.txt."""
    vocab = [*SPECIALS, *WORDS]
    model = tiny_model(vocab_size=len(vocab), seed=3)
    folder = tmp_path / "results" / "models" / "sst" / "bilstm-tanh" / "seed1"
    save_model(model, folder / "model.safetensors", folder / "config.json",
               extra={"dataset": "sst", "model_name": "bilstm-tanh", "seed": 1})
    prepared = tmp_path / "results" / "data" / "prepared" / "sst"
    prepared.mkdir(parents=True)
    (prepared / "vocab.txt").write_text("\n".join(vocab) + "\n")
    return folder, model, {w: i for i, w in enumerate(vocab)}


def run_cli(*args):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "seatlib.cli", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=300, cwd=REPO)


def probs_of(model, ids):
    ids_t = torch.tensor([ids])
    real = torch.zeros_like(ids_t, dtype=torch.bool)
    real[0, 1:-1] = True
    with torch.no_grad():
        out = model(ids_t, real)
    return probabilities(out.logits)[0].numpy(), out.attention[0].numpy()


def test_explain_json_matches_the_model_loo_by_hand_and_scipy_tau(model_dir, tmp_path):
    folder, model, index = model_dir
    texts = ["The film is good, not bad: wonderful", "a great plot"]
    page = tmp_path / "out.html"
    proc = run_cli("explain", folder, *texts, "--json", "--html", page)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    assert res["label_names"] == list(DATASETS["sst"].label_names)
    for text, item in zip(texts, res["texts"], strict=True):
        # SST's reader (JW's) drops punctuation; "wonderful" is not in the vocabulary
        words = text.lower().replace(",", "").replace(":", "").split()
        assert item["tokens"] == words
        ids = [2, *(index.get(w, 1) for w in words), 3]
        assert item["unknown"] == [w == "wonderful" for w in words]
        p, att = probs_of(model, ids)
        k = int(p.argmax())
        assert item["prediction"] == DATASETS["sst"].label_names[k]
        assert item["probability"] == pytest.approx(p[k], abs=1e-6)
        np.testing.assert_allclose(item["attention"], att[1:-1], atol=1e-6)
        # leave-one-out by hand: delete word t, |p_k(x without t) - p_k(x)|
        loo = [abs(probs_of(model, ids[:t] + ids[t + 1:])[0][k] - p[k])
               for t in range(1, len(ids) - 1)]
        np.testing.assert_allclose(item["importance"]["loo"], loo, atol=1e-6)
        assert set(item["importance"]) == {"gradient", "loo", "integrated_gradients"}
        for m, scores in item["importance"].items():
            tau, pval = kendalltau(item["attention"], np.abs(scores))
            assert item["kendall_tau"][m] == pytest.approx(tau, abs=1e-9), m
            assert item["kendall_p"][m] == pytest.approx(pval, rel=1e-6), m
    doc = page.read_text()
    assert doc.startswith("<!DOCTYPE html>") and doc.count("<table>") == 2
    assert "http" not in doc.replace("http-equiv", "") and "<script" not in doc
    assert "<span style='background:rgb(255," in doc


def test_plain_text_without_a_terminal_and_colour_on_request(model_dir):
    folder, _, _ = model_dir
    proc = run_cli("explain", folder, "a good film", "--methods", "loo")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[" not in proc.stdout
    lines = proc.stdout.splitlines()
    assert "prediction: " in lines[1]
    assert lines[2].split()[:3] == ["token", "attention", "loo"]
    assert [ln.split()[0] for ln in lines[3:6]] == ["a", "good", "film"]
    # each column divided by its max: the largest word reads 1.00
    assert max(float(ln.split()[1]) for ln in lines[3:6]) == 1.0
    assert "Kendall tau-b, attention vs loo: " in proc.stdout


def test_colour_heatmap(model_dir, capsys):
    folder, _, _ = model_dir
    assert main(["explain", str(folder), "good film", "--methods", "gradient",
                 "--color", "always"]) == 0
    out = capsys.readouterr().out
    assert out.count("\x1b[48;2;255;") == 4  # 2 words x (attention, gradient)


@pytest.mark.parametrize("args, message", [
    (["{missing}", "good"], "{missing}: no trained model here (expected model.safetensors "
                            "and config.json"),
    (["{folder}", "  "], "text 1 is empty (expected at least one word)"),
    (["{folder}", "good", "zzz qqq"], "text 2 ('zzz qqq'): no word of it is in the model's "
                                      "vocabulary (14 words)"),
    (["{folder}", "good", "--methods", "gradient,rollout"],
     "method 'rollout' is not one the word model can do; expected some of"),
    (["{folder}", "good", "--layer", "2"], "--layer: {folder} is a word model (bilstm-tanh) "
                                           "with one attention distribution"),
    (["{folder}", "--file", "{empty}"], "{empty}: no text in it (expected one text a line)"),
])
def test_bad_input_is_a_one_line_error(model_dir, tmp_path, capsys, args, message):
    folder, _, _ = model_dir
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    fill = {"folder": folder, "missing": tmp_path / "nope", "empty": empty}
    assert main(["explain", *(a.format(**fill) for a in args)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("seatlib explain: " + message.format(**fill))


def test_file_of_texts(model_dir, tmp_path, capsys):
    folder, _, _ = model_dir
    texts = tmp_path / "texts.txt"
    texts.write_text("good film\n\nbad plot\n")
    assert main(["explain", str(folder), "--file", str(texts), "--json", "--methods",
                 "gradient"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert [t["text"] for t in res["texts"]] == ["good film", "bad plot"]
