"""Snakemake adapter: Basset-style peak labels (seqcnn.labels.build_peak_dataset)."""

from seqcnn.labels import build_peak_dataset
from seqcnn.logs import run_step

sm = snakemake  # noqa: F821
run_step(
    build_peak_dataset,
    sm.params.samples,
    sm.input.fasta,
    sm.output.dataset,
    sm.output.summary,
    sm.output.windows,
    blacklist=sm.input.get("blacklist"),
    log_path=sm.log[0],
    outputs=sm.output,
    key=f"datasets.{sm.wildcards.dataset}",
    **sm.params.settings,
)
