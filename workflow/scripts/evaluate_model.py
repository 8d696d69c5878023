"""Snakemake adapter: evaluate one trained run on its test split, or on a test set of its study
(seqcnn.evaluate.evaluate_run)."""

from seqcnn.evaluate import evaluate_run
from seqcnn.logs import run_step

sm = snakemake  # noqa: F821
run_step(
    evaluate_run,
    sm.params.run_dir,
    sm.input.dataset,
    sm.output.metrics,
    predictions=sm.output.predictions,
    test_set=sm.params.test_set,
    log_path=sm.log[0],
    outputs=sm.output,
)
