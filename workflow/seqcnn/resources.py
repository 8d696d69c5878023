"""What each heavy job asks a scheduler for: memory (``mem_mb``) and wall time (``runtime``, minutes).

Both are sized from what the job processes rather than one constant per rule, so that a scheduler neither
kills a job nor keeps it waiting for memory it never touches: the dataset's splits (sequences, their
length, tracks), the model (parameters, activations and multiply-accumulates per sequence, measured by
building it and passing one sequence through it) and the run's epochs and batch sizes. A job's footprint
is a fixed part (Python, PyTorch and the package) plus what grows with its data and model; the constants
below are fitted to the benchmark files of the toy run (``config/toy.yaml`` on 2 CPU cores) and carry a
margin. Wall time assumes CPU throughput and every epoch up to ``max_epochs`` (early stopping cannot be
foreseen), so GPU jobs and early stops finish well inside it.

A job the scheduler ended for its memory or time comes back (with the profile's ``retries``) as attempt 2
and asks for twice both; a training job then resumes from its last epoch.

A dataset that is not built yet has no size: the functions then raise :class:`FileNotFoundError` for the
rule's input, which Snakemake takes to mean "to be determined" and asks again once the input exists.
"""

from __future__ import annotations

import errno
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .datasets import load_meta, load_split, load_tracks
from .layout import dataset_dir, run_settings
from .predict import call_model
from .train import TrainSettings, build_run_model, resolve_run

#: Resident memory of a job before it loads data or builds a model (Python, PyTorch, the package): the
#: smallest toy jobs peak at 350-450 MB.
BASE_MB = 600
#: Extra resident memory of filter annotation: Tomtom (memelite, numba) and the JASPAR motifs.
ANNOTATION_MB = 400
#: Training holds a model four times over (weights, gradients, two optimiser moments) plus a best copy.
PARAMETER_COPIES = 5
#: Bytes per activation value kept for the backward pass of one training sequence (float32, the
#: activation and its gradient, and PyTorch's workspace around them).
TRAIN_BYTES_PER_ACTIVATION = 12
#: Bytes per activation value of one sequence in an inference batch (float32, no graph kept).
EVAL_BYTES_PER_ACTIVATION = 4
#: Headroom on every memory estimate: allocator fragmentation and what the fit does not see.
MEM_MARGIN = 1.5
#: Multiply-accumulates per second one CPU thread sustains on convolutions (the toy runs: 0.6-4.5e10).
MACS_PER_SECOND = 1e10
#: Recurrent layers step through a sequence one position at a time: about ten times slower per operation
#: (the toy LSTM and RNN ran at 1e9).
RNN_SLOWDOWN = 10
#: A training step costs about three forward passes (forward, backward through activations and weights).
TRAIN_PASSES = 3
#: Start-up of a job (imports, loading the dataset, the Tomtom compilation cache) and margin on its time.
STARTUP_MINUTES = 2
TIME_MARGIN = 2.0
#: Sequences per batch of the first-layer activation passes of filter annotation (seqcnn.motifs).
ANNOTATION_BATCH = 500
#: Rules sized here; any other rule keeps what its ``resources:`` block says.
RULES = ("train_model", "train_trials", "evaluate_model", "evaluate_test_set", "match_filters_to_jaspar")

Config = Mapping[str, Any]


@dataclass(frozen=True)
class DataSize:
    """Sequences per split and resident bytes (codes, targets, tracks) per split of a built dataset."""

    n: dict[str, int]
    nbytes: dict[str, int]


@dataclass(frozen=True)
class ModelSize:
    """What one sequence costs a model: parameters, activation values of every layer, multiply-adds."""

    parameters: int
    activations: int
    macs: int


def _missing(path: str) -> FileNotFoundError:
    return FileNotFoundError(errno.ENOENT, "not built yet", path)


@lru_cache(maxsize=64)
def _data_size(root: str, mtime_ns: int) -> DataSize:
    meta = load_meta(root)
    n, nbytes = {}, {}
    for split in ("train", "valid", "test"):
        arrays = list(load_split(root, split, mmap=True))
        if meta.get("tracks"):
            arrays.append(load_tracks(root, split, mmap=True))
        n[split] = int(arrays[0].shape[0])
        nbytes[split] = int(sum(a.nbytes for a in arrays))
    return DataSize(n, nbytes)


def data_size(root: str | Path) -> DataSize:
    """Split sizes of the dataset at ``root``; :class:`FileNotFoundError` for ``root`` before it is built."""
    meta = Path(root) / "meta.json"
    if not meta.exists():
        raise _missing(str(root))
    return _data_size(str(root), meta.stat().st_mtime_ns)


#: Gate activations an RNN keeps per step and hidden unit for its backward pass, beyond its output.
GATES = {"LSTM": 4, "GRU": 3}


def _cost(module: nn.Module, inputs: tuple, output: Any) -> tuple[int, int]:
    """Activation values and (CPU-time weighted) multiply-accumulates of one sequence through one leaf."""
    out = output[0] if isinstance(output, tuple) else output
    values = out[0].numel()
    if isinstance(module, nn.modules.conv._ConvNd):
        return values, values * module.in_channels // module.groups * math.prod(module.kernel_size)
    if isinstance(module, nn.Linear):
        return values, values * module.in_features
    if isinstance(module, nn.RNNBase):
        steps = inputs[0].shape[1 if module.batch_first else 0]
        weights = sum(p.numel() for name, p in module.named_parameters() if name.startswith("weight"))
        directions = 2 if module.bidirectional else 1
        gates = GATES.get(module.mode, 1) * module.hidden_size * steps * directions * module.num_layers
        return values + gates, RNN_SLOWDOWN * steps * weights
    return values, 0


@lru_cache(maxsize=256)
def _model_size(model_name: str, spec_json: str) -> ModelSize:
    spec = json.loads(spec_json)
    model = build_run_model(model_name, spec).eval()
    counts = {"activations": 0, "macs": 0}

    def hook(module, inputs, output):
        values, macs = _cost(module, inputs, output)
        counts["activations"] += values
        counts["macs"] += macs

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    inputs = {}
    if "sequence" in spec["inputs"]:
        inputs["sequence"] = torch.zeros(1, 4, spec["crop"] or spec["seq_len"])
    if "tracks" in spec["inputs"]:
        inputs["tracks"] = torch.zeros(1, spec["n_tracks"], spec["seq_len"])
    try:
        with torch.no_grad():
            call_model(model, inputs)
    finally:
        for h in handles:
            h.remove()
    parameters = sum(p.numel() for p in model.parameters())
    return ModelSize(parameters, counts["activations"], counts["macs"])


def model_size(model_name: str, spec: Mapping[str, Any]) -> ModelSize:
    """Cost of one sequence for ``model_name`` built as a run resolves it (seqcnn.train.resolve_run)."""
    return _model_size(model_name, json.dumps(spec, sort_keys=True))


def _run(
    config: Config, wildcards: Any, data_root: str | None = None
) -> tuple[dict[str, Any], DataSize, ModelSize]:
    study, model = wildcards.study, wildcards.model
    root = dataset_dir(config["studies"][study]["dataset"])
    data = data_size(data_root or root)
    settings = run_settings(config, study, model)
    spec = resolve_run(model, root, settings["tasks"], settings["crop"], settings["model_options"])
    defaults = TrainSettings()
    for key in ("batch_size", "eval_batch_size", "max_epochs"):
        settings.setdefault(key, getattr(defaults, key))
    return settings, data, model_size(model, spec)


def _mb(nbytes: float) -> int:
    """Megabytes with the margin, rounded up to 100 MB."""
    return int(math.ceil((BASE_MB + nbytes * MEM_MARGIN / 1e6) / 100) * 100)


def _minutes(seconds: float) -> int:
    return int(math.ceil(STARTUP_MINUTES + seconds * TIME_MARGIN / 60))


def estimate(config: Config, rule: str, wildcards: Any, attempt: int = 1) -> dict[str, int]:
    """``mem_mb`` and ``runtime`` (minutes) of one job of ``rule`` (one of :data:`RULES`), times its
    ``attempt`` (Snakemake counts a job's tries from 1).

    Raises
    ------
    FileNotFoundError
        For the job's dataset directory, while it is not built yet.
    """
    scored = None
    if rule == "evaluate_test_set":  # the model of the study's dataset, the data of the test set
        scored = dataset_dir(config["studies"][wildcards.study]["test_sets"][wildcards.test_set])
    settings, data, size = _run(config, wildcards, scored)
    params = size.parameters * 4
    if rule in ("train_model", "train_trials"):
        # A stacked job holds and computes every trial of the model at once.
        trials = config["studies"][wildcards.study]["trials"] if rule == "train_trials" else 1
        batch = max(
            TRAIN_BYTES_PER_ACTIVATION * settings["batch_size"],
            EVAL_BYTES_PER_ACTIVATION * settings["eval_batch_size"],
        )
        per_trial = PARAMETER_COPIES * params + batch * size.activations
        nbytes = data.nbytes["train"] + data.nbytes["valid"] + trials * per_trial
        per_epoch = (TRAIN_PASSES * data.n["train"] + data.n["valid"]) * size.macs
        seconds = trials * settings["max_epochs"] * per_epoch / MACS_PER_SECOND
    elif rule in ("evaluate_model", "evaluate_test_set"):
        batch = EVAL_BYTES_PER_ACTIVATION * settings["eval_batch_size"]
        nbytes = data.nbytes["test"] + params + batch * size.activations
        seconds = data.n["test"] * size.macs / MACS_PER_SECOND
    elif rule == "match_filters_to_jaspar":
        batch = EVAL_BYTES_PER_ACTIVATION * ANNOTATION_BATCH
        nbytes = data.nbytes["test"] + params + batch * size.activations + ANNOTATION_MB * 1e6 / MEM_MARGIN
        seconds = 2 * data.n["test"] * size.macs / MACS_PER_SECOND
    else:
        raise ValueError(f"no size estimate for rule {rule!r}; expected one of {', '.join(RULES)}")
    return {"mem_mb": _mb(nbytes) * attempt, "runtime": _minutes(seconds) * attempt}


def mem_mb(config: Config, rule: str, wildcards: Any, attempt: int = 1) -> int:
    """Memory of one job of ``rule`` in MB (see :func:`estimate`)."""
    return estimate(config, rule, wildcards, attempt)["mem_mb"]


def runtime(config: Config, rule: str, wildcards: Any, attempt: int = 1) -> int:
    """Wall time of one job of ``rule`` in minutes (see :func:`estimate`)."""
    return estimate(config, rule, wildcards, attempt)["runtime"]
