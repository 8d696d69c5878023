"""Snakemake adapter: DeepSTARR-style activity labels (seqcnn.starr.build_starr_regression_dataset)."""

from seqcnn.genome import chrom_sizes_path
from seqcnn.logs import run_step
from seqcnn.starr import build_starr_regression_dataset

sm = snakemake  # noqa: F821
run_step(
    build_starr_regression_dataset,
    sm.input.fasta,
    chrom_sizes_path(sm.input.fasta),
    sm.params.tasks,
    sm.output.dataset,
    blacklist=sm.input.get("blacklist"),
    log_path=sm.log[0],
    outputs=sm.output,
    key=f"datasets.{sm.wildcards.dataset}",
    **sm.params.settings,
)
