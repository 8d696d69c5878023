"""Small file helpers shared by every stage.

Outputs are written through :func:`atomic_path` (one file) or :func:`atomic_dir` (a directory such as a
dataset) so that a killed job or a raised error never leaves a half-written result where Snakemake (or a
reviewer) would take it for a finished one.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds.

    Parameters
    ----------
    path
        Final destination. Its parent directory is created.

    Yields
    ------
    Path
        Temporary file in the same directory (so the final rename is atomic).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        # mkstemp makes private (0600) files; results are meant to be shared like any other file.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary directory beside ``path``; it replaces ``path`` only if the block succeeds.

    Parameters
    ----------
    path
        Final directory. Its parent is created; an existing ``path`` (directory or file) is replaced as a
        whole once the new one is complete.

    Yields
    ------
    Path
        Empty temporary directory in the same parent (so the final rename is atomic). It is removed, and
        ``path`` left untouched, when the block raises.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        # mkdtemp makes a private (0700) directory; give it the permissions of an ordinary mkdir.
        os.chmod(tmp, 0o777 & ~_umask())
        _replace_dir(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _replace_dir(src: Path, dest: Path) -> None:
    """Move ``src`` to ``dest``; an existing ``dest`` is set aside first and put back if the move fails."""
    if not (dest.exists() or dest.is_symlink()):
        os.replace(src, dest)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".old", dir=dest.parent))
    stash = old / "previous"
    os.replace(dest, stash)
    try:
        os.replace(src, dest)
    except BaseException:
        os.replace(stash, dest)
        old.rmdir()
        raise
    shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    """The process umask (read without changing it for longer than the call)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def write_tsv(df, path: str | os.PathLike, float_format: str | None = None) -> None:
    """Write a pandas DataFrame as a tab-separated file without index, atomically."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, sep="\t", index=False, float_format=float_format)
