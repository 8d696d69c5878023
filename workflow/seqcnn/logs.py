"""Logging and error handling for the thin Snakemake scripts.

:func:`run_step` sends log records to the rule's ``log:`` file (and stderr), times the step, and turns an
:class:`~seqcnn.errors.InputError` into one clear line and a non-zero exit instead of a traceback. A full
disk and an exhausted memory get one line too, naming where and how much, and a failed step removes
whatever it had written of its outputs.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .errors import InputError, qualify_keys

log = logging.getLogger("seqcnn")


def setup_logging(log_path: str | None = None, level: int = logging.INFO) -> None:
    """Log ``seqcnn`` records to stderr and, if given, to ``log_path`` (overwritten)."""
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    root = logging.getLogger("seqcnn")
    root.handlers.clear()
    root.setLevel(level)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        handlers.append(logging.FileHandler(log_path, mode="w"))
    for h in handlers:
        h.setFormatter(fmt)
        root.addHandler(h)


def run_step(
    func: Callable[..., Any],
    *args: Any,
    log_path: str | None = None,
    outputs: Iterable[str | os.PathLike] = (),
    key: str | None = None,
    **kwargs: Any,
) -> Any:
    """Run one package function as a workflow step.

    Parameters
    ----------
    func
        The package function to call with ``*args, **kwargs``.
    log_path
        The rule's log file.
    outputs
        The rule's outputs: removed (with any temporary file beside them) when the step fails, so that
        nothing half-written is left behind.
    key
        Where the step's settings sit in the config (e.g. ``datasets.toy_peaks``): messages naming a
        ``config key`` name it by its full path.
    """
    setup_logging(log_path)
    name = getattr(func, "__qualname__", str(func))
    start = time.perf_counter()
    log.info("start %s", name)
    outputs = [Path(p) for p in outputs]
    try:
        result = func(*args, **kwargs)
    except InputError as exc:
        _fail(qualify_keys(str(exc), key), outputs)
    except MemoryError as exc:
        _fail(f"out of memory in {name} ({exc or 'allocation failed'}); {memory_note()}", outputs)
    except Exception as exc:
        if isinstance(exc, OSError) and disk_full(exc):
            _fail(disk_full_message(exc, outputs), outputs)
        # Not the user's doing: keep the traceback in the rule's log, where users look first.
        _remove(outputs)
        log.exception("%s failed", name)
        raise
    log.info("done %s in %.1f s", name, time.perf_counter() - start)
    return result


def _fail(message: str, outputs: list[Path]) -> None:
    _remove(outputs)
    log.error("%s", message)
    sys.exit(f"error: {message}")


def _remove(outputs: list[Path]) -> None:
    """Delete outputs and the temporary files beside them (``.<name>.*.tmp``) after a failure."""
    for path in outputs:
        leftovers = list(path.parent.glob(f".{path.name}.*.tmp")) if path.parent.is_dir() else []
        if path.exists() or path.is_symlink():
            leftovers.append(path)
        for item in leftovers:
            if item.is_dir() and not item.is_symlink():
                shutil.rmtree(item, ignore_errors=True)
            else:
                item.unlink(missing_ok=True)
            log.info("removed %s of the failed step", item)


def disk_full(exc: OSError) -> bool:
    """Whether ``exc`` says the disk (or quota) is full; numpy's short writes carry no errno."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc)
    return "requested and" in text and "written" in text


def disk_full_message(exc: OSError, outputs: list[Path]) -> str:
    """Where the disk filled up and how much room is left there."""
    where = Path(exc.filename) if exc.filename else (outputs[0] if outputs else Path.cwd())
    probe = next((p for p in [where, *where.parents] if p.exists()), Path.cwd())
    usage = shutil.disk_usage(probe)
    return (
        f"{where}: the disk is full (No space left on device; {usage.free / 2**20:.0f} MiB free of "
        f"{usage.total / 2**20:.0f} MiB on the file system holding it). The step's partial outputs were "
        "removed; free space there (or point the run at a larger disk) and rerun"
    )


def available_memory() -> int:
    """Bytes this process may still allocate: the machine's available memory, capped by a cgroup limit."""
    available = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
    except OSError:
        pass
    if available is None:
        available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            available = min(available, int(text))
    return int(available)


def memory_note() -> str:
    return f"{format_bytes(available_memory())} are available to this job"


def format_bytes(nbytes: float) -> str:
    """``1.5 GiB`` or ``20 MiB``."""
    return f"{nbytes / 2**30:.1f} GiB" if nbytes >= 2**30 else f"{nbytes / 2**20:.0f} MiB"


def require_memory(nbytes: float, what: str, key: str, expected: str) -> None:
    """Refuse, before the work, arrays that cannot fit in the memory available to this job.

    Raises
    ------
    InputError
        ``config key <key>: <what> need about N GiB, but M GiB are available to this job; <expected>``.
    """
    have = available_memory()
    if nbytes > have:
        keys = "keys" if " and " in key else "key"
        raise InputError(
            f"config {keys} {key}: {what} need about {format_bytes(nbytes)}, but {format_bytes(have)} are "
            f"available to this job; expected {expected}"
        )
