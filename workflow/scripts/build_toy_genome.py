"""Snakemake adapter: the toy genome with known truth (seqcnn.toy.build_toy_genome)."""

from pathlib import Path

from seqcnn.logs import run_step
from seqcnn.toy import build_toy_genome

sm = snakemake  # noqa: F821
run_step(
    build_toy_genome,
    Path(sm.output.fasta).parent,
    seed=sm.params.seed,
    log_path=sm.log[0],
    outputs=sm.output,
    key=f"toys.{sm.wildcards.toy}.settings",
    **sm.params.settings,
)
