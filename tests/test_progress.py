"""seatlib.progress: the log lines of a long loop, and the status of a run (make status)."""

import itertools
import logging

from seatlib.progress import job_states, progress, status_text


def test_progress_logs_count_rate_and_eta_every_few_seconds(caplog):
    ticks = itertools.count(0, 4)  # every clock reading is 4 s later
    with caplog.at_level(logging.INFO, logger="seatlib.progress"):
        items = list(progress(range(10), desc="importance loo", every=10, tty=False,
                              clock=lambda: next(ticks)))
    assert items == list(range(10))
    assert [r.getMessage() for r in caplog.records] == [
        "importance loo: 3/10 (30%), 0.25 it/s, ETA 0:28",
        "importance loo: 6/10 (60%), 0.25 it/s, ETA 0:16",
        "importance loo: 9/10 (90%), 0.25 it/s, ETA 0:04",
        "importance loo: finished 10 it in 0:44",
    ]


def test_status_counts_done_failed_and_unfinished_jobs(tmp_path):
    logs = tmp_path / "results" / "logs"
    (logs / "jw_importance" / "sst").mkdir(parents=True)
    (logs / "models_train").mkdir(parents=True)
    t = "2026-12-02 10:00:00,000"
    (logs / "models_train" / "a.log").write_text(
        f"{t} seatlib.fit INFO epoch 1\n{t} seatlib INFO models_train done in 3.0 s; wrote x\n")
    (logs / "jw_importance" / "sst" / "loo.log").write_text(
        f"{t} seatlib ERROR ValueError: example 'x' has label outside 0..1\nTraceback ...\n")
    (logs / "jw_importance" / "sst" / "gradient.log").write_text(
        f"{t} seatlib.progress INFO importance gradient: 3/10 (30%), 1 batch/s, ETA 0:07\n")
    (logs / "data_embed.log").write_text("")
    states = job_states(logs)
    assert states["done"] == [("models_train/a", "")]
    assert states["failed"] == [("jw_importance/sst/loo",
                                 "ValueError: example 'x' has label outside 0..1")]
    assert [j for j, _ in states["unfinished"]] == ["data_embed", "jw_importance/sst/gradient"]
    bench = tmp_path / "results" / "benchmarks" / "models_train"
    bench.mkdir(parents=True)
    (bench / "a.tsv").write_text("s\th:m:s\tmax_rss\n3.5\t0:00:03\t100.0\n")
    text = status_text(tmp_path / "results")
    assert text.startswith("jobs: 1 done, 1 failed, 2 unfinished or running")
    assert "| models_train | 1 | 3.5 |" in text
