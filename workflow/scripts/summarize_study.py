"""Snakemake adapter: one study's runs as a long metrics table (seqcnn.studies.summarize_study)."""

from seqcnn.logs import run_step
from seqcnn.studies import summarize_study

sm = snakemake  # noqa: F821
run_step(summarize_study, list(sm.input.tables), sm.output.tsv, log_path=sm.log[0], outputs=sm.output)
