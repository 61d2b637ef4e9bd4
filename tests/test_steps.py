"""The step dispatcher (seatlib.steps) and a steps function driven by a plain namespace."""

import logging
import sys
from types import SimpleNamespace as NS

import pandas as pd
import pytest

from seatlib.models import steps as models_steps
from seatlib.schema import read_table, write_table
from seatlib.steps import run_step, step_function


def test_rule_of_an_unknown_track_is_an_error():
    tracks = "['data', 'models', 'jw', 'wp', 'seat', 'attattr', 'truth']"
    for rule in ("foo_bar", "models"):
        with pytest.raises(ValueError) as err:
            step_function(rule)
        assert str(err.value) == f"rule {rule!r}: expected <track>_<verb> with a track of {tracks}"


def test_rule_without_a_steps_function_is_an_error():
    with pytest.raises(ValueError) as err:
        step_function("models_nothing")
    assert str(err.value) == ("rule 'models_nothing': seatlib/models/steps.py has no function "
                              "models_nothing()")


def test_rule_names_find_their_functions():
    assert step_function("models_table_metrics") is models_steps.models_table_metrics
    from seatlib.data import steps as data_steps

    for rule in ("data_download", "data_prepare", "data_embed", "data_table_stats"):
        assert step_function(rule) is getattr(data_steps, rule)
    for rule in ("models_train", "models_predict", "models_fig_test_summary"):
        assert step_function(rule) is getattr(models_steps, rule)


def metrics_row(model, accuracy, roc_auc):
    return pd.DataFrame([{"dataset": "sst", "model": model, "seed": 1, "split": "test", "n": 4,
                          "accuracy": accuracy, "f1": 0.5, "macro_f1": 0.25,
                          "roc_auc": roc_auc, "selected_epoch": 2}])


def metrics_job(tmp_path):
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    write_table(metrics_row("bilstm-tanh", 0.75, 0.8), a, "test_metrics")
    write_table(metrics_row("average-tanh", 0.5, 0.625), b, "test_metrics")
    return NS(rule="models_table_metrics", input=[str(b), str(a)], params=NS(), wildcards=NS(),
              output=NS(parquet=str(tmp_path / "t.parquet"), markdown=str(tmp_path / "t.md")),
              log=[str(tmp_path / "job.log")], threads=1, resources=NS())


def test_models_table_metrics_stacks_the_inputs_in_order(tmp_path):
    job = metrics_job(tmp_path)
    models_steps.models_table_metrics(job)
    table = read_table(job.output.parquet, "test_metrics")
    assert table["model"].tolist() == ["average-tanh", "bilstm-tanh"]  # input order
    assert table["accuracy"].tolist() == [0.5, 0.75]
    assert table["roc_auc"].tolist() == [0.625, 0.8]
    assert table["selected_epoch"].tolist() == [2, 2]
    lines = (tmp_path / "t.md").read_text().splitlines()
    assert lines[0] == "# Test metrics"
    assert lines[2] == ("| dataset | model | seed | split | n | accuracy | f1 | macro_f1 | "
                        "roc_auc | selected_epoch |")
    assert lines[4] == ("| sst | average-tanh | 1 | test | 4 | 0.5000 | 0.5000 | 0.2500 | "
                        "0.6250 | 2 |")
    assert lines[5] == ("| sst | bilstm-tanh | 1 | test | 4 | 0.7500 | 0.5000 | 0.2500 | "
                        "0.8000 | 2 |")


def test_run_step_logs_to_the_job_log(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_step installs its own
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    job = metrics_job(tmp_path)
    try:
        run_step(job)
    finally:
        for h in root.handlers:
            h.close()
        root.handlers[:], root.level = handlers, level
    assert "models_table_metrics done in" in (tmp_path / "job.log").read_text()
    assert len(read_table(job.output.parquet, "test_metrics")) == 2
