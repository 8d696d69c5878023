"""seqcnn: convolutional networks on regulatory DNA.

The importable half of the pipeline. Every algorithm the Snakemake rules run lives here, so it can be
unit-tested and reused without a workflow engine: sequence encoding, synthetic data, the model registry,
the training engine, metrics, and first-layer motif annotation.
"""

__version__ = "0.1.0"
