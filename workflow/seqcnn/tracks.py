"""Signal tracks over genomic windows: bigWig reading, per-window and per-bin summaries, normalisation.

The STARR-seq, DECODE and multi-modal builders (:mod:`seqcnn.starr`, :mod:`seqcnn.decode`,
:mod:`seqcnn.multimodal`) all read bigWigs over their windows. :class:`BigWigs` opens them with their
chromosome names mapped onto the genome's and fails with one message naming the file and the missing
chromosome; :func:`window_signal` sums or averages a track over each window (STARR-seq RNA and input);
:func:`track_features` averages tracks in fixed bins, ``(N, tracks, bins)``; :func:`normalize_tracks` scales
them with train-split statistics only; :func:`tracks_meta` describes the result in ``meta.json``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .datasets import TRACKS_SUFFIX
from .errors import InputError
from .genome import match_chrom_names, natural_key

#: Normalisations of track features (see :func:`normalize_tracks`).
NORMALIZATIONS = ("none", "log1p", "zscore")

PathLike = str | os.PathLike


class BigWigs:
    """Open bigWigs, their chromosome names mapped onto the genome's, closed on exit.

    Parameters
    ----------
    paths
        Track key -> bigWig path.
    sizes
        The genome's chromosome sizes; every bigWig's names are matched onto them.
    aliases
        Chromosome alias table (file name -> genome name).

    Raises
    ------
    InputError
        A bigWig that is missing, unreadable, or whose chromosome names match none of the genome's.
    """

    def __init__(
        self, paths: Mapping[str, Path], sizes: Mapping[str, int], aliases: Mapping[str, str] | None
    ):
        import pyBigWig

        self.paths = dict(paths)
        self.handles: dict[str, Any] = {}
        self.names: dict[str, dict[str, str]] = {}  # key -> genome name -> bigWig name
        try:
            for key, path in self.paths.items():
                if not path.is_file():
                    raise InputError(f"{path}: bigWig not found (track {key!r})")
                try:
                    bw = pyBigWig.open(str(path))
                except RuntimeError:
                    bw = None
                if bw is None or not bw.isBigWig():
                    raise InputError(f"{path}: not a readable bigWig (track {key!r})")
                self.handles[key] = bw
                match = match_chrom_names(bw.chroms(), sizes, aliases=aliases, source=path, what="the bigWig")
                self.names[key] = {genome: name for name, genome in match.mapping.items()}
        except BaseException:
            self.close()
            raise

    def require(self, chroms: Iterable[str]) -> None:
        """Raise :class:`InputError` naming the file and chromosome when a bigWig lacks one of ``chroms``."""
        wanted = sorted(set(chroms), key=natural_key)
        for key, path in self.paths.items():
            missing = [c for c in wanted if c not in self.names[key]]
            if missing:
                raise InputError(
                    f"{path}: bigWig (track {key!r}) lacks chromosome {missing[0]!r}, which holds windows"
                    + (f" ({len(missing)} such chromosomes: {missing[:5]})" if len(missing) > 1 else "")
                    + f"; it has {sorted(self.names[key], key=natural_key)[:5]}; expected a bigWig covering "
                    "every chromosome with windows (or set the alias table)"
                )

    def values(self, key: str, chrom: str, start: int, end: int) -> np.ndarray:
        """Per-base values over ``[start, end)``; positions without data are 0."""
        out = self.handles[key].values(self.names[key][chrom], int(start), int(end), numpy=True)
        return np.nan_to_num(np.asarray(out, dtype=np.float64), nan=0.0)

    def close(self) -> None:
        """Close every bigWig (safe to call twice)."""
        for bw in self.handles.values():
            bw.close()
        self.handles = {}

    def __enter__(self) -> BigWigs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def window_signal(
    bigwigs: BigWigs, key: str, chroms: np.ndarray, starts: np.ndarray, window: int, stat: str
) -> np.ndarray:
    """Sum or mean of a bigWig over each window (positions without data count as 0).

    Returns
    -------
    numpy.ndarray
        ``(N,)`` float64.
    """
    out = np.empty(len(starts), dtype=np.float64)
    for i, (chrom, start) in enumerate(zip(chroms, starts, strict=True)):
        vals = bigwigs.values(key, chrom, start, start + window)
        out[i] = vals.sum() if stat == "sum" else vals.mean()
    return out


def track_features(
    bigwigs: BigWigs, keys: Sequence[str], chroms: np.ndarray, starts: np.ndarray, window: int, bin_size: int
) -> np.ndarray:
    """Mean of each bigWig in ``bin_size``-bp bins of each window.

    Returns
    -------
    numpy.ndarray
        ``(N, tracks, window // bin_size)`` float32.
    """
    n_bins = window // bin_size
    out = np.empty((len(starts), len(keys), n_bins), dtype=np.float32)
    for t, key in enumerate(keys):
        for i, (chrom, start) in enumerate(zip(chroms, starts, strict=True)):
            out[i, t] = (
                bigwigs.values(key, chrom, start, start + window).reshape(n_bins, bin_size).mean(axis=1)
            )
    return out


def normalize_tracks(
    F: np.ndarray,
    train: np.ndarray,
    names: Sequence[str],
    normalization: str,
    clip_quantile: float | None = None,
) -> tuple[np.ndarray, dict[str, dict[str, float]]]:
    """Normalise track features ``(N, K, B)`` with statistics of the train rows (``train``, bool ``(N,)``).

    ``"log1p"`` (clipped per track at the train rows' ``clip_quantile`` when given), ``"zscore"`` per track,
    or ``"none"``. Returns the float32 features and the per-track statistics used.
    """
    stats: dict[str, dict[str, float]] = {}
    if normalization == "log1p":
        F = np.log1p(np.maximum(F, 0.0))
        if clip_quantile is not None and train.any():
            cap = np.quantile(F[train], clip_quantile, axis=(0, 2))
            F = np.minimum(F, cap[None, :, None])
            stats = {t: {"clip": float(c)} for t, c in zip(names, cap, strict=True)}
    elif normalization == "zscore":
        if not train.any():
            raise InputError("normalization 'zscore' needs train windows; every window is held out")
        mean = F[train].mean(axis=(0, 2), dtype=np.float64)
        std = F[train].std(axis=(0, 2), dtype=np.float64)
        std = np.where(std > 0, std, 1.0)
        F = (F - mean[None, :, None]) / std[None, :, None]
        stats = {t: {"mean": float(m), "std": float(sd)} for t, m, sd in zip(names, mean, std, strict=True)}
    return F.astype(np.float32), stats


def tracks_meta(
    tracks: Mapping[str, PathLike],
    names: Sequence[str],
    window: int,
    bin_size: int,
    normalization: str,
    stats: Mapping[str, Any],
) -> dict[str, Any]:
    """The ``meta.json`` entry describing a dataset's ``<split>.tracks.npy`` arrays."""
    return {
        "file_suffix": TRACKS_SUFFIX,
        "shape": "(N, tracks, bins)",
        "names": list(names),
        "paths": {t: str(tracks[t]) for t in names},
        "bin_size": bin_size,
        "bins": window // bin_size,
        "normalization": normalization,
        "train_stats": dict(stats),
    }
