"""Snakemake adapter: fetch, verify, filter and index a genome (seqcnn.genome.fetch_genome)."""

from seqcnn.genome import fetch_genome
from seqcnn.logs import run_step

sm = snakemake  # noqa: F821
run_step(
    fetch_genome,
    sm.params.source,
    sm.output.fasta,
    sha256=sm.params.sha256,
    md5=sm.params.md5,
    chrom_regex=sm.params.chrom_regex,
    aliases=sm.params.aliases,
    log_path=sm.log[0],
    outputs=sm.output,
    key=f"genomes.{sm.wildcards.genome}",
)
