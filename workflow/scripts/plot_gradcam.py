"""Snakemake adapter: Grad-CAM tracks of a few windows with planted elements and refined regions."""

from seqcnn.logs import run_step
from seqcnn.plotting import plot_gradcam

sm = snakemake  # noqa: F821
run_step(
    plot_gradcam,
    sm.input.maps,
    sm.input.refined,
    sm.output.png,
    truth=list(sm.input.truth),
    examples=sm.params.examples,
    log_path=sm.log[0],
    outputs=sm.output,
    key=f"studies.{sm.wildcards.study}.interpret.gradcam",
)
