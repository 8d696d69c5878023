"""Snakemake adapter: the Koo & Eddy synthetic dataset (seqcnn.synthetic.build_synthetic_dataset)."""

from pathlib import Path

from seqcnn.logs import run_step
from seqcnn.synthetic import build_synthetic_dataset

sm = snakemake  # noqa: F821
jaspar = sm.params.jaspar
run_step(
    build_synthetic_dataset,
    sm.params.motif_ids,
    Path(sm.output.meta).parent,
    sm.output.summary,
    release=jaspar["release"],
    collection=jaspar["collection"],
    tax_group=jaspar["tax_group"],
    n_seqs=sm.params.n_seqs,
    seq_len=sm.params.seq_len,
    split_fractions=sm.params.split_fractions,
    seed=sm.params.seed,
    log_path=sm.log[0],
)
