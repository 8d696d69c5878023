"""Training engine, separate from the models.

One loop for every registered model: Adam, binary cross-entropy on clipped sigmoid outputs plus L2 (and
a model's own L1) on its penalised parameters, early stopping on the validation loss with the best
checkpoint restored (Koo & Eddy 2019, spec section 3).

Data stay where they are cheapest to batch from. Small datasets (the synthetic one is 5 MB of codes) are
moved to the device once and one-hot encoded there per batch, so the loop is bound by the model's
compute and not by input handling. Larger ones are memory-mapped and streamed in batches.

A run directory holds ``settings.json`` (resolved settings and the seed), ``metrics.tsv`` (one row per
epoch), ``model.pt`` (best ``state_dict``) and, while training, ``checkpoint.pt`` (last completed epoch,
optimiser and RNG state) from which a killed job resumes.
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

from .datasets import load_meta, load_split
from .io import atomic_path, write_json, write_tsv
from .metrics import classification_metrics, macro_average
from .models import build_model
from .sequence import one_hot

log = logging.getLogger("seqcnn.train")

# Datasets at most this large (codes + targets) are kept on the device for the whole run.
RESIDENT_BYTES = 2 * 1024**3


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


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """``None`` or ``"auto"`` pick CUDA when present, else CPU."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def trial_seed(base_seed: int, trial: int) -> int:
    """Seed of one trial: distinct per trial, recorded in the run's settings."""
    return int(base_seed) * 1000 + int(trial)


class BatchSource:
    """Shuffled mini-batches of one-hot sequences and targets from a dataset split.

    Parameters
    ----------
    X
        ``(N, L)`` uint8 codes (array or memmap).
    y
        ``(N, T)`` targets.
    device
        Where batches are delivered.
    resident
        Keep the whole split on ``device`` (default: when it is small enough).
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, device: torch.device, resident=None):
        self.n = len(X)
        self.device = device
        nbytes = X.nbytes + y.nbytes
        self.resident = nbytes <= RESIDENT_BYTES if resident is None else resident
        if self.resident:
            # np.array copies out of a (read-only) memmap before the one transfer to the device.
            self.X = torch.from_numpy(np.array(X, dtype=np.uint8)).to(device)
            self.y = torch.from_numpy(np.array(y, dtype=np.float32)).to(device)
        else:
            self.X, self.y = X, y

    def batches(self, batch_size: int, generator: torch.Generator | None = None):
        """Yield ``(x (B, 4, L) float, y (B, T) float)``; shuffled when a generator is given."""
        if generator is not None:
            order = torch.randperm(self.n, generator=generator)
        else:
            order = torch.arange(self.n)
        if self.resident:
            order = order.to(self.device)
        for start in range(0, self.n, batch_size):
            idx = order[start : start + batch_size]
            if self.resident:
                xb, yb = self.X[idx], self.y[idx]
            else:
                # Sorted reads are sequential on a memmap; the order within a batch is irrelevant.
                sel = np.sort(idx.numpy())
                xb = torch.from_numpy(np.asarray(self.X[sel])).to(self.device, non_blocking=True)
                yb = torch.from_numpy(np.asarray(self.y[sel], dtype=np.float32)).to(self.device)
            yield one_hot(xb), yb


def bce_loss(logits: torch.Tensor, y: torch.Tensor, clip: float) -> torch.Tensor:
    """Binary cross-entropy on sigmoid outputs clipped to ``[clip, 1 - clip]``; mean over all."""
    p = torch.sigmoid(logits).clamp(clip, 1.0 - clip)
    return -(y * torch.log(p) + (1.0 - y) * torch.log1p(-p)).mean()


def penalty(model: nn.Module, l2: float) -> torch.Tensor:
    """``l2 * sum(w^2)`` plus ``model.l1 * sum(|w|)`` over the model's penalised parameters."""
    params = model.penalized_parameters()
    total = l2 * sum((p * p).sum() for p in params)
    l1 = getattr(model, "l1", 0.0)
    if l1:
        total = total + l1 * sum(p.abs().sum() for p in params)
    return total


@torch.no_grad()
def predict(
    model: nn.Module, X, batch_size: int = 1000, device: str | torch.device | None = None
) -> np.ndarray:
    """Sigmoid outputs of ``model`` on codes ``X`` ``(N, L)``: ``(N, T)`` float32, eval mode."""
    device = pick_device(device)
    model = model.to(device).eval()
    out = []
    for start in range(0, len(X), batch_size):
        xb = torch.as_tensor(np.asarray(X[start : start + batch_size])).to(device)
        out.append(torch.sigmoid(model(one_hot(xb))).float().cpu())
    return torch.cat(out).numpy()


@torch.no_grad()
def evaluate_loss(model: nn.Module, source: BatchSource, settings: TrainSettings):
    """Validation loss (inference mode, penalty included) and predictions ``(N, T)``."""
    model.eval()
    total, preds, ys = 0.0, [], []
    for xb, yb in source.batches(settings.eval_batch_size):
        logits = model(xb)
        total += bce_loss(logits, yb, settings.prob_clip).item() * len(xb)
        preds.append(torch.sigmoid(logits).float().cpu())
        ys.append(yb.cpu())
    loss = total / source.n + penalty(model, settings.l2).item()
    return loss, torch.cat(ys).numpy(), torch.cat(preds).numpy()


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    source: BatchSource,
    settings: TrainSettings,
    generator: torch.Generator | None,
) -> tuple[float, float]:
    """One pass over ``source`` in shuffled mini-batches.

    Returns
    -------
    tuple of float
        Mean training BCE (without the penalty) and wall seconds.
    """
    model.train()
    device = next(model.parameters()).device
    t0 = time.perf_counter()
    # Accumulated on the device: a .item() per step would synchronise a GPU every batch.
    running = torch.zeros((), device=device)
    for xb, yb in source.batches(settings.batch_size, generator):
        optimizer.zero_grad(set_to_none=True)
        loss = bce_loss(model(xb), yb, settings.prob_clip)
        (loss + penalty(model, settings.l2)).backward()
        optimizer.step()
        running += loss.detach() * len(xb)
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


def train_model(
    model_name: str,
    dataset_dir: str | os.PathLike,
    run_dir: str | os.PathLike,
    trial: int = 0,
    seed: int = 2019,
    device: str | None = "auto",
    threads: int | None = None,
    resident: bool | None = None,
    **settings_kwargs: Any,
) -> dict[str, Any]:
    """Train one registered model on one dataset; resume from ``run_dir/checkpoint.pt`` if present.

    Parameters
    ----------
    model_name
        Registry name (see :data:`seqcnn.models.MODEL_NAMES`).
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
    meta = load_meta(dataset_dir)
    n_classes, seq_len = len(meta["classes"]), int(meta["seq_len"])
    run_seed = trial_seed(seed, trial)

    torch.manual_seed(run_seed)
    model = build_model(model_name, n_classes=n_classes, seq_len=seq_len).to(dev)
    optimizer = torch.optim.Adam(
        model.parameters(),
        lr=settings.lr,
        betas=(settings.beta1, settings.beta2),
        eps=settings.adam_eps,
    )
    gen = torch.Generator().manual_seed(run_seed)

    train_src = BatchSource(*load_split(dataset_dir, "train", mmap=True), dev, resident)
    valid_src = BatchSource(*load_split(dataset_dir, "valid", mmap=True), dev, resident)

    resolved = {
        "model": model_name,
        "trial": int(trial),
        "base_seed": int(seed),
        "seed": run_seed,
        "dataset": str(dataset_dir),
        "classes": meta["classes"],
        "n_classes": n_classes,
        "seq_len": seq_len,
        "device": str(dev),
        "resident": train_src.resident,
        "torch": torch.__version__,
        "n_parameters": sum(p.numel() for p in model.parameters()),
        **asdict(settings),
    }
    write_json(resolved, run_dir / "settings.json")

    ckpt_path = run_dir / "checkpoint.pt"
    history: list[dict[str, Any]] = []
    best_loss, best_epoch, best_state = math.inf, -1, None
    # Resuming is only sound under the same settings; device and versions may change between tries.
    same_run = {k: v for k, v in resolved.items() if k not in ("device", "resident", "torch")}
    if ckpt_path.exists():
        ckpt = torch.load(ckpt_path, map_location=dev, weights_only=False)
        if ckpt.get("settings") != same_run:
            log.warning("discarding %s: it was written under other settings", ckpt_path)
            ckpt_path.unlink()
    if ckpt_path.exists():
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        _set_rng_state(gen, ckpt["rng"])
        history, best_loss, best_epoch = ckpt["history"], ckpt["best_loss"], ckpt["best_epoch"]
        best_state = ckpt["best_state"]
        log.info("resumed %s trial %d from its checkpoint: %d epoch(s) done", model_name, trial, len(history))

    log.info(
        "training %s trial %d (seed %d) on %s: %d train / %d valid sequences, %d parameters",
        model_name,
        trial,
        run_seed,
        dev,
        train_src.n,
        valid_src.n,
        resolved["n_parameters"],
    )
    t_start = time.perf_counter()
    for epoch in range(len(history), settings.max_epochs):
        if history and len(history) - 1 - best_epoch >= settings.patience:
            break
        train_loss, epoch_seconds = train_epoch(model, optimizer, train_src, settings, gen)
        valid_loss, yv, pv = evaluate_loss(model, valid_src, settings)
        valid_auroc = macro_average(classification_metrics(yv, pv))["auroc"]
        improved = valid_loss <= best_loss
        if improved:
            best_loss, best_epoch = valid_loss, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        history.append(
            {
                "epoch": epoch,
                "train_loss": train_loss,
                "valid_loss": valid_loss,
                "valid_auroc": valid_auroc,
                "best": improved,
                "train_seconds": epoch_seconds,
                "train_seq_per_s": train_src.n / epoch_seconds,
            }
        )
        log.info(
            "epoch %3d  train %.4f  valid %.4f  auroc %.4f%s  %.1f s (%.0f seq/s)",
            epoch,
            history[-1]["train_loss"],
            valid_loss,
            valid_auroc,
            "  *" if improved else "",
            epoch_seconds,
            train_src.n / epoch_seconds,
        )
        # Checkpoint first, then the TSV: a kill between the two loses nothing.
        with atomic_path(ckpt_path) as tmp:
            torch.save(
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "rng": _rng_state(gen),
                    "history": history,
                    "best_loss": best_loss,
                    "best_epoch": best_epoch,
                    "best_state": best_state,
                    "settings": same_run,
                },
                tmp,
            )
        write_tsv(pd.DataFrame(history), run_dir / "metrics.tsv")

    model.load_state_dict(best_state)
    with atomic_path(run_dir / "model.pt") as tmp:
        torch.save(model.state_dict(), tmp)
    write_tsv(pd.DataFrame(history), run_dir / "metrics.tsv")
    summary = {
        "model": model_name,
        "trial": int(trial),
        "epochs": len(history),
        "best_epoch": best_epoch,
        "best_valid_loss": best_loss,
        "seconds": time.perf_counter() - t_start,
        "train_seq_per_s": float(np.mean([h["train_seq_per_s"] for h in history])),
    }
    log.info("finished %s trial %d: %s", model_name, trial, summary)
    ckpt_path.unlink(missing_ok=True)
    return summary


def load_trained(run_dir: str | os.PathLike, device: str | None = "auto") -> nn.Module:
    """Rebuild a trained model from ``settings.json`` + ``model.pt`` in ``run_dir`` (eval mode)."""
    import json

    run_dir = Path(run_dir)
    settings = json.loads((run_dir / "settings.json").read_text())
    model = build_model(settings["model"], n_classes=settings["n_classes"], seq_len=settings["seq_len"])
    state = torch.load(run_dir / "model.pt", map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.to(pick_device(device)).eval()
