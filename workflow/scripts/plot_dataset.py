"""Snakemake adapter: summary figure of one built dataset (seqcnn.plotting.plot_dataset)."""

from seqcnn.logs import run_step
from seqcnn.plotting import plot_dataset

sm = snakemake  # noqa: F821
run_step(plot_dataset, sm.input.dataset, sm.output.png, log_path=sm.log[0], outputs=sm.output)
