"""Snakemake adapter: train one model x trial (seqcnn.train.train_model)."""

from seqcnn.logs import run_step
from seqcnn.train import train_model

sm = snakemake  # noqa: F821
training = dict(sm.params.training)  # config training settings (+ a study's overrides and options)
run_step(
    train_model,
    sm.wildcards.model,
    sm.input.dataset,
    sm.params.run_dir,
    trial=int(sm.wildcards.trial),
    threads=sm.threads,
    log_path=sm.log[0],
    outputs=sm.output,
    key=f"studies.{sm.wildcards.study}",
    **training,
)
