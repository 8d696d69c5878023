"""Snakemake adapter: DECODE-style enhancer labels and track features (seqcnn.decode.build_decode_dataset)."""

from seqcnn.decode import build_decode_dataset
from seqcnn.genome import chrom_sizes_path
from seqcnn.logs import run_step

sm = snakemake  # noqa: F821
run_step(
    build_decode_dataset,
    sm.input.fasta,
    chrom_sizes_path(sm.input.fasta),
    sm.params.starr_peaks,
    sm.params.accessibility_peaks,
    sm.params.tracks,
    sm.output.dataset,
    blacklist=sm.input.get("blacklist"),
    log_path=sm.log[0],
    outputs=sm.output,
    key=f"datasets.{sm.wildcards.dataset}",
    **sm.params.settings,
)
