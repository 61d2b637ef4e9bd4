# Is attention an explanation, and can it be made a stable one?
# Run: snakemake --cores all   (config: config.yaml, schema: workflow/schemas/config.schema.yaml)
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/jw.smk"
include: "workflow/rules/jw_figures.smk"
include: "workflow/rules/wp.smk"
include: "workflow/rules/seat.smk"


rule all:
    input:
        all_targets(),
        jw_targets(),
        wp_targets(),
        seat_targets(),
    default_target: True
