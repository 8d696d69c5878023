"""Fixed-length genomic windows: the filter, extraction, background draws and split rule every builder shares.

The dataset builders (:mod:`seqcnn.labels`, :mod:`seqcnn.starr`, :mod:`seqcnn.decode`) centre windows of one
length on peaks or regions, then drop the ones a model cannot use. :func:`filter_windows` is that step for all
of them: windows past a chromosome end, overlapping the blacklist, or holding too many N are dropped in that
order, so each dropped window has exactly one reason from :data:`DROP_REASONS`; the counts are logged and
returned for the dataset's summary, with the kept windows' sequences, 1 byte per base
(:func:`extract`). Background windows come from :func:`tile_windows` and :func:`sample_windows`;
:func:`genome_order`, :func:`interval_set` and :func:`chrom_splits` give the builders one window order, one
overlap set and one hold-out by chromosome, and the small input helpers at the end one reading of the
settings they have in common.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .datasets import SPLITS
from .errors import InputError
from .genome import (
    Blacklist,
    load_genome_codes,
    merge_intervals,
    read_blacklist,
    read_chrom_sizes,
    resolve_splits,
)
from .logs import require_memory
from .sequence import N_CODE

log = logging.getLogger("seqcnn.windows")

PathLike = str | os.PathLike

#: Why :func:`filter_windows` drops a window, in the order the filters run (a window counts under the first).
DROP_REASONS = ("past_chrom_end", "blacklist", "too_many_n")
#: Bytes of gather positions (int64) held at once while windows are extracted.
EXTRACT_CHUNK_BYTES = 64 * 2**20

#: A genome: chromosome -> ``(length,)`` uint8 codes, or the FASTA to read one chromosome at a time from.
Genome = Mapping[str, np.ndarray] | PathLike


# ----------------------------------------------------------------------------------------------------
# Filter and extract
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeptWindows:
    """What :func:`filter_windows` kept and dropped.

    Attributes
    ----------
    keep
        ``(N,)`` bool, one per input window: whether it passed every filter.
    X
        ``(keep.sum(), L)`` uint8 codes of the kept windows, in input order.
    dropped
        Reason -> windows dropped for it, every one of :data:`DROP_REASONS` present (0 when none).
    """

    keep: np.ndarray
    X: np.ndarray
    dropped: dict[str, int]

    @property
    def rows(self) -> np.ndarray:
        """``(keep.sum(),)`` int64 indices of the kept windows into the input."""
        return np.flatnonzero(self.keep)


def centred_starts(centres: np.ndarray, window: int) -> np.ndarray:
    """Starts of ``window``-bp windows centred on ``centres``: ``[centre - window // 2, ... + window)``.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` int64.
    """
    return np.asarray(centres, dtype=np.int64) - window // 2


def extract(genome: Genome, chroms: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """Gather windows of base codes.

    Parameters
    ----------
    genome
        Chromosome -> ``(length,)`` uint8 codes, or a FASTA path (then read one chromosome at a time, so
        only one chromosome is in memory).
    chroms, starts
        ``(N,)`` window chromosomes and starts; every window must lie inside its chromosome.
    window
        Window length L.

    Returns
    -------
    numpy.ndarray
        ``(N, L)`` uint8.
    """
    chroms = np.asarray(chroms, dtype=object)
    starts = np.asarray(starts, dtype=np.int64)
    # The windows, plus the int64 positions of one chunk of them while it is gathered.
    chunk = max(1, EXTRACT_CHUNK_BYTES // (8 * window))
    require_memory(
        starts.size * window + min(chunk, starts.size) * window * 8,
        f"{starts.size:,} windows of {window:,} bp",
        "window",
        "a shorter window, fewer windows (peaks, negatives), or a job with more memory",
    )
    X = np.empty((starts.size, window), dtype=np.uint8)
    offsets = np.arange(window, dtype=np.int64)
    for chrom in pd.unique(chroms):
        rows = np.flatnonzero(chroms == chrom)
        codes = genome[chrom] if isinstance(genome, Mapping) else load_genome_codes(genome, [chrom])[chrom]
        for lo in range(0, rows.size, chunk):
            part = rows[lo : lo + chunk]
            X[part] = codes[starts[part, None] + offsets]
    return X


def _n_fraction(X: np.ndarray) -> np.ndarray:
    return (X == N_CODE).mean(axis=1)


def filter_windows(
    chroms: np.ndarray,
    starts: np.ndarray,
    window: int,
    sizes: Mapping[str, int],
    genome: Genome,
    *,
    blacklist: Blacklist | None = None,
    max_n_fraction: float,
    what: str = "",
) -> KeptWindows:
    """Drop windows past a chromosome end, on the blacklist or N-rich; count, log and extract the rest.

    The filters run in the order of :data:`DROP_REASONS` and each sees only the windows the previous ones
    kept, so a window counts under one reason: ``past_chrom_end`` (``start < 0`` or ``start + window`` beyond
    the chromosome), ``blacklist`` (overlaps a blacklisted region), ``too_many_n`` (more than
    ``max_n_fraction`` of its bases are N).

    Parameters
    ----------
    chroms, starts
        ``(N,)`` window chromosomes (genome names) and starts.
    window
        Window length L in bp.
    sizes
        Chromosome -> length.
    genome
        Codes or FASTA, as for :func:`extract`.
    blacklist
        Regions no window may overlap; ``None`` drops nothing for it.
    max_n_fraction
        Largest fraction of N bases a kept window may hold.
    what
        What the windows are (e.g. ``"summit"``), for the log.

    Returns
    -------
    KeptWindows
        The kept mask, the kept windows' ``(K, L)`` uint8 codes and the drop counts.
    """
    chroms = np.asarray(chroms, dtype=object)
    starts = np.asarray(starts, dtype=np.int64)
    ends = starts + window
    size = np.array([sizes[c] for c in chroms], dtype=np.int64)
    keep = np.ones(starts.size, dtype=bool)
    dropped: dict[str, int] = {}

    def drop(bad: np.ndarray, reason: str) -> None:
        nonlocal keep
        count = int((keep & bad).sum())
        dropped[reason] = count
        if count:
            log.warning("%d %swindow(s) dropped: %s", count, f"{what} " if what else "", reason)
        keep = keep & ~bad

    drop((starts < 0) | (ends > size), "past_chrom_end")
    black = blacklist if blacklist is not None else Blacklist(regions={})
    bad = np.zeros(starts.size, dtype=bool)
    bad[keep] = black.overlaps_any(chroms[keep], starts[keep], ends[keep])
    drop(bad, "blacklist")
    # Only windows inside their chromosome can be read, so the N filter comes last.
    X = extract(genome, chroms[keep], starts[keep], window)
    n_ok = _n_fraction(X) <= max_n_fraction
    bad = np.zeros(starts.size, dtype=bool)
    bad[np.flatnonzero(keep)[~n_ok]] = True
    drop(bad, "too_many_n")
    return KeptWindows(keep=keep, X=X[n_ok], dropped=dropped)


# ----------------------------------------------------------------------------------------------------
# Background windows, order, overlap sets and splits
# ----------------------------------------------------------------------------------------------------


def tile_windows(
    sizes: Mapping[str, int],
    chroms: Iterable[str],
    window: int,
    exclude: Sequence[Blacklist],
    stride: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Whole ``window``-bp tiles of ``chroms`` that overlap nothing in ``exclude``, one starting at every
    multiple of ``stride`` (None: ``window``, abutting tiles).

    Returns
    -------
    tuple of numpy.ndarray
        ``(chroms, starts)``, ``(N,)`` each, in chromosome then position order.
    """
    out_c, out_s = [], []
    for chrom in chroms:
        starts = np.arange(0, sizes[chrom] - window + 1, stride or window, dtype=np.int64)
        ok = np.ones(starts.size, dtype=bool)
        for regions in exclude:
            ok &= ~regions.overlaps(chrom, starts, starts + window)
        out_c.append(np.full(int(ok.sum()), chrom, dtype=object))
        out_s.append(starts[ok])
    if not out_c:
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    return np.concatenate(out_c), np.concatenate(out_s)


def sample_windows(
    rng: np.random.Generator,
    genome: Genome,
    chroms: np.ndarray,
    starts: np.ndarray,
    n: int,
    window: int,
    max_n_fraction: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw up to ``n`` of the given windows at random whose N fraction is at most ``max_n_fraction``.

    Candidates are tried in one random permutation, so the draw does not favour early chromosomes; N-rich
    ones are skipped (never drawn, so not counted as dropped).

    Returns
    -------
    tuple of numpy.ndarray
        ``(chroms, starts, X)`` of the drawn windows, with X ``(n, window)`` uint8 (fewer rows, with a
        warning, when too few candidates qualify).
    """
    order = rng.permutation(len(starts))
    picked: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    got, pos = 0, 0
    while got < n and pos < order.size:
        # Keep the permuted order: the first good tiles of a sorted chunk would favour early chromosomes.
        chunk = order[pos : pos + max(2 * (n - got) + 50, 1)]
        pos += chunk.size
        X = extract(genome, chroms[chunk], starts[chunk], window)
        ok = _n_fraction(X) <= max_n_fraction
        take = np.flatnonzero(ok)[: n - got]
        picked.append(chunk[take])
        codes.append(X[take])
        got += take.size
    if got < n:
        log.warning("only %d of %d wanted random windows could be drawn", got, n)
    if not picked:
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64), np.empty((0, window), dtype=np.uint8)
    idx = np.concatenate(picked)
    return chroms[idx], starts[idx], np.concatenate(codes)


def genome_order(chroms: np.ndarray, starts: np.ndarray, sizes: Mapping[str, int]) -> np.ndarray:
    """Indices sorting windows by chromosome (in the order of ``sizes``), then start."""
    rank = {c: i for i, c in enumerate(sizes)}
    return np.lexsort((starts, np.array([rank[c] for c in chroms], dtype=np.int64)))


def interval_set(frames: Iterable[pd.DataFrame]) -> Blacklist:
    """Merge the ``chrom``/``start``/``end`` intervals of several tables into one overlap-queryable set."""
    table = pd.concat([f[["chrom", "start", "end"]] for f in frames], ignore_index=True)
    regions = {}
    for chrom, group in table.groupby("chrom", sort=False):
        regions[chrom] = merge_intervals(group["start"].to_numpy(), group["end"].to_numpy())
    return Blacklist(regions=regions)


def chrom_splits(
    sizes: Mapping[str, int], splits: Mapping[str, Iterable[str]] | None, aliases: Mapping[str, str] | None
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Chromosome -> split (``train`` unless held out), and each held-out split's chromosomes (for meta.json).

    Raises
    ------
    InputError
        A split other than those of :data:`seqcnn.datasets.SPLITS`, an unknown or doubly held-out chromosome.
    """
    held = [name for name in SPLITS if name != "train"]
    split_map = resolve_splits(sizes, splits, aliases=aliases, names=held)
    return split_map, {name: [c for c, s in split_map.items() if s == name] for name in held}


# ----------------------------------------------------------------------------------------------------
# Inputs the builders share
# ----------------------------------------------------------------------------------------------------


def as_paths(value: PathLike | Sequence[PathLike] | None) -> list[Path]:
    """One path, several, or none, as a list of paths."""
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        return [Path(value)]
    return [Path(v) for v in value]


def read_sizes_and_blacklist(
    chrom_sizes: PathLike | Mapping[str, int], blacklist: PathLike | None, aliases: Mapping[str, str] | None
) -> tuple[dict[str, int], Blacklist]:
    """Chromosome sizes (a ``chrom.sizes`` path or a mapping) and the blacklist (empty without a file)."""
    sizes = dict(chrom_sizes) if isinstance(chrom_sizes, Mapping) else read_chrom_sizes(chrom_sizes)
    black = read_blacklist(blacklist, sizes, aliases=aliases) if blacklist else Blacklist(regions={})
    return sizes, black


def check_window(window: int, bin_size: int = 1) -> None:
    """Raise :class:`InputError` unless ``window`` is a positive integer and a multiple of ``bin_size``."""
    if not isinstance(window, (int, np.integer)) or isinstance(window, bool) or window < 1:
        raise InputError(f"config key window: expected a positive integer, got {window!r}")
    if window % bin_size:
        raise InputError(f"config key window: expected a multiple of bin_size={bin_size}, got {window}")
