"""Snakemake adapter: TF-MoDISco patterns of one run matched to JASPAR (seqcnn.discovery)."""

from seqcnn.discovery import discover_motifs, planted_motifs
from seqcnn.logs import run_step

sm = snakemake  # noqa: F821
run_step(
    discover_motifs,
    sm.input.npz,
    sm.input.jaspar,
    sm.params.out_dir,
    sm.wildcards.model,
    int(sm.wildcards.trial),
    tasks=sm.params.tasks,
    planted=planted_motifs(sm.input.truth),
    **sm.params.settings,
    log_path=sm.log[0],
    outputs=sm.output,
    key=f"studies.{sm.params.study}.interpret.motif_discovery",
)
