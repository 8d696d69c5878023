"""Snakemake adapter: filter PWMs of one layer matched to JASPAR with Tomtom (seqcnn.motifs)."""

from seqcnn.logs import run_step
from seqcnn.motifs import annotate_run
from seqcnn.toy import planted_ids

sm = snakemake  # noqa: F821
m = sm.params.motifs
run_step(
    annotate_run,
    sm.params.run_dir,
    sm.input.dataset,
    sm.input.jaspar,
    sm.output.meme,
    sm.output.tomtom,
    sm.output.stats,
    layer=sm.params.layer,
    relevant_ids=planted_ids(sm.params.relevant_ids, sm.input.truth),
    evalue_threshold=m["evalue_threshold"],
    method=m["tomtom"],
    tomtom_binary=m["tomtom_binary"],
    threshold=m["activation_threshold"],
    window=m["window"],
    clip_threshold=m["clip_threshold"],
    clip_pad=m["clip_pad"],
    n_jobs=sm.threads,
    log_path=sm.log[0],
    outputs=sm.output,
)
