"""Snakemake adapter: every run's discovered motifs in one table and figure (seqcnn.discovery)."""

from seqcnn.discovery import report_discovered
from seqcnn.logs import run_step

sm = snakemake  # noqa: F821
run_step(
    report_discovered,
    sm.input.tables,
    sm.input.memes,
    sm.input.jaspar,
    sm.output.tsv,
    sm.output.png,
    log_path=sm.log[0],
    outputs=sm.output,
)
