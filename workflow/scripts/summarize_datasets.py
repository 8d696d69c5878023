"""Snakemake adapter: one row per built dataset (seqcnn.datasets.summarize_datasets)."""

from seqcnn.datasets import summarize_datasets
from seqcnn.logs import run_step

sm = snakemake  # noqa: F821
run_step(
    summarize_datasets,
    sm.params.names,
    sm.input.datasets,
    sm.output.tsv,
    log_path=sm.log[0],
    outputs=sm.output,
)
