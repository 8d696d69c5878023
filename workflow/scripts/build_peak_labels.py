"""Snakemake adapter: Basset-style peak labels (seqcnn.labels.build_peak_dataset)."""

from seqcnn.labels import build_peak_dataset
from seqcnn.logs import run_step

sm = snakemake  # noqa: F821
# The sheet is an input; models and trials configure training on the dataset, not its labels.
settings = {k: v for k, v in sm.params.peaks.items() if k not in ("samples", "models", "trials")}
run_step(
    build_peak_dataset,
    sm.input.samples,
    sm.input.fasta,
    sm.output.dataset,
    sm.output.summary,
    sm.output.windows,
    splits=sm.params.splits,
    blacklist=sm.input.blacklist,
    aliases=sm.params.aliases,
    log_path=sm.log[0],
    **settings,
)
