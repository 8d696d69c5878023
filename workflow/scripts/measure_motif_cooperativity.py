"""Snakemake adapter: motif-distance cooperativity of one trained run (seqcnn.cooperativity)."""

from seqcnn.cooperativity import measure_cooperativity
from seqcnn.logs import run_step

sm = snakemake  # noqa: F821
run_step(
    measure_cooperativity,
    sm.params.run_dir,
    sm.input.dataset,
    sm.output.curves,
    sm.output.modes,
    truth_path=sm.input.truth[0] if sm.input.truth else None,
    **sm.params.settings,
    log_path=sm.log[0],
    outputs=sm.output,
    key=f"studies.{sm.wildcards.study}.interpret.cooperativity",
)
