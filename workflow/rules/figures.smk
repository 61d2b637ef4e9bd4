rule fig_test_summary:
    input:
        predictions="results/predictions/{dataset}/{encoder}-{attention}/seed{seed}/test.parquet",
    output:
        pdf="results/figures/{dataset}/{encoder}-{attention}/seed{seed}/test_summary.pdf",
        png=report(
            "results/figures/{dataset}/{encoder}-{attention}/seed{seed}/test_summary.png",
            caption="../report/test_summary.rst",
            category="Models",
            subcategory="{dataset} {encoder}-{attention} seed {seed}",
        ),
    conda:
        "../envs/seatlib.yaml"
    log:
        "results/logs/fig_test_summary/{dataset}/{encoder}-{attention}/seed{seed}.log",
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../../scripts/fig_test_summary.py"
