"""Multi-modal binding datasets: the windows of a peak dataset with signal tracks beside their sequence.

The multi-modal networks predict binding from sequence and chromatin accessibility together: the track says
whether something can bind, the sequence says what. :func:`build_multimodal_dataset` takes a dataset written
by :func:`seqcnn.labels.build_peak_dataset` and its windows BED, keeps every window's sequence and labels
(optionally only some tasks), and adds bigWig tracks per base or per bin as ``<split>.tracks.npy``,
normalised with train-split statistics only. It writes the dataset format of :mod:`seqcnn.datasets`; a
windows BED that does not match the dataset or a bigWig lacking a chromosome fails before anything is
written.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .datasets import TRACKS_SUFFIX, load_meta, load_split, write_dataset
from .errors import InputError
from .genome import read_chrom_sizes
from .tracks import NORMALIZATIONS, BigWigs, normalize_tracks, track_features, tracks_meta
from .windows import check_window

log = logging.getLogger("seqcnn.multimodal")

PathLike = str | os.PathLike


def build_multimodal_dataset(
    peak_dataset: PathLike,
    windows_bed: PathLike,
    chrom_sizes: PathLike | Mapping[str, int],
    tracks: Mapping[str, PathLike],
    out_dir: PathLike,
    *,
    tasks: Sequence[str] | None = None,
    bin_size: int = 1,
    normalization: str = "log1p",
    clip_quantile: float | None = 0.999,
    aliases: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Add signal tracks (e.g. chromatin accessibility) to the windows of a peak dataset.

    Each window of ``peak_dataset`` keeps its sequence codes and labels (optionally only ``tasks``), and gains
    ``(K, window // bin_size)`` track values, the bigWig mean per bin (per base with ``bin_size`` 1), as
    ``log1p`` clipped at the train split's ``clip_quantile``, ``none`` or train-split ``zscore`` (see
    :func:`seqcnn.tracks.normalize_tracks`).

    Parameters
    ----------
    peak_dataset
        Dataset directory written by :func:`seqcnn.labels.build_peak_dataset`.
    windows_bed
        Its windows BED (chrom, start, end, name, split, label; in dataset order).
    chrom_sizes
        The genome's chromosome sizes (path or mapping).
    tracks
        Track name -> bigWig path, in channel order.
    out_dir
        Output dataset directory (replaced as a whole).
    tasks
        Keep these classes of the peak dataset (default: all).

    Returns
    -------
    dict
        The written ``meta.json``.

    Raises
    ------
    InputError
        An unknown task, a bad setting, a windows BED that does not match the dataset, or a bigWig that
        is missing, unreadable or lacks a chromosome holding windows. Nothing is written then.
    """
    peak_dataset, out_dir = Path(peak_dataset), Path(out_dir)
    meta = load_meta(peak_dataset)
    if not tracks:
        raise InputError("config key tracks: expected at least one track name -> bigWig path")
    if normalization not in NORMALIZATIONS:
        raise InputError(f"config key normalization: expected one of {NORMALIZATIONS}, got {normalization!r}")
    window = int(meta["seq_len"])
    check_window(window, bin_size)
    classes = list(meta["classes"])
    tasks = list(tasks) if tasks else classes
    unknown = [t for t in tasks if t not in classes]
    if unknown:
        raise InputError(f"config key tasks: {unknown} not in {peak_dataset} (it has {', '.join(classes)})")
    cols = [classes.index(t) for t in tasks]
    bed = pd.read_csv(windows_bed, sep="\t", comment="#", header=None, usecols=[0, 1, 4], dtype={0: str})
    bed.columns = ["chrom", "start", "split"]
    sizes = dict(chrom_sizes) if isinstance(chrom_sizes, Mapping) else read_chrom_sizes(chrom_sizes)
    track_names = list(tracks)
    parts, feats = {}, {}
    with BigWigs({t: Path(tracks[t]) for t in track_names}, sizes, aliases) as bws:
        bws.require(pd.unique(bed["chrom"]))
        for split, n in meta["splits"].items():
            rows = bed[bed["split"] == split]
            if len(rows) != n:
                raise InputError(
                    f"{windows_bed}: {len(rows)} windows of split {split!r}, but {peak_dataset} holds {n} "
                    "(expected the windows BED written with that dataset)"
                )
            X, y = load_split(peak_dataset, split)
            parts[split] = (X, y[:, cols])
            chroms, starts = rows["chrom"].to_numpy(object), rows["start"].to_numpy(np.int64)
            feats[split] = track_features(bws, track_names, chroms, starts, window, bin_size)
    splits_order = list(feats)
    is_train = np.concatenate([np.full(len(feats[k]), k == "train") for k in splits_order])
    F, stats = normalize_tracks(
        np.concatenate([feats[k] for k in splits_order]), is_train, track_names, normalization, clip_quantile
    )
    bounds = np.cumsum([0, *(len(feats[k]) for k in splits_order)])
    feats = {k: F[bounds[i] : bounds[i + 1]] for i, k in enumerate(splits_order)}
    extra = {f"{k}{TRACKS_SUFFIX}": np.ascontiguousarray(v, dtype=np.float32) for k, v in feats.items()}
    out_meta = {
        **{k: v for k, v in meta.items() if k not in ("splits", "seq_len")},
        "kind": "multimodal_classification",
        "task": "binary",
        "classes": tasks,
        "source_dataset": str(peak_dataset),
        "tracks": tracks_meta(tracks, track_names, window, bin_size, normalization, stats),
    }
    summary = [("windows", s, "", len(p[1])) for s, p in parts.items()]
    summary += [
        ("positives", s, t, int(p[1][:, i].sum())) for s, p in parts.items() for i, t in enumerate(tasks)
    ]
    summary += [
        ("track_mean", s, t, float(feats[s][:, i].mean()) if len(feats[s]) else np.nan)
        for s in parts
        for i, t in enumerate(track_names)
    ]
    windows = bed.assign(end=bed["start"] + window)[["chrom", "start", "end", "split"]]
    summary_df = pd.DataFrame(summary, columns=["metric", "split", "name", "value"])
    write_dataset(out_dir, parts, out_meta, windows, summary_df, extra)
    log.info("%s: %d windows x %d task(s) with tracks %s", out_dir, len(bed), len(tasks), track_names)
    return load_meta(out_dir)
