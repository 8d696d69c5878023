"""Snakemake adapter: deeper-layer match fractions (seqcnn.tables.summarize_layers)."""

from seqcnn.logs import run_step
from seqcnn.tables import summarize_layers

sm = snakemake  # noqa: F821
run_step(
    summarize_layers, sm.input.stats, sm.params.deeper, sm.output.tsv, log_path=sm.log[0], outputs=sm.output
)
