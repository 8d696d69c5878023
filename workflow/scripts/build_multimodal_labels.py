"""Snakemake adapter: peak windows with accessibility tracks (seqcnn.starr.build_multimodal_dataset)."""

from seqcnn.genome import chrom_sizes_path
from seqcnn.logs import run_step
from seqcnn.multimodal import build_multimodal_dataset

sm = snakemake  # noqa: F821
d = dict(sm.params.multimodal)
run_step(
    build_multimodal_dataset,
    sm.input.peaks,
    sm.input.windows,
    chrom_sizes_path(sm.input.fasta),
    d.pop("tracks"),
    sm.output.dataset,
    aliases=sm.params.aliases,
    log_path=sm.log[0],
    **d,
)
