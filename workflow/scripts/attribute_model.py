"""Snakemake adapter: attribution maps of one run's top-scoring test positives (seqcnn.attribution)."""

from seqcnn.attribution import attribute_run
from seqcnn.logs import run_step

sm = snakemake  # noqa: F821
run_step(
    attribute_run,
    sm.params.run_dir,
    sm.input.dataset,
    sm.output.npz,
    sm.output.tsv,
    **sm.params.settings,
    log_path=sm.log[0],
    outputs=sm.output,
    key=f"studies.{sm.params.study}.interpret.attributions",
)
