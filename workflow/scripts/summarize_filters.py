"""Snakemake adapter: a study's first-layer filter matches per run (seqcnn.studies.summarize_filters)."""

from seqcnn.logs import run_step
from seqcnn.studies import summarize_filters

sm = snakemake  # noqa: F821
run_step(
    summarize_filters,
    list(sm.input.stats),
    sm.output.tsv,
    has_truth=sm.params.has_truth,
    log_path=sm.log[0],
    outputs=sm.output,
)
