"""Snakemake adapter: % relevant match and AU-ROC against first-layer pool size (seqcnn.plotting)."""

from seqcnn.logs import run_step
from seqcnn.plotting import plot_pool_size

sm = snakemake  # noqa: F821
run_step(
    plot_pool_size,
    sm.input.table,
    sm.output.png,
    published=sm.params.published,
    log_path=sm.log[0],
    outputs=sm.output,
)
