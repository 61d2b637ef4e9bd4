"""Per-rule and per-job times from Snakemake benchmark files (seatlib.runlog)."""

from pathlib import Path

import pandas as pd
import pytest

from seatlib.runlog import BenchmarkError, jobs, main, markdown, rule_summary

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def row(s: float, rss: str) -> str:
    return f"{s:.2f}\t0:00:00\t{rss}\t900.10\t{rss}\t{rss}\t0.01\t0.02\t95.00\t1.50\n"


# rule -> wildcards -> rows (as Snakemake writes them)
FILES = {
    "models_train": {
        "sst/bilstm-tanh/seed1": [row(100.25, "812.50")],
        "sst/bilstm-tanh/seed2": [row(80.75, "790.00")],
        "imdb/average-dot/seed1": [row(20.00, "1024.25")],
    },
    "data_prepare": {"sst": [row(3.50, "210.00")]},
    # a job faster than the first sample: memory is NA
    "jw_table_tau": {"jw_table_tau": [row(0.40, "NA")]},
    # repeat(2): mean seconds, largest RSS
    "data_embed": {"sst": [row(2.00, "300.00"), row(4.00, "350.50")]},
}


@pytest.fixture
def bench(tmp_path: Path) -> Path:
    root = tmp_path / "benchmarks"
    for rule, files in FILES.items():
        for wildcards, rows in files.items():
            path = root / rule / f"{wildcards}.tsv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(HEADER + "".join(rows))
    return root


def test_jobs_one_row_per_file(bench: Path) -> None:
    df = jobs(bench)
    assert df.to_dict("list") == {
        "rule": ["data_embed", "data_prepare", "jw_table_tau", "models_train", "models_train",
                 "models_train"],
        "wildcards": ["sst", "sst", "jw_table_tau", "imdb/average-dot/seed1",
                      "sst/bilstm-tanh/seed1", "sst/bilstm-tanh/seed2"],
        "seconds": [3.0, 3.5, 0.4, 20.0, 100.25, 80.75],
        "max_rss": pytest.approx([350.5, 210.0, float("nan"), 1024.25, 812.5, 790.0],
                                 nan_ok=True),
    }


def test_rule_summary_exact(bench: Path) -> None:
    summary = rule_summary(jobs(bench))
    assert summary["rule"].tolist() == ["models_train", "data_prepare", "data_embed",
                                        "jw_table_tau"]
    assert summary["jobs"].tolist() == [3, 1, 1, 1]
    assert summary["total_s"].tolist() == [201.0, 3.5, 3.0, 0.4]
    assert summary["mean_s"].tolist() == [67.0, 3.5, 3.0, 0.4]
    assert summary["max_s"].tolist() == [100.25, 3.5, 3.0, 0.4]
    assert summary["max_rss_mb"].tolist()[:3] == [1024.25, 210.0, 350.5]
    assert pd.isna(summary["max_rss_mb"].iloc[3])


def test_markdown_and_cli(bench: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = markdown(jobs(bench), with_jobs=True)
    lines = text.splitlines()
    assert lines[0] == "6 jobs, summed job time 207.9 s (3.5 min)"
    assert lines[2:8] == [
        "| rule | jobs | total s | mean s | max s | max RSS MB |",
        "|---|---|---|---|---|---|",
        "| models_train | 3 | 201.0 | 67.0 | 100.2 | 1024.2 |",
        "| data_prepare | 1 | 3.5 | 3.5 | 3.5 | 210.0 |",
        "| data_embed | 1 | 3.0 | 3.0 | 3.0 | 350.5 |",
        "| jw_table_tau | 1 | 0.4 | 0.4 | 0.4 | NA |",
    ]
    assert lines[9:12] == ["| rule | wildcards | s | max RSS MB |", "|---|---|---|---|",
                           "| models_train | sst/bilstm-tanh/seed1 | 100.2 | 812.5 |"]
    assert lines[-1] == "| jw_table_tau | jw_table_tau | 0.4 | NA |"
    assert main([str(bench)]) == 0
    out = capsys.readouterr().out
    assert out == "\n".join(text.splitlines()[:8]) + "\n"


def test_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "absent")]) == 2
    assert capsys.readouterr().err == (f"{tmp_path / 'absent'}: no such benchmark folder "
                                       "(results/benchmarks after a run)\n")
    bad = tmp_path / "b" / "rule_x" / "w.tsv"
    bad.parent.mkdir(parents=True)
    bad.write_text("seconds\tmem\n1\t2\n")
    with pytest.raises(BenchmarkError) as err:
        jobs(tmp_path / "b")
    assert str(err.value) == f"{bad}: not a Snakemake benchmark file (no column s, max_rss)"
    bad.write_text(HEADER)
    with pytest.raises(BenchmarkError, match=r"w.tsv: not a Snakemake benchmark file \(no rows\)"):
        jobs(tmp_path / "b")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "top.tsv").write_text(HEADER + row(1.0, "1.0"))
    with pytest.raises(BenchmarkError, match="expected <root>/<rule>/<wildcards>.tsv"):
        jobs(tmp_path / "c")
    (tmp_path / "d").mkdir()
    assert markdown(jobs(tmp_path / "d")) == "no benchmark files\n"
