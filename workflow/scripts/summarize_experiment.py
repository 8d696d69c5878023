"""Snakemake adapter: an experiment's scores beside chance, as Markdown (seqcnn.experiments.write_summary)."""

from seqcnn.experiments import write_summary
from seqcnn.logs import run_step

sm = snakemake  # noqa: F821
run_step(
    write_summary, sm.input.tsv, sm.output.md, title=sm.params.title, log_path=sm.log[0], outputs=sm.output
)
