"""Training engine, separate from the models.

One loop for every registered model and task: multi-task binary classification (cross-entropy on clipped
sigmoid outputs), multi-output regression (squared error summed over outputs, as DeepSTARR's per-task MSE
losses) and models over binned signal tracks (DECODE) or sequence plus tracks (multi-modal), all with Adam or
RMSprop, L2 (and a model's own L1) on its penalised parameters, optional reverse-complement augmentation,
and early stopping on the validation loss with the best checkpoint restored (Koo & Eddy 2019, spec
section 3). What a model reads is declared by its ``inputs`` attribute: ``("sequence",)``, ``("tracks",)``
or ``("sequence", "tracks")``; the dataset's ``meta.json`` says whether the targets are binary or real.

Data stay where they are cheapest to batch from. Small datasets (the synthetic one is 5 MB of codes) are
moved to the device once and one-hot encoded there per batch, so the loop is bound by the model's
compute and not by input handling. Larger ones are memory-mapped and streamed in batches.

A finished run directory holds ``settings.json`` (resolved settings and the seed), ``metrics.tsv`` (one row
per epoch) and ``model.pt`` (best ``state_dict``), all three written when training ends, so a killed job
leaves nothing that looks finished. While training it holds ``checkpoint.pt`` (last completed epoch,
optimiser and RNG state; the one before it as ``checkpoint.prev.pt``), from which a killed job resumes, and
``metrics.partial.tsv`` (the epochs so far). A checkpoint that cannot be read is set aside as
``*.corrupt`` and training resumes from the previous one, or starts afresh. Loading a finished run and
predicting with it belong to :mod:`seqcnn.predict`, which this module builds its models through.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from .datasets import load_meta, load_split, load_tracks, task_type
from .errors import InputError
from .io import atomic_path, write_json, write_tsv
from .logs import available_memory, format_bytes
from .metrics import classification_metrics, macro_average, regression_metrics
from .models import activation_elements, model_inputs
from .predict import call_model, crop_window, model_from_settings, output_transform, pick_device
from .sequence import one_hot

log = logging.getLogger("seqcnn.train")

# Datasets at most this large (codes + targets) are kept on the device for the whole run.
RESIDENT_BYTES = 2 * 1024**3


#: What early stopping and the kept epoch follow: the validation loss (penalty included), or the validation
#: score logged each epoch (macro auROC, or mean Pearson r for regression; higher is better).
MONITORS = ("loss", "score")


@dataclass
class TrainSettings:
    """Optimiser, schedule and regularisation settings (defaults: Koo & Eddy's effective values)."""

    lr: float = 1e-3
    beta1: float = 0.95
    beta2: float = 0.999
    adam_eps: float = 1e-8
    batch_size: int = 100
    max_epochs: int = 100
    patience: int = 20
    l2: float = 1e-6
    prob_clip: float = 1e-7
    eval_batch_size: int = 1000
    optimizer: str = "adam"
    rmsprop_alpha: float = 0.99
    rc_augment: bool = False
    monitor: str = "loss"

    def __post_init__(self) -> None:
        if self.optimizer not in ("adam", "rmsprop"):
            raise InputError(
                f"config key training.optimizer: expected 'adam' or 'rmsprop', got {self.optimizer!r}"
            )
        if self.monitor not in MONITORS:
            raise InputError(
                f"config key training.monitor: expected one of {', '.join(MONITORS)}, got {self.monitor!r}"
            )


def trial_seed(base_seed: int, trial: int) -> int:
    """Seed of one trial: distinct per trial, recorded in the run's settings."""
    return int(base_seed) * 1000 + int(trial)


class BatchSource:
    """Shuffled mini-batches of model inputs and targets from a dataset split.

    Parameters
    ----------
    X
        ``(N, L)`` uint8 codes (array or memmap), or ``None`` for a model that reads tracks only.
    y
        ``(N, T)`` targets.
    device
        Where batches are delivered.
    resident
        Keep the whole split on ``device`` (default: when it is small enough).
    tracks
        ``(N, K, B)`` float32 signal tracks, or ``None`` for a sequence-only model.
    crop
        Keep the central ``crop`` positions of each sequence (and of per-base tracks); ``None`` keeps all.
    """

    def __init__(
        self,
        X: np.ndarray | None,
        y: np.ndarray,
        device: torch.device,
        resident: bool | None = None,
        tracks: np.ndarray | None = None,
        crop: int | None = None,
    ):
        self.n = len(y)
        self.device = device
        self.window = crop_window(X.shape[1] if X is not None else None, crop)
        parts = {"X": X, "tracks": tracks}
        nbytes = y.nbytes + sum(a.nbytes for a in parts.values() if a is not None)
        self.resident = nbytes <= RESIDENT_BYTES if resident is None else resident
        self.arrays: dict[str, Any] = {}
        for key, arr in parts.items():
            if arr is None:
                continue
            if self.window is not None and (key == "X" or arr.shape[-1] == X.shape[1]):
                arr = arr[..., self.window]
            # np.array copies out of a (read-only) memmap before the one transfer to the device.
            self.arrays[key] = torch.from_numpy(np.array(arr)).to(device) if self.resident else arr
        self.y = torch.from_numpy(np.array(y, dtype=np.float32)).to(device) if self.resident else y

    def _take(self, key: str, idx: torch.Tensor) -> torch.Tensor:
        arr = self.arrays[key]
        if self.resident:
            return arr[idx]
        # Sorted reads are sequential on a memmap; the order within a batch is irrelevant.
        return torch.from_numpy(np.asarray(arr[np.sort(idx.numpy())])).to(self.device, non_blocking=True)

    def batches(self, batch_size: int, generator: torch.Generator | None = None):
        """Yield ``(inputs, y)``: a dict with ``sequence`` (B, 4, L) one-hot and/or ``tracks`` (B, K, ·)
        float tensors, and targets (B, T); shuffled when a generator is given."""
        order = torch.randperm(self.n, generator=generator) if generator is not None else torch.arange(self.n)
        if self.resident:
            order = order.to(self.device)
        for start in range(0, self.n, batch_size):
            idx = order[start : start + batch_size]
            inputs = {}
            if "X" in self.arrays:
                inputs["sequence"] = one_hot(self._take("X", idx))
            if "tracks" in self.arrays:
                inputs["tracks"] = self._take("tracks", idx).float()
            if self.resident:
                yb = self.y[idx]
            else:
                yb = torch.from_numpy(np.asarray(self.y[np.sort(idx.numpy())], dtype=np.float32))
                yb = yb.to(self.device)
            yield inputs, yb


def reverse_complement(inputs: dict[str, torch.Tensor], mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """Reverse-complement the rows selected by ``mask`` (B,) bool.

    One-hot ACGT reversed along both axes is the reverse complement (A<->T, C<->G, positions reversed);
    tracks are reversed along positions.
    """
    out = {}
    for key, x in inputs.items():
        flipped = x.flip((1, 2)) if key == "sequence" else x.flip(-1)
        out[key] = torch.where(mask.view(-1, *([1] * (x.dim() - 1))), flipped, x)
    return out


def bce_loss(logits: torch.Tensor, y: torch.Tensor, clip: float) -> torch.Tensor:
    """Binary cross-entropy on sigmoid outputs clipped to ``[clip, 1 - clip]``; mean over all."""
    p = torch.sigmoid(logits).clamp(clip, 1.0 - clip)
    return -(y * torch.log(p) + (1.0 - y) * torch.log1p(-p)).mean()


def mse_loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error per output, summed over outputs (DeepSTARR: MSE(Dev) + MSE(Hk))."""
    return ((y_hat - y) ** 2).mean(dim=0).sum()


def task_loss(out: torch.Tensor, y: torch.Tensor, task: str, settings: TrainSettings) -> torch.Tensor:
    """The loss of a ``binary`` or ``regression`` task."""
    return mse_loss(out, y) if task == "regression" else bce_loss(out, y, settings.prob_clip)


def penalty(model: nn.Module, l2: float) -> torch.Tensor:
    """``l2 * sum(w^2)`` plus ``model.l1 * sum(|w|)`` over the model's penalised parameters."""
    params = model.penalized_parameters()
    total = l2 * sum((p * p).sum() for p in params)
    l1 = getattr(model, "l1", 0.0)
    if l1:
        total = total + l1 * sum(p.abs().sum() for p in params)
    return total


def _monitor(task: str, y: np.ndarray, y_hat: np.ndarray) -> tuple[str, float]:
    """The validation score logged each epoch: macro auROC, or mean Pearson r for regression."""
    if task == "regression":
        return "pearson", float(regression_metrics(y, y_hat)["pearson"].mean())
    return "auroc", macro_average(classification_metrics(y, y_hat))["auroc"]


@torch.no_grad()
def evaluate_loss(model: nn.Module, source: BatchSource, settings: TrainSettings, task: str = "binary"):
    """Validation loss (inference mode, penalty included) and predictions ``(N, T)``."""
    model.eval()
    total, preds, ys = 0.0, [], []
    for xb, yb in source.batches(settings.eval_batch_size):
        out = call_model(model, xb)
        total += task_loss(out, yb, task, settings).item() * len(yb)
        preds.append(output_transform(out, task).float().cpu())
        ys.append(yb.cpu())
    loss = total / source.n + penalty(model, settings.l2).item()
    return loss, torch.cat(ys).numpy(), torch.cat(preds).numpy()


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    source: BatchSource,
    settings: TrainSettings,
    generator: torch.Generator | None,
    task: str = "binary",
) -> tuple[float, float]:
    """One pass over ``source`` in shuffled mini-batches.

    Returns
    -------
    tuple of float
        Mean training loss (without the penalty) and wall seconds.
    """
    model.train()
    device = next(model.parameters()).device
    t0 = time.perf_counter()
    # Accumulated on the device: a .item() per step would synchronise a GPU every batch.
    running = torch.zeros((), device=device)
    for xb, yb in source.batches(settings.batch_size, generator):
        if settings.rc_augment:
            flip = torch.rand(len(yb), generator=generator) < 0.5
            xb = reverse_complement(xb, flip.to(yb.device))
        optimizer.zero_grad(set_to_none=True)
        loss = task_loss(call_model(model, xb), yb, task, settings)
        (loss + penalty(model, settings.l2)).backward()
        optimizer.step()
        running += loss.detach() * len(yb)
    total = running.item()  # synchronises, so the timing covers all queued work
    return total / source.n, time.perf_counter() - t0


def _rng_state(gen: torch.Generator) -> dict[str, Any]:
    state = {"shuffle": gen.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(gen: torch.Generator, state: dict[str, Any]) -> None:
    gen.set_state(state["shuffle"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def make_optimizer(model: nn.Module, settings: TrainSettings) -> torch.optim.Optimizer:
    """Adam (lr, beta1, beta2, eps) or RMSprop (lr, alpha = ``rmsprop_alpha``, eps)."""
    if settings.optimizer == "rmsprop":
        return torch.optim.RMSprop(
            model.parameters(), lr=settings.lr, alpha=settings.rmsprop_alpha, eps=settings.adam_eps
        )
    return torch.optim.Adam(
        model.parameters(), lr=settings.lr, betas=(settings.beta1, settings.beta2), eps=settings.adam_eps
    )


def resolve_run(
    model_name: str,
    dataset_dir: str | os.PathLike,
    tasks: list[str] | None = None,
    crop: int | None = None,
    model_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What a run on ``dataset_dir`` trains: task type, classes, input shapes and model options.

    Raises
    ------
    InputError
        A task missing from the dataset, a model that needs tracks on a dataset without them, or a bad crop.
    """
    meta = load_meta(dataset_dir)
    classes = list(meta["classes"])
    if tasks:
        missing = [t for t in tasks if t not in classes]
        if missing:
            raise InputError(
                f"config key tasks: {missing} not in dataset {dataset_dir} (it has "
                f"{', '.join(map(str, classes))})"
            )
    inputs = model_inputs(model_name)
    track_meta = meta.get("tracks") or {}
    if "tracks" in inputs and not track_meta:
        raise InputError(
            f"model {model_name!r} reads signal tracks, but dataset {dataset_dir} has none "
            "(expected a dataset built with tracks, e.g. decode or multimodal)"
        )
    seq_len = int(meta["seq_len"])
    length = int(track_meta["bins"]) if inputs == ("tracks",) else (crop or seq_len)
    crop_window(seq_len, crop)
    return {
        "task": task_type(meta),
        "classes": list(tasks) if tasks else classes,
        "task_index": [classes.index(t) for t in tasks] if tasks else None,
        "inputs": list(inputs),
        "seq_len": length,
        "crop": crop,
        "n_tracks": len(track_meta.get("names", [])) if "tracks" in inputs else 0,
        "model_options": dict(model_options or {}),
    }


def _source(
    dataset_dir, split: str, spec: dict[str, Any], device, resident, mmap: bool = True
) -> BatchSource:
    X, y = load_split(dataset_dir, split, mmap=mmap)
    if spec["task_index"] is not None:
        y = np.asarray(y)[:, spec["task_index"]]
    tracks = load_tracks(dataset_dir, split, mmap=mmap) if "tracks" in spec["inputs"] else None
    X = X if "sequence" in spec["inputs"] else None
    return BatchSource(X, y, device, resident, tracks=tracks, crop=spec["crop"])


#: Bytes of one float32 value, and how many copies of each activation a training step holds (the value
#: kept for backward and its gradient) and of each parameter (value, gradient, two Adam moments).
_F32, _ACTIVATION_COPIES, _PARAMETER_COPIES = 4, 2, 4


def step_memory(model_name: str, spec: dict[str, Any], batch_size: int, n_parameters: int) -> int:
    """Bytes one training step of ``batch_size`` sequences needs (activations, parameters, optimiser state),
    from the model's layer shapes on the ``meta`` device: an estimate to refuse what cannot fit."""
    per_sequence = activation_elements(
        model_name, spec["seq_len"], n_tracks=spec["n_tracks"], options=spec["model_options"]
    )
    return _F32 * (_ACTIVATION_COPIES * per_sequence * batch_size + _PARAMETER_COPIES * n_parameters)


def check_memory(model_name: str, spec: dict[str, Any], settings: TrainSettings, n_parameters: int) -> None:
    """Refuse, before the first step, a batch whose training step needs more memory than the job has.

    Raises
    ------
    InputError
        Naming ``training.batch_size`` (and the window), with the estimate and what is available.
    """
    need = step_memory(model_name, spec, settings.batch_size, n_parameters)
    have = available_memory()
    if need > have:
        fits = max(int(settings.batch_size * have / need), 0)
        raise InputError(
            f"config key training.batch_size: one training step of {model_name!r} on {settings.batch_size} "
            f"sequences of {spec['seq_len']} positions needs about {format_bytes(need)}, but "
            f"{format_bytes(have)} are available to this job; expected a batch_size of at most {fits} "
            "(set under training, or per study or model), a shorter crop, or a job with more memory"
        )


def _load_checkpoint(ckpt_path: Path, device: torch.device, same_run: dict[str, Any]) -> dict | None:
    """The newest readable checkpoint of this run's settings (``checkpoint.pt``, else
    ``checkpoint.prev.pt``); an unreadable one is set aside as ``<name>.corrupt``, another run's removed."""
    for path in (ckpt_path, _previous(ckpt_path)):
        if not path.exists():
            continue
        try:
            ckpt = torch.load(path, map_location=device, weights_only=False)
            if not isinstance(ckpt, dict) or "model" not in ckpt:
                raise ValueError(f"a {type(ckpt).__name__}, not a training checkpoint")
        except Exception as exc:  # torch raises RuntimeError, EOFError, UnpicklingError ... on a bad file
            aside = path.with_name(f"{path.name}.corrupt")
            os.replace(path, aside)
            log.warning(
                "%s cannot be read (%s: truncated or not a checkpoint); set aside as %s",
                path,
                type(exc).__name__,
                aside.name,
            )
            continue
        if ckpt.get("settings") != same_run:
            log.warning("discarding %s: it was written under other settings", path)
            path.unlink()
            continue
        return ckpt
    return None


def _previous(ckpt_path: Path) -> Path:
    return ckpt_path.with_name("checkpoint.prev.pt")


def build_run_model(model_name: str, spec: dict[str, Any]) -> nn.Module:
    """The model of a resolved run (see :func:`resolve_run`)."""
    return model_from_settings({"model": model_name, **spec})


def train_model(
    model_name: str,
    dataset_dir: str | os.PathLike,
    run_dir: str | os.PathLike,
    trial: int = 0,
    seed: int = 2019,
    device: str | None = "auto",
    threads: int | None = None,
    resident: bool | None = None,
    tasks: list[str] | None = None,
    crop: int | None = None,
    model_options: dict[str, Any] | None = None,
    **settings_kwargs: Any,
) -> dict[str, Any]:
    """Train one registered model on one dataset; resume from ``run_dir/checkpoint.pt`` if present.

    Parameters
    ----------
    model_name
        Registry name (a key of :data:`seqcnn.models.MODELS`).
    dataset_dir
        Dataset directory (:mod:`seqcnn.datasets`) with train and valid splits.
    run_dir
        Output directory.
    trial
        Trial index; the run's seed is :func:`trial_seed` ``(seed, trial)``.
    seed
        Base seed.
    device
        ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``, ``"cuda:1"`` ...
    threads
        CPU threads for torch (default: leave torch's setting).
    resident
        Force data on the device (True) or streaming (False); default decides by size.
    tasks
        Train on these dataset classes only (default: all), e.g. one TF for DeepBind.
    crop
        Central window of each sequence the model sees (default: all of it), e.g. 101 bp for DeepBind.
    model_options
        Architecture options passed to the model's constructor (e.g. smaller layers).
    **settings_kwargs
        Fields of :class:`TrainSettings`.

    Returns
    -------
    dict
        Summary: best epoch, best validation loss, epochs run, seconds, sequences per second.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    settings = TrainSettings(**settings_kwargs)
    if threads:
        torch.set_num_threads(int(threads))
    dev = pick_device(device)
    spec = resolve_run(model_name, dataset_dir, tasks, crop, model_options)
    task = spec["task"]
    run_seed = trial_seed(seed, trial)

    torch.manual_seed(run_seed)
    model = build_run_model(model_name, spec)
    check_memory(model_name, spec, settings, sum(p.numel() for p in model.parameters()))
    model = model.to(dev)
    optimizer = make_optimizer(model, settings)
    gen = torch.Generator().manual_seed(run_seed)

    train_src = _source(dataset_dir, "train", spec, dev, resident)
    valid_src = _source(dataset_dir, "valid", spec, dev, resident)

    resolved = run_record(
        model_name, spec, trial, seed, dataset_dir, dev, model, train_src, valid_src, settings
    )
    progress = RunProgress(resumable(resolved))
    ckpt = _load_checkpoint(run_dir / "checkpoint.pt", dev, progress.same_run)
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        _set_rng_state(gen, ckpt["rng"])
        progress.resume(ckpt)
        log.info(
            "resumed %s trial %d from its checkpoint: %d epoch(s) done", model_name, trial, progress.epochs
        )

    log.info(
        "training %s trial %d (seed %d) on %s: %s task(s) %s, %d train / %d valid sequences, %d parameters",
        model_name,
        trial,
        run_seed,
        dev,
        task,
        ",".join(map(str, spec["classes"])),
        train_src.n,
        valid_src.n,
        resolved["n_parameters"],
    )
    t_start = time.perf_counter()
    while not progress.done(settings):
        train_loss, epoch_seconds = train_epoch(model, optimizer, train_src, settings, gen, task)
        valid_loss, yv, pv = evaluate_loss(model, valid_src, settings, task)
        progress.record(
            model.state_dict(), train_loss, valid_loss, _monitor(task, yv, pv), epoch_seconds, train_src.n
        )
        save_checkpoint(
            run_dir, progress.checkpoint(model.state_dict(), optimizer.state_dict(), _rng_state(gen))
        )

    model.load_state_dict(progress.best_state)
    summary = finish_run(run_dir, model, progress, resolved, time.perf_counter() - t_start)
    remove_checkpoints(run_dir)
    return summary


class RunProgress:
    """Epochs of one run so far, its best epoch and state, and when it stops (early stopping on the
    validation loss or score, ``same_run["monitor"]``, or ``max_epochs``).

    ``best_loss`` is the best value of what is monitored, as a loss: the validation loss, or minus the
    validation score."""

    def __init__(self, same_run: dict[str, Any]):
        self.same_run = same_run
        self.monitor = same_run["monitor"]  # a TrainSettings field: every run record has it
        self.history: list[dict[str, Any]] = []
        self.best_loss, self.best_epoch, self.best_state = math.inf, -1, None

    @property
    def epochs(self) -> int:
        return len(self.history)

    def resume(self, ckpt: dict[str, Any]) -> None:
        """Take up the epochs, best loss, epoch and state of a checkpoint."""
        self.history, self.best_loss, self.best_epoch = ckpt["history"], ckpt["best_loss"], ckpt["best_epoch"]
        self.best_state = ckpt["best_state"]

    def done(self, settings: TrainSettings) -> bool:
        """``max_epochs`` reached, or ``patience`` epochs without a better monitored value."""
        if self.epochs >= settings.max_epochs:
            return True
        return bool(self.history) and self.epochs - 1 - self.best_epoch >= settings.patience

    def record(
        self,
        state: dict[str, torch.Tensor],
        train_loss: float,
        valid_loss: float,
        monitored: tuple[str, float],
        seconds: float,
        n_train: int,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Add one epoch (keeping a copy of ``state`` when it is the best so far) and log it."""
        epoch, (monitor, score) = self.epochs, monitored
        value = valid_loss
        if self.monitor == "score":
            value = math.inf if math.isnan(score) else -score
        improved = value <= self.best_loss
        if improved:
            self.best_loss, self.best_epoch = value, epoch
            self.best_state = {k: v.detach().clone() for k, v in state.items()}
        self.history.append(
            {
                "epoch": epoch,
                "train_loss": train_loss,
                "valid_loss": valid_loss,
                f"valid_{monitor}": score,
                "best": improved,
                "train_seconds": seconds,
                "train_seq_per_s": n_train / seconds,
                **(extra or {}),
            }
        )
        log.info(
            "epoch %3d  train %.4f  valid %.4f  %s %.4f%s  %.1f s (%.0f seq/s)%s",
            epoch,
            train_loss,
            valid_loss,
            monitor,
            score,
            "  *" if improved else "",
            seconds,
            n_train / seconds,
            f"  [trial {self.same_run['trial']}]" if extra else "",
        )

    def checkpoint(self, model_state: dict, optimizer_state: dict, rng: dict[str, Any]) -> dict[str, Any]:
        """What :func:`save_checkpoint` writes: enough to resume this run after a kill."""
        return {
            "model": model_state,
            "optimizer": optimizer_state,
            "rng": rng,
            "history": self.history,
            "best_loss": self.best_loss,
            "best_epoch": self.best_epoch,
            "best_state": self.best_state,
            "settings": self.same_run,
        }


def run_record(
    model_name: str,
    spec: dict[str, Any],
    trial: int,
    seed: int,
    dataset_dir: str | os.PathLike,
    dev: torch.device,
    model: nn.Module,
    train_src: BatchSource,
    valid_src: BatchSource,
    settings: TrainSettings,
) -> dict[str, Any]:
    """The ``settings.json`` of one run: model, trial, seeds, dataset, resolved spec and settings."""
    return {
        "model": model_name,
        "trial": int(trial),
        "base_seed": int(seed),
        "seed": trial_seed(seed, trial),
        "dataset": str(dataset_dir),
        **spec,
        "n_classes": len(spec["classes"]),
        "device": str(dev),
        "resident": train_src.resident,
        "torch": torch.__version__,
        "n_parameters": sum(p.numel() for p in model.parameters()),
        "n_train": train_src.n,
        "n_valid": valid_src.n,
        **asdict(settings),
    }


#: Settings a checkpoint may differ in and still be resumed: where and how the run executes.
_EXECUTION_KEYS = ("device", "resident", "torch", "stacked_trials")


def resumable(resolved: dict[str, Any]) -> dict[str, Any]:
    """The settings a checkpoint must match to be resumed (device, versions and job grouping may change)."""
    return {k: v for k, v in resolved.items() if k not in _EXECUTION_KEYS}


def save_checkpoint(run_dir: Path, payload: dict[str, Any]) -> None:
    """Write ``checkpoint.pt`` (the one it replaces kept as ``checkpoint.prev.pt``), then the epochs so far
    as ``metrics.partial.tsv``: a kill between the two loses nothing."""
    ckpt_path = run_dir / "checkpoint.pt"
    with atomic_path(ckpt_path) as tmp:
        torch.save(payload, tmp)
        if ckpt_path.exists():
            os.replace(ckpt_path, _previous(ckpt_path))
    write_tsv(pd.DataFrame(payload["history"]), run_dir / "metrics.partial.tsv")


def finish_run(
    run_dir: Path,
    model: nn.Module,
    progress: RunProgress,
    resolved: dict[str, Any],
    seconds: float,
) -> dict[str, Any]:
    """Write a finished run's ``model.pt`` (``model`` holds the best state), ``metrics.tsv`` and
    ``settings.json``, each whole: a killed job leaves none of them. Returns the run's summary."""
    with atomic_path(run_dir / "model.pt") as tmp:
        torch.save(model.state_dict(), tmp)
    write_tsv(pd.DataFrame(progress.history), run_dir / "metrics.tsv")
    write_json(resolved, run_dir / "settings.json")
    summary = {
        "model": resolved["model"],
        "trial": resolved["trial"],
        "epochs": progress.epochs,
        "best_epoch": progress.best_epoch,
        "best_valid_loss": progress.history[progress.best_epoch]["valid_loss"],
        "seconds": seconds,
        "train_seq_per_s": float(np.mean([h["train_seq_per_s"] for h in progress.history])),
    }
    log.info("finished %s trial %d: %s", resolved["model"], resolved["trial"], summary)
    return summary


def remove_checkpoints(run_dir: Path) -> None:
    """Remove a finished run's checkpoints and partial metrics."""
    ckpt_path = run_dir / "checkpoint.pt"
    for leftover in (ckpt_path, _previous(ckpt_path), run_dir / "metrics.partial.tsv"):
        leftover.unlink(missing_ok=True)
