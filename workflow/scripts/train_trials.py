"""Snakemake adapter: train all trials of one model together (seqcnn.stacked.train_trials)."""

from seqcnn.logs import run_step
from seqcnn.stacked import train_trials

sm = snakemake  # noqa: F821
training = dict(sm.params.training)  # config training settings (+ a study's overrides and options)
run_step(
    train_trials,
    sm.wildcards.model,
    sm.input.dataset,
    sm.params.run_dirs,
    sm.params.trials,
    threads=sm.threads,
    log_path=sm.log[0],
    outputs=sm.output,
    key=f"studies.{sm.wildcards.study}",
    **training,
)
