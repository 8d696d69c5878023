"""Snakemake adapter: contribution logos of a run's top sequences (seqcnn.plotting)."""

from pathlib import Path

from seqcnn.logs import run_step
from seqcnn.plotting import plot_attributions

sm = snakemake  # noqa: F821
# A toy genome's planted instances sit beside its truth.json.
instances = [Path(t).parent / "truth" / "instances.tsv" for t in sm.input.truth]
run_step(
    plot_attributions,
    sm.input.npz,
    sm.output.png,
    instances_tsv=instances[0] if instances else None,
    log_path=sm.log[0],
    outputs=sm.output,
)
