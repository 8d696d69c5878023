"""Snakemake adapter: the Koo & Eddy synthetic dataset (seqcnn.synthetic.build_synthetic_dataset)."""

from seqcnn.logs import run_step
from seqcnn.synthetic import build_synthetic_dataset

sm = snakemake  # noqa: F821
jaspar = sm.params.jaspar
run_step(
    build_synthetic_dataset,
    sm.params.motif_ids,
    sm.output.dataset,
    sm.output.summary,
    release=jaspar["release"],
    collection=jaspar["collection"],
    tax_group=jaspar["tax_group"],
    log_path=sm.log[0],
    outputs=sm.output,
    key=f"datasets.{sm.wildcards.dataset}",
    **sm.params.settings,
)
