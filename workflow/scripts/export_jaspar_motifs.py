"""Snakemake adapter: a JASPAR collection as a MEME file (seqcnn.motifs.write_jaspar_meme)."""

from seqcnn.logs import run_step
from seqcnn.motifs import write_jaspar_meme

sm = snakemake  # noqa: F821
j = sm.params.jaspar
run_step(
    write_jaspar_meme,
    sm.output.meme,
    release=j["release"],
    collection=j["collection"],
    tax_group=j["tax_group"],
    all_versions=j["all_versions"],
    log_path=sm.log[0],
    outputs=sm.output,
)
