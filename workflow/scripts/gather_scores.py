"""Snakemake adapter: runs' scores on their test sets as one table (seqcnn.experiments.gather_scores)."""

from seqcnn.experiments import gather_scores
from seqcnn.logs import run_step

sm = snakemake  # noqa: F821
run_step(
    gather_scores,
    sm.params.studies,
    sm.params.test_sets,
    list(sm.input.metrics),
    list(sm.input.predictions),
    sm.output.tsv,
    log_path=sm.log[0],
    outputs=sm.output,
)
