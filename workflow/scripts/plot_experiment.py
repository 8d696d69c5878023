"""Snakemake adapter: an experiment's figure (seqcnn.experiments.plot_scores)."""

from seqcnn.experiments import plot_scores
from seqcnn.logs import run_step

sm = snakemake  # noqa: F821
run_step(
    plot_scores, sm.input.tsv, sm.output.png, title=sm.params.title, log_path=sm.log[0], outputs=sm.output
)
