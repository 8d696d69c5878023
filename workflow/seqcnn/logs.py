"""Logging and error handling for the thin Snakemake scripts.

:func:`run_step` sends log records to the rule's ``log:`` file (and stderr), times the step, and turns an
:class:`~seqcnn.errors.InputError` into one clear line and a non-zero exit instead of a traceback.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from .errors import InputError

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


def run_step(func: Callable[..., Any], *args: Any, log_path: str | None = None, **kwargs: Any) -> Any:
    """Run one package function as a workflow step.

    Parameters
    ----------
    func
        The package function to call with ``*args, **kwargs``.
    log_path
        The rule's log file.
    """
    setup_logging(log_path)
    name = getattr(func, "__qualname__", str(func))
    start = time.perf_counter()
    log.info("start %s", name)
    try:
        result = func(*args, **kwargs)
    except InputError as exc:
        log.error("%s", exc)
        sys.exit(f"error: {exc}")
    except Exception:
        # Not the user's doing: keep the traceback in the rule's log, where users look first.
        log.exception("%s failed", name)
        raise
    log.info("done %s in %.1f s", name, time.perf_counter() - start)
    return result
