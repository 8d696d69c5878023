"""Snakemake adapter: peak windows with signal tracks (seqcnn.multimodal.build_multimodal_dataset)."""

from seqcnn.genome import chrom_sizes_path
from seqcnn.logs import run_step
from seqcnn.multimodal import build_multimodal_dataset

sm = snakemake  # noqa: F821
run_step(
    build_multimodal_dataset,
    sm.input.peaks,
    sm.input.windows,
    chrom_sizes_path(sm.input.fasta),
    sm.params.tracks,
    sm.output.dataset,
    log_path=sm.log[0],
    outputs=sm.output,
    key=f"datasets.{sm.wildcards.dataset}",
    **sm.params.settings,
)
