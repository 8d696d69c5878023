"""Snakemake adapter: logo grid of one model's first-layer filters (seqcnn.plotting)."""

from seqcnn.logs import run_step
from seqcnn.plotting import plot_filter_logos

sm = snakemake  # noqa: F821
run_step(
    plot_filter_logos, sm.input.meme, sm.input.stats, sm.output.png, log_path=sm.log[0], outputs=sm.output
)
