"""Snakemake adapter: test Pearson per task beside DeepSTARR's published values (seqcnn.tables)."""

from seqcnn.logs import run_step
from seqcnn.tables import summarize_pearson

sm = snakemake  # noqa: F821
run_step(
    summarize_pearson, sm.input.metrics, sm.output.tsv, sm.output.md, log_path=sm.log[0], outputs=sm.output
)
