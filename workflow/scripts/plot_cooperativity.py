"""Snakemake adapter: one model's cooperativity curves against distance (seqcnn.plotting)."""

from seqcnn.logs import run_step
from seqcnn.plotting import plot_cooperativity

sm = snakemake  # noqa: F821
run_step(
    plot_cooperativity,
    sm.input.curves,
    sm.output.png,
    truth_path=sm.input.truth[0] if sm.input.truth else None,
    title=f"{sm.wildcards.study}: {sm.wildcards.model}",
    log_path=sm.log[0],
    outputs=sm.output,
)
