"""Jain & Wallace's study through the workflow: one tiny run (shared with
tests/test_workflow.py::test_tiny_jain_wallace_study), then dry runs proving that an importance
option re-runs exactly the jobs of the methods that read it."""

import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

pytestmark = pytest.mark.workflow

FIGURES = ["tau_hist", "tau_density", "permutation", "adversary", "adversary_example"]
ENCODERS = ["bilstm", "average"]


def jw_targets(name: str) -> list[str]:
    return ["results/jw/tables/table2.md", "results/jw/figures/tau_bars.png",
            "results/jw/tables/corrgl.md", "results/jw/figures/corrgl_summary.png",
            f"results/jw/figures/{name}/corrgl.png"] + [
        f"results/jw/figures/{name}/{enc}-tanh/seed1/{fig}.png"
        for enc in ENCODERS for fig in FIGURES
    ]


def tiny_jw_study(tmp_path_factory) -> tuple[Path, dict]:
    """The tiny JW run (two models, three methods), made once per test session."""
    from tests.test_workflow import small_config, snakemake

    root = tmp_path_factory.getbasetemp() / "jw-tiny"
    cfgfile = root / "config.yaml"
    if not (root / "done").exists():
        root.mkdir(exist_ok=True)
        cfg = small_config(root)
        cfg["experiments"]["encoders"] = ENCODERS
        cfg["jw"] = {
            "importance": {"methods": ["gradient", "loo", "integrated_gradients"],
                           "n_steps": 8},
            "permutation": {"n_permutations": 10},
            "adversary": {"steps": 20},
        }
        cfgfile.write_text(yaml.safe_dump(cfg))
        name = cfg["experiments"]["datasets"][0]
        snakemake(*jw_targets(name), "--cores", "2", "--snakefile", str(REPO / "Snakefile"),
                  "--directory", str(root), "--configfile", str(cfgfile))
        (root / "done").touch()
    return root, yaml.safe_load(cfgfile.read_text())


@pytest.fixture(scope="module")
def jw_study(tmp_path_factory):
    return tiny_jw_study(tmp_path_factory)


def planned_jobs(workdir: Path, cfg: dict, overlay: dict) -> tuple[set, str]:
    """{(rule, wildcards)} of a dry run of the JW targets with ``overlay`` on top of the
    run's config (a second --configfile)."""
    from tests.test_workflow import snakemake

    over = workdir / "overlay.yaml"
    over.write_text(yaml.safe_dump(overlay))
    name = cfg["experiments"]["datasets"][0]
    out = snakemake(*jw_targets(name), "-n", "--cores", "1", "--snakefile",
                    str(REPO / "Snakefile"), "--directory", str(workdir), "--configfile",
                    str(workdir / "config.yaml"), str(over)).stdout
    jobs, rule = [], None
    for line in out.splitlines():
        head = re.match(r"^(?:local)?rule (\w+):$", line)
        if head:
            rule = head.group(1)
            jobs.append([rule, ""])
        elif rule and line.strip().startswith("wildcards:"):
            jobs[-1][1] = line.split(":", 1)[1].strip()
    planned = {tuple(j) for j in jobs}
    assert len(planned) == len(jobs), out  # every job once
    return planned, out


def test_changing_n_steps_reruns_only_integrated_gradients_and_its_dependents(jw_study):
    workdir, cfg = jw_study
    importance = cfg["jw"]["importance"]
    planned, out = planned_jobs(workdir, cfg, {})
    assert planned == set(), out
    # n_samples is read by the SHAP methods only, none of which this run has
    planned, out = planned_jobs(workdir, cfg, {"jw": {"importance": {**importance,
                                                                     "n_samples": 7}}})
    assert planned == set(), out

    planned, out = planned_jobs(workdir, cfg, {"jw": {"importance": {**importance,
                                                                     "n_steps": 9}}})
    # integrated gradients of each model; its agreement table and the two tau figures drawn
    # from it; Table 2 over both models and the bar chart drawn from Table 2. Not: gradient and
    # loo (they do not read n_steps), permutation, adversary and their figures.
    name = cfg["experiments"]["datasets"][0]
    model = "dataset={}, encoder={}, attention=tanh, seed=1"
    expected = {("jw_table2", ""), ("jw_fig_tau_bars", ""), ("jw_corrgl", ""),
                ("jw_fig_corrgl_summary", ""), ("jw_fig_corrgl", f"dataset={name}")}
    for enc in ENCODERS:
        w = model.format(name, enc)
        expected |= {("jw_importance", f"{w}, method=integrated_gradients"),
                     ("jw_agreement", w), ("jw_fig_tau_hist", w), ("jw_fig_tau_density", w)}
    assert planned == expected, out
    # the two integrated-gradients jobs, for their params alone (IG's options, no other's)
    params_changed = [line for line in out.splitlines()
                      if "reason: Params have changed" in line]
    assert len(params_changed) == 2, out
    for line in params_changed:
        assert "'n_steps': 8" in line and "'n_steps': 9" in line, line
        assert "n_samples" not in line and "shap_baseline" not in line, line


def test_steps_run_without_snakemake(jw_study, tmp_path):
    """A steps function takes a plain namespace; Table 2 from the run's agreement tables equals
    the workflow's, and the summary rows agree with the per-instance taus."""
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd

    from seatlib.jw.steps import jw_table2
    from seatlib.schema import read_table

    workdir, cfg = jw_study
    name = cfg["experiments"]["datasets"][0]
    inputs = [str(workdir / f"results/jw/{name}/{enc}-tanh/seed1/agreement.parquet")
              for enc in ENCODERS]
    out = SimpleNamespace(parquet=str(tmp_path / "t2.parquet"), markdown=str(tmp_path / "t2.md"))
    jw_table2(SimpleNamespace(input=inputs, output=out, params=SimpleNamespace(),
                              wildcards=SimpleNamespace(), threads=1))
    mine = read_table(out.parquet, "agreement_summary")
    pd.testing.assert_frame_equal(
        mine, read_table(workdir / "results/jw/tables/table2.parquet", "agreement_summary"))
    agreement = read_table(inputs[0], "agreement")
    sel = agreement[(agreement["method_a"] == "attention") & (agreement["method_b"] == "loo")]
    row = mine[(mine["model"] == "bilstm-tanh") & (mine["method_a"] == "attention")
               & (mine["method_b"] == "loo") & (mine["group"] == "overall")].iloc[0]
    # JW's denominators: every instance; undefined taus count as not significant
    assert row["n"] == len(sel) and row["n_undefined"] == int((~sel["defined"]).sum())
    assert row["mean_tau"] == pytest.approx(sel.loc[sel["defined"], "tau"].mean(), rel=1e-12)
    assert row["sig_frac"] == np.mean((sel["p_value"] <= 0.05) & sel["defined"])
