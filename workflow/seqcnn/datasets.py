"""On-disk dataset format read by the training engine.

A dataset is a directory::

    meta.json            {"classes": [...], "seq_len": L, "splits": {"train": N, ...}, ...}
    <split>.x.npy        (N, L) uint8 base codes (see :mod:`seqcnn.sequence`), 1 byte per base
    <split>.y.npy        (N, T) float32 targets (0/1 for classification)
    <split>.tracks.npy   optional (N, K, B) float32 signal tracks (named in meta["tracks"])
    windows.bed          optional: the windows, one row per sequence in split order
    summary.tsv          optional: counts a person reads (windows, positives, dropped windows by reason)

``meta["task"]`` is ``"binary"`` (default) or ``"regression"``.

``.npy`` files can be memory-mapped, so a dataset larger than memory streams from disk; small ones are
loaded whole and moved to the device once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError
from .io import atomic_dir, atomic_path, write_json, write_tsv

SPLITS = ("train", "valid", "test")


def split_paths(root: str | os.PathLike, split: str) -> tuple[Path, Path]:
    """Paths of the ``x`` and ``y`` arrays of one split."""
    root = Path(root)
    return root / f"{split}.x.npy", root / f"{split}.y.npy"


def save_dataset(
    root: str | os.PathLike,
    splits: dict[str, tuple[np.ndarray, np.ndarray]],
    meta: dict[str, Any],
) -> None:
    """Write splits and ``meta.json`` (written last, so its presence marks a complete dataset).

    Parameters
    ----------
    root
        Dataset directory (created).
    splits
        ``{split: (X, y)}`` with X ``(N, L)`` uint8 codes and y ``(N, T)``.
    meta
        Free-form metadata; must include ``classes``. ``seq_len`` and ``splits`` sizes are added.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for split, (X, y) in splits.items():
        X = np.ascontiguousarray(X, dtype=np.uint8)
        y = np.ascontiguousarray(y, dtype=np.float32)
        if X.ndim != 2 or y.ndim != 2 or len(X) != len(y):
            raise ValueError(f"split {split}: X {X.shape} and y {y.shape} do not match")
        xp, yp = split_paths(root, split)
        for arr, path in ((X, xp), (y, yp)):
            with atomic_path(path) as tmp:
                with open(tmp, "wb") as fh:
                    np.save(fh, arr)
        sizes[split] = int(len(X))
        seq_len = int(X.shape[1])
    write_json({**meta, "seq_len": seq_len, "splits": sizes}, root / "meta.json")


def write_dataset(
    out_dir: str | os.PathLike,
    splits: dict[str, tuple[np.ndarray, np.ndarray]],
    meta: dict[str, Any],
    windows: pd.DataFrame,
    summary: pd.DataFrame,
    arrays: Mapping[str, np.ndarray] | None = None,
) -> None:
    """Write a dataset with its windows BED and summary table; the directory appears whole or not at all.

    Everything goes into a temporary sibling of ``out_dir`` that replaces it only once complete.

    Parameters
    ----------
    out_dir
        Dataset directory (replaced as a whole).
    splits, meta
        As for :func:`save_dataset`.
    windows
        One row per sequence in split order, written as ``windows.bed`` with a ``#``-prefixed header.
    summary
        Written as ``summary.tsv``.
    arrays
        Extra file name -> array saved beside the splits (e.g. ``train.tracks.npy``).
    """
    with atomic_dir(out_dir) as tmp:
        save_dataset(tmp, splits, meta)
        for name, arr in (arrays or {}).items():
            with open(tmp / name, "wb") as fh:
                np.save(fh, arr)
        with open(tmp / "windows.bed", "w") as fh:
            fh.write("#" + "\t".join(windows.columns) + "\n")
            windows.to_csv(fh, sep="\t", index=False, header=False, float_format="%.6g")
        write_tsv(summary, tmp / "summary.tsv", float_format="%.6g")


def load_meta(root: str | os.PathLike) -> dict[str, Any]:
    """Read ``meta.json``; a missing file is an :class:`InputError` naming it."""
    path = Path(root) / "meta.json"
    if not path.exists():
        raise InputError(f"{path}: dataset metadata not found (expected a dataset directory)")
    try:
        meta = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot be read as JSON ({exc}); {REBUILD}") from None
    if not isinstance(meta, dict) or "classes" not in meta:
        raise InputError(f"{path}: expected dataset metadata with 'classes'; {REBUILD}")
    return meta


#: What to do about a damaged dataset file.
REBUILD = "delete the dataset directory and rerun to rebuild it"


def load_array(path: str | os.PathLike, mmap: bool = False, rows: int | None = None) -> np.ndarray:
    """One ``.npy`` array of a dataset; a truncated or foreign file is an :class:`InputError` naming it.

    Parameters
    ----------
    rows
        The rows ``meta.json`` promises, checked when given.
    """
    path = Path(path)
    try:
        arr = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        if isinstance(exc, OSError) and exc.errno is not None:
            raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
        raise InputError(f"{path}: truncated or not a NumPy array ({exc}); {REBUILD}") from None
    if rows is not None and len(arr) != rows:
        raise InputError(f"{path}: {len(arr)} rows, but meta.json lists {rows}; {REBUILD}")
    return arr


def load_split(root: str | os.PathLike, split: str, mmap: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Load one split as ``(X codes (N, L) uint8, y (N, T) float32)``.

    ``mmap=True`` memory-maps the arrays instead of reading them.
    """
    xp, yp = split_paths(root, split)
    for p in (xp, yp):
        if not p.exists():
            raise InputError(f"{p}: split {split!r} not found in dataset {root}")
    X = load_array(xp, mmap=mmap, rows=_split_rows(root, split))
    return X, load_array(yp, mmap=mmap, rows=len(X))


def _split_rows(root: str | os.PathLike, split: str) -> int | None:
    """Rows of ``split`` in ``meta.json`` (None when it does not say)."""
    path = Path(root) / "meta.json"
    if not path.exists():
        return None
    rows = load_meta(root).get("splits", {}).get(split)
    return int(rows) if rows is not None else None


#: Suffix of the optional signal-track arrays, ``<split>.tracks.npy`` beside ``<split>.x.npy``.
TRACKS_SUFFIX = ".tracks.npy"
TASK_TYPES = ("binary", "regression")


def task_type(meta: dict[str, Any]) -> str:
    """``"binary"`` or ``"regression"``, from ``meta["task"]`` (older STARR datasets: from their kind)."""
    task = meta.get("task") or ("regression" if meta.get("kind") == "starr_regression" else "binary")
    if task not in TASK_TYPES:
        raise InputError(f"meta.json key task: expected one of {TASK_TYPES}, got {task!r}")
    return task


def load_tracks(root: str | os.PathLike, split: str, mmap: bool = False) -> np.ndarray:
    """Signal tracks of one split, ``(N, K, B)`` float32; a dataset without them is an :class:`InputError`."""
    path = Path(root) / f"{split}{TRACKS_SUFFIX}"
    if not path.exists():
        raise InputError(f"{path}: signal tracks of split {split!r} not found in dataset {root}")
    return load_array(path, mmap=mmap, rows=_split_rows(root, split))


def summarize_datasets(
    names: list[str], roots: list[str | os.PathLike], out_tsv: str | os.PathLike
) -> pd.DataFrame:
    """One row per dataset: name, source, tasks, window length and sequences per split.

    Parameters
    ----------
    names
        Dataset names, one per root.
    roots
        Dataset directories (their ``meta.json`` is read).
    out_tsv
        Output table.
    """
    rows = []
    for name, root in zip(names, roots, strict=True):
        meta = load_meta(root)
        splits = meta.get("splits", {})
        rows.append(
            {
                "dataset": name,
                "path": str(root),
                "source": meta.get("source", ""),
                "n_tasks": len(meta.get("classes", [])),
                "tasks": ",".join(map(str, meta.get("classes", []))),
                "seq_len": meta.get("seq_len"),
                **{f"n_{s}": splits.get(s, 0) for s in SPLITS},
            }
        )
    table = pd.DataFrame(rows)
    write_tsv(table, out_tsv)
    return table
