"""Snakemake adapter: DECODE-style enhancer labels and track features (seqcnn.starr.build_decode_dataset)."""

from seqcnn.decode import build_decode_dataset
from seqcnn.genome import chrom_sizes_path
from seqcnn.logs import run_step

sm = snakemake  # noqa: F821
d = dict(sm.params.decode)
run_step(
    build_decode_dataset,
    sm.input.fasta,
    chrom_sizes_path(sm.input.fasta),
    d.pop("starr_peaks"),
    d.pop("accessibility_peaks"),
    d.pop("tracks"),
    sm.output.dataset,
    splits=sm.params.splits,
    blacklist=sm.input.blacklist,
    aliases=sm.params.aliases,
    log_path=sm.log[0],
    **d,
)
