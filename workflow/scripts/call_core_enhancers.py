"""Snakemake adapter: Grad-CAM maps and DECODE's core enhancers of one trained run (seqcnn.gradcam)."""

from seqcnn.gradcam import call_run_core_enhancers
from seqcnn.logs import run_step

sm = snakemake  # noqa: F821
g = sm.params.gradcam
run_step(
    call_run_core_enhancers,
    sm.params.run_dir,
    sm.input.dataset,
    sm.output.maps,
    sm.output.original,
    sm.output.refined,
    sm.output.summary,
    truth=list(sm.input.truth),
    layer=g["layer"],
    target=g["target"],
    normalize=g["normalize"],
    threshold=g["threshold"],
    split=g["split"],
    batch_size=g["batch_size"],
    seed=g["seed"],
    log_path=sm.log[0],
    outputs=sm.output,
    key=f"studies.{sm.wildcards.study}.interpret.gradcam",
)
