# Is attention an explanation, and can it be made a stable one?
# Run: snakemake --cores all   (config: config.yaml, schema: workflow/schemas/config.schema.yaml)
# One rule file per track (docs/architecture.md); rule <track>_all builds one track.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/jw.smk"
include: "workflow/rules/wp.smk"
include: "workflow/rules/seat.smk"
include: "workflow/rules/attattr.smk"
include: "workflow/rules/truth.smk"


rule all:
    default_target: True
    input:
        # every track's targets, and the HTML page of each table for the report
        html_tables(
            data_targets(),
            models_targets(),
            jw_targets(),
            wp_targets(),
            seat_targets(),
            attattr_targets(),
            truth_targets() if config["truth"]["enabled"] else [],
        ),
