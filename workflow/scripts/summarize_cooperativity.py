"""Snakemake adapter: a study's cooperativity modes of every measured model (seqcnn.cooperativity)."""

from seqcnn.cooperativity import summarize_cooperativity
from seqcnn.logs import run_step

sm = snakemake  # noqa: F821
run_step(
    summarize_cooperativity,
    list(sm.input.modes),
    sm.params.models,
    sm.output.tsv,
    log_path=sm.log[0],
    outputs=sm.output,
)
