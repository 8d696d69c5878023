"""Errors a user can cause.

``InputError`` is raised for bad files, bad config values and mismatched names. Its message names the
file, line or key and says what was expected; the scripts print it as one line and exit non-zero.

A package function knows the keys of the settings it takes (``config key window``), not where they sit in
the config; :func:`qualify_keys` puts the caller's prefix in front (``config key datasets.toy_peaks.window``)
so that every message names a key by its full path as the user wrote it.
"""

from __future__ import annotations

import re


class InputError(ValueError):
    """A user-supplied file or setting is not what the pipeline expects."""


_KEY = r"[A-Za-z_][\w.\[\]*]*"
_KEYS = re.compile(rf"\b(config keys?|training key) ({_KEY}(?:(?:, | and ){_KEY})*)")


def qualify_keys(message: str, prefix: str | None) -> str:
    """``message`` with every ``config key K`` (or ``config keys K and L``) read as ``prefix.K``.

    Keys already under ``prefix`` are left alone; ``training key K`` is a config key too.
    """
    if not prefix:
        return message

    def full(match: re.Match) -> str:
        words = "config keys" if match.group(1) == "config keys" else "config key"
        parts = re.split(r"(, | and )", match.group(2))
        keys = [p if p in (", ", " and ") or p.startswith(f"{prefix}.") else f"{prefix}.{p}" for p in parts]
        return f"{words} {''.join(keys)}"

    return _KEYS.sub(full, message)
