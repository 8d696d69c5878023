"""Using a trained run: load it, predict with it, pick the device it runs on.

Analysis after training (evaluation, filter annotation, attribution) needs three things from a run
directory and nothing from the training engine: the resolved settings (``settings.json``), the model
rebuilt from them with the best ``state_dict`` (``model.pt``) in eval mode, and its outputs on sequences.
:func:`read_settings`, :func:`load_run` and :func:`predict` provide them; :func:`pick_device` chooses CUDA
when present. The training engine (:mod:`seqcnn.train`) imports this module, never the other way round,
so an analysis step loads neither optimisers nor data sources.

Inputs follow the engine's conventions: sequences are ``(N, L)`` uint8 codes (0-3 ACGT, 4 N) or one-hot
``(N, 4, L)`` in ACGT order, signal tracks ``(N, K, L)`` per base beside a sequence or ``(N, K, B)`` binned
for a track-only model. What a model reads is its ``inputs`` attribute.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .errors import InputError
from .models import build_model
from .sequence import one_hot


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """``None`` or ``"auto"`` pick CUDA when present, else CPU; anything else is passed to torch."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    chosen = torch.device(device)
    if chosen.type == "cuda" and not torch.cuda.is_available():
        built = "has no CUDA device visible" if torch.backends.cuda.is_built() else "was built without CUDA"
        raise InputError(
            f"device {str(device)!r}: this torch ({torch.__version__}) {built}; expected 'auto' or 'cpu' "
            "here, or run the job where a GPU is visible"
        )
    return chosen


def crop_window(length: int | None, crop: int | None) -> slice | None:
    """The central ``crop`` positions of a length-``length`` sequence, or None to keep all of it.

    Raises
    ------
    InputError
        For a crop outside ``[1, length]``.
    """
    if crop is None or length is None or crop == length:
        return None
    if not 0 < crop <= length:
        raise InputError(f"config key crop: expected a length in [1, {length}], got {crop}")
    start = (length - crop) // 2
    return slice(start, start + crop)


def call_model(model: nn.Module, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """``model(*inputs)`` in the order its ``inputs`` attribute names (default: sequence only)."""
    return model(*(inputs[k] for k in getattr(model, "inputs", ("sequence",))))


def output_transform(out: torch.Tensor, task: str) -> torch.Tensor:
    """Sigmoid for binary tasks; regression outputs are the values."""
    return out if task == "regression" else torch.sigmoid(out)


def _as_array(a: Any) -> np.ndarray | torch.Tensor:
    return a if isinstance(a, torch.Tensor) else np.asarray(a)


def input_batches(
    X: np.ndarray | torch.Tensor | None,
    tracks: np.ndarray | torch.Tensor | None = None,
    batch_size: int = 1000,
    device: str | torch.device | None = None,
    crop: int | None = None,
) -> Iterator[dict[str, torch.Tensor]]:
    """Consecutive batches of model inputs on ``device``, in input order.

    Parameters
    ----------
    X
        ``(N, L)`` codes or ``(N, 4, L)`` one-hot (NumPy, memmap or torch), or None for a track-only model.
    tracks
        ``(N, K, L)`` per-base or ``(N, K, B)`` binned tracks, or None.
    batch_size
        Sequences per batch.
    device
        Where batches are delivered (None: CUDA when present).
    crop
        Keep the central ``crop`` positions of each sequence and of per-base tracks (tracks as long as
        the sequence); binned tracks are left whole.

    Yields
    ------
    dict
        ``sequence`` ``(B, 4, L')`` float one-hot and/or ``tracks`` ``(B, K, ·)`` float.
    """
    dev = pick_device(device)
    if X is None and tracks is None:
        raise ValueError("input_batches needs sequences, tracks or both")
    X = None if X is None else _as_array(X)
    tracks = None if tracks is None else _as_array(tracks)
    if X is not None and X.ndim not in (2, 3):
        raise ValueError(f"X must be (N, L) codes or (N, 4, L) one-hot, got shape {tuple(X.shape)}")
    length = None if X is None else X.shape[-1]
    window = crop_window(length, crop)
    n = len(X) if X is not None else len(tracks)
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        batch = {}
        if X is not None:
            xb = X[start:stop]
            if window is not None:
                xb = xb[..., window]
            # np.array copies out of a (read-only) memmap before the transfer.
            xb = torch.as_tensor(np.array(xb) if isinstance(xb, np.ndarray) else xb).to(dev)
            batch["sequence"] = one_hot(xb) if xb.dim() == 2 else xb.float()
        if tracks is not None:
            tb = tracks[start:stop]
            if window is not None and tb.shape[-1] == length:
                tb = tb[..., window]
            tb = torch.as_tensor(np.array(tb) if isinstance(tb, np.ndarray) else tb)
            batch["tracks"] = tb.to(dev).float()
        yield batch


@torch.no_grad()
def predict(
    model: nn.Module,
    X: np.ndarray | torch.Tensor | None,
    batch_size: int = 1000,
    device: str | torch.device | None = None,
    tracks: np.ndarray | torch.Tensor | None = None,
    task: str = "binary",
    crop: int | None = None,
) -> np.ndarray:
    """Outputs of ``model`` in eval mode (sigmoid for binary tasks): ``(N, T)`` float32.

    Parameters
    ----------
    model
        Any module whose ``inputs`` attribute says what ``forward`` reads (default: sequence only). It is
        moved to ``device`` and left in eval mode.
    X
        ``(N, L)`` codes or ``(N, 4, L)`` one-hot, or None for a track-only model.
    batch_size
        Sequences per forward pass; the outputs do not depend on it.
    device
        None or ``"auto"``: CUDA when present.
    tracks
        ``(N, K, L)`` or ``(N, K, B)`` tracks for models that read them.
    task
        ``"binary"`` (sigmoid outputs) or ``"regression"`` (raw values).
    crop
        Central window the model sees, as the run was trained (``settings.json`` key ``crop``).
    """
    dev = pick_device(device)
    model = model.to(dev).eval()
    wanted = getattr(model, "inputs", ("sequence",))
    batches = input_batches(
        X if "sequence" in wanted else None,
        tracks if "tracks" in wanted else None,
        batch_size=batch_size,
        device=dev,
        crop=crop,
    )
    out = [output_transform(call_model(model, xb), task).float().cpu() for xb in batches]
    return torch.cat(out).numpy()


def read_settings(run_dir: str | os.PathLike) -> dict[str, Any]:
    """The resolved settings a run was trained under (``run_dir/settings.json``).

    Raises
    ------
    InputError
        When the file is missing or is not JSON.
    """
    path = Path(run_dir) / "settings.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; expected a trained run directory") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot be read as JSON ({exc}); rerun training") from exc


def model_from_settings(settings: dict[str, Any]) -> nn.Module:
    """The untrained model that run settings describe (keys ``model``, ``classes``, ``seq_len``,
    ``n_tracks``, ``model_options``); training and :func:`load_run` both build through it."""
    return build_model(
        settings["model"],
        n_classes=len(settings["classes"]),
        seq_len=settings["seq_len"],
        n_tracks=settings.get("n_tracks", 0),
        **(settings.get("model_options") or {}),
    )


def load_run(run_dir: str | os.PathLike, device: str | torch.device | None = None) -> nn.Module:
    """Rebuild a trained model from ``settings.json`` + ``model.pt`` in ``run_dir``, in eval mode.

    Parameters
    ----------
    run_dir
        A run directory written by :func:`seqcnn.train.train_model`.
    device
        Where the model is put (None or ``"auto"``: CUDA when present).

    Raises
    ------
    InputError
        When ``model.pt`` is missing, truncated or not a torch checkpoint, or does not fit the model
        ``settings.json`` describes.
    """
    settings = read_settings(run_dir)
    model = model_from_settings(settings)
    path = Path(run_dir) / "model.pt"
    if not path.exists():
        raise InputError(f"{path}: no such file; the run has not finished training")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from exc
    except Exception as exc:  # torch raises RuntimeError, EOFError, KeyError, UnpicklingError ...
        raise InputError(
            f"{path}: cannot be read (truncated or not a torch checkpoint); delete it and rerun training"
        ) from exc
    if not isinstance(state, dict):
        raise InputError(f"{path}: expected a state_dict, got a {type(state).__name__}; rerun training")
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        raise InputError(
            f"{path}: does not fit the {settings['model']!r} model of settings.json "
            f"({first[-1].strip() if first else exc}); delete the run and rerun training"
        ) from exc
    return model.to(pick_device(device)).eval()
