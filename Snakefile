# Convolutional networks on regulatory DNA: reproducible studies as one Snakemake DAG.
# Scientific settings: config/config.yaml. Execution settings: profiles/.


from snakemake.utils import min_version

min_version("9.0")


# The default config, config/config.yaml, is read in workflow/rules/common.smk (a syntax error there names
# the file and line); --configfile files are merged over it, as Snakemake's configfile directive would.


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/genome.smk"
include: "workflow/rules/labels.smk"
include: "workflow/rules/released.smk"
include: "workflow/rules/synthetic.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/motifs.smk"
include: "workflow/rules/interpret.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/experiments.smk"


rule all:
    default_target: True
    input:
        layout.all_targets(config),
