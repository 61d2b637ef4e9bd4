rule fig_jw_tau_hist:
    input:
        "results/jw/{dataset}/{encoder}-{attention}/seed{seed}/agreement.parquet",
    output:
        pdf="results/figures/jw/{dataset}/{encoder}-{attention}/seed{seed}/tau_hist.pdf",
        png=report(
            "results/figures/jw/{dataset}/{encoder}-{attention}/seed{seed}/tau_hist.png",
            caption="../report/jw_tau_hist.rst",
            category="Jain & Wallace",
            subcategory="{dataset} {encoder}-{attention}",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/fig_jw_tau_hist/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/fig_jw_tau_hist.py"


rule fig_jw_tau_density:
    input:
        "results/jw/{dataset}/{encoder}-{attention}/seed{seed}/agreement.parquet",
    output:
        pdf="results/figures/jw/{dataset}/{encoder}-{attention}/seed{seed}/tau_density.pdf",
        png=report(
            "results/figures/jw/{dataset}/{encoder}-{attention}/seed{seed}/tau_density.png",
            caption="../report/jw_tau_density.rst",
            category="Jain & Wallace",
            subcategory="{dataset} {encoder}-{attention}",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/fig_jw_tau_density/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/fig_jw_tau_density.py"


rule fig_jw_permutation:
    input:
        "results/jw/{dataset}/{encoder}-{attention}/seed{seed}/permutation.parquet",
    output:
        pdf="results/figures/jw/{dataset}/{encoder}-{attention}/seed{seed}/permutation.pdf",
        png=report(
            "results/figures/jw/{dataset}/{encoder}-{attention}/seed{seed}/permutation.png",
            caption="../report/jw_permutation.rst",
            category="Jain & Wallace",
            subcategory="{dataset} {encoder}-{attention}",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/fig_jw_permutation/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/fig_jw_permutation.py"


rule fig_jw_adversary:
    input:
        "results/jw/{dataset}/{encoder}-{attention}/seed{seed}/adversary.parquet",
    output:
        pdf="results/figures/jw/{dataset}/{encoder}-{attention}/seed{seed}/adversary.pdf",
        png=report(
            "results/figures/jw/{dataset}/{encoder}-{attention}/seed{seed}/adversary.png",
            caption="../report/jw_adversary.rst",
            category="Jain & Wallace",
            subcategory="{dataset} {encoder}-{attention}",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/fig_jw_adversary/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/fig_jw_adversary.py"


rule fig_jw_adversary_example:
    input:
        adversary="results/jw/{dataset}/{encoder}-{attention}/seed{seed}/adversary.parquet",
        predictions="results/predictions/{dataset}/{encoder}-{attention}/seed{seed}/test.parquet",
    output:
        pdf="results/figures/jw/{dataset}/{encoder}-{attention}/seed{seed}/adversary_example.pdf",
        png=report(
            "results/figures/jw/{dataset}/{encoder}-{attention}/seed{seed}/adversary_example.png",
            caption="../report/jw_adversary_example.rst",
            category="Jain & Wallace",
            subcategory="{dataset} {encoder}-{attention}",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/fig_jw_adversary_example/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/fig_jw_adversary_example.py"


rule fig_jw_tau_bars:
    input:
        "results/tables/jw_table2.parquet",
    output:
        pdf="results/figures/jw/tau_bars.pdf",
        png=report(
            "results/figures/jw/tau_bars.png",
            caption="../report/jw_tau_bars.rst",
            category="Jain & Wallace",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/fig_jw_tau_bars.log",
    localrule: True
    script:
        "../../scripts/fig_jw_tau_bars.py"
