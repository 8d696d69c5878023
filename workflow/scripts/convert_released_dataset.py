"""Snakemake adapter: a paper's released files into the dataset format (seqcnn.released)."""

from seqcnn.logs import run_step
from seqcnn.released import build_released_dataset

sm = snakemake  # noqa: F821
run_step(
    build_released_dataset,
    sm.params.entry,
    sm.output.dataset,
    log_path=sm.log[0],
    outputs=sm.output,
    key=f"datasets.{sm.wildcards.dataset}",
)
