"""The fault suite: bad input gets a one-line error naming the file or key and what was expected,
and the failing job leaves none of its declared outputs; a kill -9 during a job, then
``--unlock`` and ``--rerun-incomplete``, loses nothing; same config + seed = same bytes.

Every case asserts the exact message. Unit-level cases call the rule's steps function with a
``SimpleNamespace`` job (as Snakemake would), in a fresh output folder; the workflow cases share
one tiny three-class run (module fixture) and one interrupted run of the same config.
"""

from __future__ import annotations

import gzip
import logging
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from seatlib.checkpoint import load_model, save_model
from seatlib.config import ConfigError, validated_config
from seatlib.data.download import MIRROR_ADVICE, DataError, fetch_files
from seatlib.data.sources import RemoteFile
from seatlib.data.user import read_user_dataset
from seatlib.schema import SchemaError, read_table, write_table
from tests.conftest import REPO, tiny_model
from tests.test_download import Server, all_files, sha, tar_gz_bytes, zip_bytes

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
BUILTIN = ("20news_sports, imdb, rotten_tomatoes, rte, sst, sst2, tweet_emotion, tweet_hate")


class Files(dict):
    """Snakemake's named file lists: job.output.train and job.output["train"]."""

    __getattr__ = dict.__getitem__


def leftovers(folder: Path) -> list[str]:
    """Every file under folder (outputs and temporary files alike)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


# ---------------------------------------------------------------------------------------------
# config: one line naming the key and what was expected

def user(name: str, **extra) -> dict:
    return {"data": {"user_datasets": {name: {"path": "d.csv", "text_column": "text",
                                              "label_column": "label", **extra}}},
            "experiments": {"datasets": [name] if name.isidentifier() else ["sst"]}}


CONFIG_CASES = {
    "unknown-key-did-you-mean": (
        {"train": {"epoch": 3}},
        "config.yaml: key train: Additional properties are not allowed ('epoch' was unexpected)"
        "; did you mean 'epochs' for 'epoch'?"),
    "unknown-section-did-you-mean": (
        {"trian": {}},
        "config.yaml: key <top level>: Additional properties are not allowed ('trian' was "
        "unexpected); did you mean 'train' for 'trian'?"),
    "wrong-type": (
        {"train": {"batch_size": "32"}},
        "config.yaml: key train.batch_size: '32' is not of type 'integer' (Examples per batch.)"),
    "out-of-range": (
        {"train": {"epochs": 0}},
        "config.yaml: key train.epochs: 0 is less than the minimum of 1 (Training epochs.)"),
    "unknown-encoder": (
        {"experiments": {"encoders": ["gru"]}},
        "config.yaml: key experiments.encoders.0: 'gru' is not one of ['bilstm', 'cnn', "
        "'average', 'rnn']"),
    "unknown-attention": (
        {"experiments": {"attentions": ["cosine"]}},
        "config.yaml: key experiments.attentions.0: 'cosine' is not one of ['tanh', 'dot', "
        "'uniform']"),
    "unknown-dataset": (
        {"experiments": {"datasets": ["sts"]}},
        "config.yaml: key experiments.datasets has 'sts', expected one of ['20news_sports', "
        "'imdb', 'rotten_tomatoes', 'rte', 'sst', 'sst2', 'tweet_emotion', 'tweet_hate'] or a "
        "key of data.user_datasets"),
    "empty-grid": (
        {"experiments": {"seeds": []}},
        "config.yaml: key experiments.seeds: [] should be non-empty (Random seeds; each gives "
        "its own model.)"),
    "conflicting-keys": (
        {"wp": {"guided": {"adversary_lambda": 0.5}}},
        "config.yaml: key wp.guided.adversary_lambda is 0.5, expected one of "
        "wp.adversary.lambdas ['0.0001', '0.001', '0.01']"),
    "user-dataset-shadows-builtin": (
        user("sst"),
        "config.yaml: key data.user_datasets.sst: 'sst' is the name of a built-in dataset; give "
        f"your dataset another name (built-in: {BUILTIN})"),
    "user-dataset-name-with-hyphen": (
        user("my-data"),
        "config.yaml: key data.user_datasets: 'my-data' does not match '^[a-z][a-z0-9_]*$' "
        "(a user dataset name: a lower-case letter, then lower-case letters, digits or "
        "underscores)"),
    "user-dataset-reserved-name": (
        user("tables"),
        "config.yaml: key data.user_datasets.tables: 'tables' is not a valid dataset name "
        "(expected a lower-case letter, then lower-case letters, digits or underscores, and "
        "not tables or figures)"),
    "user-dataset-missing-key": (
        {"data": {"user_datasets": {"mine": {"path": "d.csv", "text_column": "text"}}}},
        "config.yaml: key data.user_datasets.mine: 'label_column' is a required property"),
    "user-dataset-bad-enum": (
        user("mine", empty_text="keep"),
        "config.yaml: key data.user_datasets.mine.empty_text: 'keep' is not one of ['drop', "
        "'error'] (Rows with an empty text cell are dropped (and counted in the log), or "
        "refused (error).)"),
}


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_config_fault(case):
    config, message = CONFIG_CASES[case]
    with pytest.raises(ConfigError) as err:
        validated_config(config, SCHEMA)
    assert str(err.value) == message


# ---------------------------------------------------------------------------------------------
# user data: the data_prepare job fails with one line and leaves no output

GOOD = [f"this film is {w} number {i}" for i, w in enumerate(["good", "bad", "okay"] * 20)]


def csv_of(rows: list[list[str]], header=("text", "label")) -> str:
    return "\n".join(",".join(r) for r in [list(header), *rows]) + "\n"


def three_class_rows(n: int = 60) -> list[list[str]]:
    return [[f"this film is {w} number {i}", lab]
            for i, (w, lab) in enumerate(zip(["good", "bad", "okay"] * (n // 3),
                                             ["pos", "neg", "neu"] * (n // 3), strict=True))]


def run_prepare(tmp_path: Path, path: Path, **options):
    out = tmp_path / "out"
    out.mkdir()
    names = ("train", "dev", "test", "vocab", "stats")
    files = {n: str(out / (f"{n}.parquet" if n != "vocab" else "vocab.txt")) for n in names}
    spec = {"path": str(path), "text_column": "text", "label_column": "label", **options}
    job = SimpleNamespace(input=Files(raw=str(path)), output=Files(files),
                          params=SimpleNamespace(options={"user": spec,
                                                          "max_train_examples": None,
                                                          "max_eval_examples": None}),
                          wildcards=SimpleNamespace(dataset="mine"), log=[], threads=1)
    return job, out


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def parquet_file(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "data.parquet"
    frame.to_parquet(path)
    return path


DATA_CASES = {
    # name: (file name, content, options, message with {path})
    "missing-file": ("absent.csv", None, {}, "{path}: file not found"),
    "empty-file": ("data.csv", "", {}, "{path}: empty file (expected a header line)"),
    "header-only": ("data.csv", "text,label\n", {}, "{path}: no data rows"),
    "missing-column": ("data.csv", csv_of([["a", "1"]], ("review", "label")), {},
                       "{path}: missing column 'text' (columns: review, label)"),
    "missing-split-column": ("data.csv", csv_of([["a", "1"]]), {"split_column": "fold"},
                             "{path}: missing column 'fold' (columns: text, label)"),
    "unsupported-suffix": ("data.xlsx", "x", {},
                           "{path}: unsupported file type (use .csv, .tsv, .csv.gz, .tsv.gz or "
                           ".parquet)"),
    "non-utf8": ("data.csv", b"text,label\ncaf\xe9 au lait,1\n", {},
                 "{path}: not UTF-8 text (invalid continuation byte)"),
    "ragged-row": ("data.csv", "text,label\ngood film,1\nbad,film,0\n", {},
                   "{path} line 3: expected 2 fields, found 3"),
    "unclosed-quote": ("data.csv", 'text,label\n"good film,1\n', {},
                       "{path} line 2: unexpected end of data"),
    "missing-label": ("data.csv", "text,label\ngood film,1\nbad film,\n", {},
                      "{path} line 3: missing label in column 'label'"),
    "unknown-label": ("data.csv", csv_of([["good", "pos"], ["bad", "neg"], ["meh", "neutral"]]),
                      {"label_map": {"pos": 1, "neg": 0}},
                      "{path} line 4: label 'neutral' is not in label_map ('pos', 'neg')"),
    "unknown-split-value": ("data.csv", csv_of([["good", "1", "train"], ["bad", "0", "holdout"]],
                                                ("text", "label", "split")),
                            {"split_column": "split"},
                            "{path} line 3: split value 'holdout' is not one of train, dev, test "
                            "(validation/val are read as dev)"),
    "one-class": ("data.csv", csv_of([[t, "pos"] for t in GOOD]), {},
                  "{path}: only one class in column 'label' ('pos': 60 rows); a classifier "
                  "needs at least 2 classes"),
    "one-class-after-dedup": ("data.csv", csv_of([["same text", "pos"]] * 5 +
                                                 [["", "neg"], [" ", "neg"]]), {},
                              "{path}: only one class in column 'label' ('pos': 1 rows, after "
                              "dropping 2 empty and 4 duplicate); a classifier needs at least 2 "
                              "classes"),
    "too-small": ("data.csv", csv_of([["good film", "1"], ["bad film", "0"], ["fine film", "1"],
                                      ["poor film", "0"], ["nice film", "1"]]), {},
                  "dataset 'mine' ({path}): too few examples: split dev and test are empty "
                  "(train 5, dev 0, test 0 of 5 rows); every split needs at least one example "
                  "(a seeded split needs a few rows per class)"),
    "train-one-class": ("data.csv", csv_of([["good", "1", "train"], ["fine", "1", "train"],
                                            ["bad", "0", "dev"], ["poor", "0", "test"]],
                                           ("text", "label", "split")),
                        {"split_column": "split"},
                        "dataset 'mine' ({path}): the train split has only class 1 (2 examples);"
                        " training needs at least 2 classes"),
    "empty-text-refused": ("data.csv", csv_of([["good film", "1"], ["", "0"]]),
                           {"empty_text": "error"},
                           "{path} line 3: empty text in column 'text' "
                           "(data.user_datasets.mine.empty_text is 'error'; 'drop' drops such "
                           "rows)"),
    "duplicate-refused": ("data.csv", csv_of([["good film", "1"], ["bad film", "0"],
                                              ["good film", "1"]]), {"duplicates": "error"},
                          "{path} line 4: text repeats line 2 (data.user_datasets.mine."
                          "duplicates is 'error'; 'drop' keeps the first)"),
    "all-texts-empty": ("data.csv", csv_of([["", "1"], ["  ", "0"]]), {},
                        "{path}: no rows with text left (of 2: 2 empty, 0 duplicate)"),
    "truncated-gzip": ("data.csv.gz", gzip.compress(csv_of(three_class_rows()).encode())[:60],
                       {}, "{path}: cannot read (Compressed file ended before the "
                           "end-of-stream marker was reached)"),
    "corrupt-parquet": ("data.parquet", b"PAR1 not really parquet", {},
                        "{path}: cannot read Parquet (Could not open Parquet input source "
                        "'{path}': Parquet magic bytes not found in footer. Either the file "
                        "is corrupted or this is not a parquet file.)"),
}


@pytest.mark.parametrize("case", list(DATA_CASES))
def test_user_data_fault(tmp_path, case):
    from seatlib.data.steps import data_prepare

    name, content, options, message = DATA_CASES[case]
    path = tmp_path / name if content is None else write(tmp_path, name, content)
    job, out = run_prepare(tmp_path, path, **options)
    with pytest.raises(ValueError) as err:
        data_prepare(job)
    assert str(err.value) == message.format(path=path)
    assert "\n" not in str(err.value)
    assert leftovers(out) == []  # no declared output, no temporary file


def test_three_class_file_prepares(tmp_path):
    from seatlib.data.steps import data_prepare

    path = write(tmp_path, "data.csv", csv_of(three_class_rows(60)))
    job, out = run_prepare(tmp_path, path)
    data_prepare(job)
    stats = read_table(job.output.stats, "dataset_stats").set_index("split")
    assert stats.loc["all", "n_classes"] == 3
    # labels sorted as strings: neg 0, neu 1, pos 2; 20 of each, 16/2/2 per split
    assert stats["n_examples"].to_dict() == {"train": 48, "dev": 6, "test": 6, "all": 60}
    train = read_table(job.output.train, "split")
    assert train["label"].value_counts().to_dict() == {0: 16, 1: 16, 2: 16}


def test_empty_texts_are_dropped_and_counted(tmp_path, caplog):
    rows = three_class_rows(30)
    for i in (2, 7, 11):
        rows[i][0] = ""
    rows[20][0] = "   "
    path = write(tmp_path, "data.csv", csv_of(rows))
    with caplog.at_level(logging.WARNING, logger="seatlib.data"):
        frame = read_user_dataset(path, "text", "label")
    assert len(frame) == 26 and (frame["text"].str.strip() != "").all()
    assert caplog.messages == [f"{path}: dropped 4 row(s) with empty text in column 'text' "
                               "(lines 4, 9, 13, 22)"]
    # row ids keep the file's numbering: rows 3, 8, 12, 21 are gone
    assert {"row-000003", "row-000008", "row-000012", "row-000021"}.isdisjoint(
        frame["example_id"])


def test_duplicates_are_dropped_before_the_split(tmp_path, caplog):
    rows = three_class_rows(60)
    tripled = [r for r in rows for _ in range(3)]  # every row three times
    tripled[5] = [tripled[5][0], "pos" if tripled[5][1] != "pos" else "neg"]  # label conflict
    path = write(tmp_path, "data.csv", csv_of(tripled))
    with caplog.at_level(logging.WARNING, logger="seatlib.data"):
        frame = read_user_dataset(path, "text", "label")
    assert len(frame) == 60 and frame["text"].is_unique
    assert caplog.messages == [f"{path}: dropped 120 duplicate row(s) whose text repeats an "
                               "earlier row (1 with a different label; lines 3, 4, 6, 7, 9, "
                               "...)"]
    train = set(frame.loc[frame.split == "train", "text"])
    assert not train & set(frame.loc[frame.split == "test", "text"])
    # duplicates: keep is the old behaviour, and leaks
    kept = read_user_dataset(path, "text", "label", duplicates="keep")
    assert len(kept) == 180
    train = set(kept.loc[kept.split == "train", "text"])
    assert len(train & set(kept.loc[kept.split == "test", "text"])) > 0


# ---------------------------------------------------------------------------------------------
# downloads and archives (a loopback server)

@pytest.fixture
def server():
    srv = Server()
    yield srv
    srv.close()


def test_download_checksum_mismatch(tmp_path, server):
    server.routes["/f.txt"] = b"data\n"
    rf = RemoteFile("x/f.txt", "0" * 64, server.url("/f.txt"))
    with pytest.raises(DataError) as err:
        fetch_files([rf], tmp_path, retries=0)
    assert str(err.value) == (f"checksum mismatch for x/f.txt (from {rf.url}): expected sha256 "
                              f"{'0' * 64}, got sha256 {sha(b'data' + bytes([10]))}")
    assert all_files(tmp_path) == []


def test_download_truncated_archive(tmp_path, server):
    server.routes["/a.zip"] = zip_bytes({"d/m.txt": b"member\n" * 100})[:-40]
    rf = RemoteFile("x/m.txt", sha(b"member\n" * 100), server.url("/a.zip"), "d/m.txt")
    with pytest.raises(DataError) as err:
        fetch_files([rf], tmp_path, retries=0)
    assert str(err.value) == f"{rf.url} is not a zip or tar archive (member d/m.txt was requested)"
    assert all_files(tmp_path) == []


@pytest.mark.parametrize("member", ["../evil.txt", "/tmp/evil-faults.txt"])
def test_download_unsafe_member(tmp_path, server, member):
    server.routes["/a.tgz"] = tar_gz_bytes({"ok.txt": b"ok", member: b"evil"})
    rf = RemoteFile("x/e.txt", sha(b"evil"), server.url("/a.tgz"), member)
    with pytest.raises(DataError) as err:
        fetch_files([rf], tmp_path / "raw", retries=0)
    assert str(err.value) == (f"unsafe member name {member} in the tar archive from {rf.url} "
                              "(absolute or with ..): refused")
    assert leftovers(tmp_path) == [] and not Path("/tmp/evil-faults.txt").exists()


def test_download_hanging_server_times_out(tmp_path, server):
    server.routes["/slow.txt"] = b"x"
    server.delay["/slow.txt"] = 1.0
    url = server.url("/slow.txt")
    with pytest.raises(DataError) as err:
        fetch_files([RemoteFile("x/s.txt", sha(b"x"), url)], tmp_path, timeout=0.2, retries=0)
    assert str(err.value) == f"could not reach {url} (no answer within 0.2 s); {MIRROR_ADVICE}"
    assert all_files(tmp_path) == []


def test_download_404(tmp_path, server):
    url = server.url("/gone.txt")
    with pytest.raises(DataError) as err:
        fetch_files([RemoteFile("x/g.txt", "0" * 64, url)], tmp_path, retries=0)
    assert str(err.value) == f"could not reach {url} (HTTP 404); {MIRROR_ADVICE}"
    assert all_files(tmp_path) == []


# ---------------------------------------------------------------------------------------------
# artifacts: the models_predict job refuses a bad model folder and writes nothing

SENTINEL = "unpickled-sentinel"


class Payload:
    """Unpickling this creates a file: proof that a file was never unpickled."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.fixture
def model_folder(tmp_path):
    folder = tmp_path / "model"
    model = tiny_model(n_classes=3)
    save_model(model, folder / "model.safetensors", folder / "config.json",
               {"dataset": "mine", "model_name": "bilstm-tanh", "seed": 1})
    test = pd.DataFrame({"example_id": ["a", "b"], "text": ["w w", "w"],
                         "tokens": [["w", "w"], ["w"]], "token_ids": [[2, 5, 6, 3], [2, 5, 3]],
                         "label": [0, 2]})
    write_table(test, folder / "test.parquet", "split")
    return folder


def predict_job(folder: Path, out: Path):
    return SimpleNamespace(
        input=Files(weights=str(folder / "model.safetensors"),
                    config=str(folder / "config.json"), test=str(folder / "test.parquet")),
        output=Files(predictions=str(out / "test.parquet"),
                     metrics=str(out / "test_metrics.parquet")),
        params=SimpleNamespace(device="cpu"), threads=1, log=[],
        wildcards=SimpleNamespace())


def corrupt(folder: Path, case: str) -> str:
    weights, config = folder / "model.safetensors", folder / "config.json"
    if case == "truncated-weights":
        weights.write_bytes(weights.read_bytes()[:100])
        return (f"{weights}: not a readable safetensors file (Error while deserializing header: "
                "invalid header length); truncated or corrupt? delete it and re-run the job "
                "that writes it")
    if case == "cut-weights":  # the header is whole, the tensor data is not
        data = weights.read_bytes()
        weights.write_bytes(data[: len(data) - 64])
        return (f"{weights}: not a readable safetensors file (Error while deserializing header: "
                "incomplete metadata, file not fully covered); truncated or corrupt? delete it "
                "and re-run the job that writes it")
    if case == "random-bytes-weights":
        weights.write_bytes(np.random.default_rng(0).bytes(4096))
        return (f"{weights}: not a readable safetensors file (Error while deserializing header: "
                "header too large); truncated or corrupt? delete it and re-run the job that "
                "writes it")
    if case == "pickle-weights":
        weights.write_bytes(pickle.dumps(Payload(str(folder / SENTINEL))))
        return (f"{weights}: a pickle or torch.save file, not safetensors; refused (it is never "
                "unpickled)")
    if case == "torch-save-weights":
        torch.save({"w": torch.zeros(2), "p": Payload(str(folder / SENTINEL))}, weights)
        return (f"{weights}: a pickle or torch.save file, not safetensors; refused (it is never "
                "unpickled)")
    if case == "config-does-not-match":
        text = config.read_text().replace('"n_classes": 3', '"n_classes": 2')
        config.write_text(text)
        return (f"{weights}: tensor 'decoder.weight' has shape [3, 24], but the model of "
                f"{config} (bilstm, hidden_size 12, vocab_size 30, n_classes 2) needs [1, 24]")
    if case == "truncated-config":
        config.write_text(config.read_text()[:40])
        return (f"{config}: not valid JSON (line 4 column 5: Expecting property name enclosed "
                "in double quotes); truncated? delete it and re-run the job that writes it")
    if case == "config-unknown-encoder":
        config.write_text(config.read_text().replace('"bilstm"', '"gru"'))
        return (f"{config}: 'model' must hold a valid ModelConfig (encoder 'gru' is unknown; "
                "expected one of ['average', 'bilstm', 'cnn', 'rnn'])")
    if case == "missing-weights":
        weights.unlink()
        return f"{weights}: file not found"
    if case == "parquet-missing-column":
        df = read_table(folder / "test.parquet", "split").drop(columns=["label"])
        df.to_parquet(folder / "test.parquet")
        return f"{folder / 'test.parquet'}: table 'split' lacks column(s) ['label']"
    raise AssertionError(case)


ARTIFACT_CASES = ["truncated-weights", "cut-weights", "random-bytes-weights", "pickle-weights",
                  "torch-save-weights", "config-does-not-match", "truncated-config",
                  "config-unknown-encoder", "missing-weights", "parquet-missing-column"]


@pytest.mark.parametrize("case", ARTIFACT_CASES)
def test_artifact_fault(tmp_path, model_folder, case):
    from seatlib.models.steps import models_predict

    message = corrupt(model_folder, case)
    out = tmp_path / "predictions"
    with pytest.raises((ValueError, SchemaError)) as err:
        models_predict(predict_job(model_folder, out))
    assert str(err.value) == message
    assert not out.exists() or leftovers(out) == []
    assert not (model_folder / SENTINEL).exists()  # never unpickled


def test_good_model_folder_predicts(tmp_path, model_folder):
    """The fixture itself is sound: the same job on the untouched folder writes both tables."""
    from seatlib.models.steps import models_predict

    out = tmp_path / "predictions"
    models_predict(predict_job(model_folder, out))
    assert leftovers(out) == ["test.parquet", "test_metrics.parquet"]
    model, _ = load_model(model_folder / "model.safetensors", model_folder / "config.json")
    assert model.cfg.n_classes == 3


def test_outputs_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        write_table(pd.DataFrame({"example_id": ["a"], "text": ["w"], "tokens": [["w"]],
                                  "token_ids": [[2, 5, 3]], "label": [0]}),
                    tmp_path / "t.parquet", "split")
    finally:
        os.umask(old)
    assert (tmp_path / "t.parquet").stat().st_mode & 0o777 == 0o644


# ---------------------------------------------------------------------------------------------
# determinism in process: same seed, same bytes; another seed, other bytes

def test_training_same_seed_same_bytes_other_seed_differs(tmp_path):
    from safetensors.torch import save

    from seatlib.train import TrainConfig, train_model

    rng = np.random.default_rng(0)
    ids = [[2, *rng.integers(4, 30, size=rng.integers(2, 7)).tolist(), 3] for _ in range(40)]
    frame = pd.DataFrame({"token_ids": ids, "label": [i % 3 for i in range(40)]})
    cfg = TrainConfig(epochs=2, batch_size=8)

    def weights(seed):
        torch.manual_seed(seed)
        model = tiny_model(n_classes=3, seed=seed)
        state, epochs, _ = train_model(model, frame, frame, cfg, seed, "cpu")
        assert np.isfinite(epochs["dev_roc_auc"]).all()
        return save(state)

    assert weights(1) == weights(1)
    assert weights(1) != weights(2)


# ---------------------------------------------------------------------------------------------
# the workflow: one tiny three-class run; kill -9 twice, unlock, rerun: the same bytes

SNAKEMAKE = [sys.executable, "-m", "snakemake"]
DATASET = "tri"
MODEL = f"{DATASET}/bilstm-tanh/seed1"
TARGETS = [f"results/predictions/{MODEL}/test_metrics.parquet",
           f"results/jw/{MODEL}/importance/gradient.parquet"]
TRAIN_LOG = f"results/logs/models_train/{MODEL}.log"
IMPORTANCE_LOG = f"results/logs/jw_importance/{MODEL}/gradient.log"
TIMING_COLUMNS = ["seconds", "train_seconds"]  # wall-clock columns (not bytes-comparable)


def workflow_config(workdir: Path) -> Path:
    data = workdir / "tri.csv"
    data.write_text(csv_of(three_class_rows(150)))
    cfg = {"experiments": {"datasets": [DATASET], "encoders": ["bilstm"],
                           "attentions": ["tanh"], "seeds": [1]},
           "data": {"user_datasets": {DATASET: {"path": str(data), "text_column": "text",
                                                "label_column": "label"}}},
           "embedding": {"source": "scratch", "dim": 16}, "model": {"hidden_size": 16},
           "train": {"epochs": 30}, "threads": 1, "device": "cpu",
           "jw": {"importance": {"methods": ["gradient"], "max_examples": 20}}}
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def smk_args(workdir: Path, *extra: str) -> list[str]:
    return [*SNAKEMAKE, *TARGETS, "--snakefile", str(REPO / "Snakefile"), "--directory",
            str(workdir), "--configfile", str(workdir / "config.yaml"), *extra]


def smk_env() -> dict:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("SEAT_DATA_MIRROR", None)
    return env


def smk(workdir: Path, *extra: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(smk_args(workdir, *extra), cwd=REPO, env=smk_env(),
                          capture_output=True, text=True, timeout=600)
    if check and proc.returncode:
        raise AssertionError(f"snakemake failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def kill_when(workdir: Path, log: str, text: str, *extra: str) -> None:
    """Start the workflow in its own process group; SIGKILL the group once ``log`` holds
    ``text`` (the job is running)."""
    proc = subprocess.Popen(smk_args(workdir, *extra), cwd=REPO, env=smk_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    path, deadline = workdir / log, time.monotonic() + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if path.is_file() and text in path.read_text():
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the workflow ended before the job could be killed"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def outputs(workdir: Path) -> dict[str, bytes]:
    """Every result file but logs and benchmarks (which hold times), by relative path."""
    res = workdir / "results"
    return {str(p.relative_to(res)): p.read_bytes() for p in sorted(res.rglob("*"))
            if p.is_file() and p.parts[len(res.parts)] not in ("logs", "benchmarks")}


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("faults-reference")
    workflow_config(workdir)
    smk(workdir, "--cores", "2")
    return workdir


@pytest.mark.workflow
def test_three_class_workflow(reference_run):
    res = reference_run / "results"
    epochs = read_table(res / "models" / MODEL / "epochs.parquet", "epoch_metrics")
    assert np.isfinite(epochs["dev_roc_auc"]).all() and epochs["selected"].sum() == 1
    pred = read_table(res / "predictions" / MODEL / "test.parquet", "predictions")
    probs = np.stack(pred["prob"].to_numpy())
    assert probs.shape == (15, 3) and np.allclose(probs.sum(1), 1, atol=1e-5)
    imp = read_table(res / "jw" / MODEL / "importance" / "gradient.parquet", "importance")
    assert imp["example_id"].nunique() == 15


@pytest.mark.workflow
def test_kill9_unlock_rerun_gives_the_same_bytes(reference_run, tmp_path):
    workdir = tmp_path
    workflow_config(workdir)
    # killed while training
    kill_when(workdir, TRAIN_LOG, "training bilstm-tanh", "--cores", "1")
    assert not (workdir / "results" / "models" / MODEL / "model.safetensors").exists()
    locked = smk(workdir, "--cores", "1", check=False)
    assert locked.returncode != 0 and "Directory cannot be locked" in locked.stdout + \
        locked.stderr
    smk(workdir, "--unlock")
    # killed while computing importance
    kill_when(workdir, IMPORTANCE_LOG, "", "--cores", "1", "--rerun-incomplete")
    assert (workdir / "results" / "models" / MODEL / "model.safetensors").exists()
    assert not (workdir / "results" / "jw" / MODEL / "importance" / "gradient.parquet").exists()
    smk(workdir, "--unlock")
    smk(workdir, "--cores", "1", "--rerun-incomplete")

    ref, got = outputs(reference_run), outputs(workdir)
    assert sorted(got) == sorted(ref)
    timed = [name for name in ref if name.endswith(".parquet") and set(TIMING_COLUMNS) &
             set(pd.read_parquet(reference_run / "results" / name).columns)]
    assert timed == [f"models/{MODEL}/epochs.parquet"]
    for name in ref:  # --cores 2 then --cores 1, interrupted twice: the same bytes
        if name in timed:
            a = pd.read_parquet(reference_run / "results" / name)
            b = pd.read_parquet(workdir / "results" / name)
            cols = [c for c in a.columns if c not in TIMING_COLUMNS]
            pd.testing.assert_frame_equal(a[cols], b[cols])
        else:
            assert got[name] == ref[name], name


def test_safetensors_whose_header_length_starts_with_0x80_is_not_a_pickle(tmp_path):
    # a valid header length whose low byte is 0x80 begins like a pickle; it must still load
    import torch
    from safetensors.torch import save_file

    from seatlib.checkpoint import tensor_shapes

    path = tmp_path / "model.safetensors"
    for pad in range(400):
        save_file({"w": torch.zeros(2, 3)}, str(path), metadata={"pad": "x" * pad})
        if path.read_bytes()[0] == 0x80:
            break
    assert path.read_bytes()[0] == 0x80
    assert tensor_shapes(path) == {"w": [2, 3]}
