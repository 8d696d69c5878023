"""Snakemake adapter: a study's comparison figure (seqcnn.studies.plot_study)."""

from seqcnn.logs import run_step
from seqcnn.studies import plot_study

sm = snakemake  # noqa: F821
run_step(
    plot_study,
    sm.input.metrics,
    list(sm.input.predictions),
    sm.input.dataset,
    sm.output.png,
    title=sm.params.study,
    tasks=sm.params.tasks,
    log_path=sm.log[0],
    outputs=sm.output,
)
