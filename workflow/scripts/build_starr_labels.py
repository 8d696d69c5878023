"""Snakemake adapter: DeepSTARR-style activity labels (seqcnn.starr.build_starr_regression_dataset)."""

from seqcnn.genome import chrom_sizes_path
from seqcnn.logs import run_step
from seqcnn.starr import build_starr_regression_dataset

sm = snakemake  # noqa: F821
settings = {k: v for k, v in sm.params.starr.items() if k != "tasks"}
run_step(
    build_starr_regression_dataset,
    sm.input.fasta,
    chrom_sizes_path(sm.input.fasta),
    sm.params.starr["tasks"],
    sm.output.dataset,
    splits=sm.params.splits,
    blacklist=sm.input.blacklist,
    aliases=sm.params.aliases,
    log_path=sm.log[0],
    **settings,
)
