"""Rule times read back from a Snakemake log (seatlib.runlog)."""

from seatlib.runlog import main, markdown, parse_log, rule_totals

LOG = """\
Building DAG of jobs...

[Sun Nov 22 06:01:16 2026]
localrule prepare_dataset:
    input: results/raw/sst/train.txt
    jobid: 2
    wildcards: dataset=sst
    threads: 1

[Sun Nov 22 06:01:18 2026]
Finished jobid: 2 (Rule: prepare_dataset)
1 of 4 steps (25%) done

[Sun Nov 22 06:01:28 2026]
rule train_model:
    jobid: 51
    wildcards: dataset=sst, encoder=bilstm, attention=tanh, seed=2
Select jobs to execute...

[Sun Nov 22 06:01:29 2026]
localrule train_model:
    jobid: 9
    wildcards: dataset=sst, encoder=average, attention=tanh, seed=1

[Sun Nov  1 06:03:08 2026]
Finished jobid: 9 (Rule: train_model)

[Sun Nov 22 06:03:08 2026]
Finished jobid: 51 (Rule: train_model)

[Sun Nov 22 06:03:09 2026]
localrule all:
    jobid: 0
"""


def test_parse_pairs_start_and_finish_by_jobid():
    jobs = parse_log(LOG.replace("Nov  1", "Nov 22"))
    assert [(j.jobid, j.rule, j.seconds) for j in jobs] == [
        (2, "data_prepare", 2.0), (9, "models_train", 99.0), (51, "models_train", 100.0)]
    assert jobs[2].wildcards == "dataset=sst, encoder=bilstm, attention=tanh, seed=2"
    # rule "all" started but never finished: not reported
    assert 0 not in {j.jobid for j in jobs}
    assert rule_totals(jobs) == [("models_train", 2, 199.0), ("data_prepare", 1, 2.0)]


def test_single_digit_day_is_parsed():
    jobs = parse_log(LOG)
    # "Sun Nov  1" (two spaces) parses; the job "ends" three weeks before it starts
    assert next(j for j in jobs if j.jobid == 9).seconds < 0


def test_markdown_report_and_cli(tmp_path, capsys):
    text = markdown(parse_log(LOG.replace("Nov  1", "Nov 22")), per_job=True)
    assert text.startswith("3 jobs, first start to last finish 112 s (1.9 min), summed job time "
                           "201 s")
    assert "| train_model | 2 | 199 | 99.0% |" in text
    assert "| train_model | dataset=sst, encoder=bilstm, attention=tanh, seed=2 | 100 |" in text
    log = tmp_path / "run.log"
    log.write_text(LOG.replace("Nov  1", "Nov 22"))
    assert main([str(log)]) == 0
    assert "| prepare_dataset | 1 | 2 | 1.0% |" in capsys.readouterr().out
    assert main([str(tmp_path / "missing.log")]) == 2
    assert "missing.log: cannot read the Snakemake log" in capsys.readouterr().err
    assert markdown([]) == "no finished jobs in the log\n"
