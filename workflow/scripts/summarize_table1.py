"""Snakemake adapter: Table 1 or 2 beside the published values (seqcnn.tables.summarize_table1)."""

from seqcnn.logs import run_step
from seqcnn.tables import summarize_table1

sm = snakemake  # noqa: F821
run_step(
    summarize_table1,
    sm.input.metrics,
    sm.input.stats,
    sm.params.models,
    sm.output.tsv,
    sm.output.md,
    published=sm.params.published,
    log_path=sm.log[0],
    outputs=sm.output,
)
