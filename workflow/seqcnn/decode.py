"""DECODE-style enhancer classification datasets: STARR-seq positives with binned chromatin-track features.

:func:`build_decode_dataset` follows DECODE: positives are STARR-seq peaks passing a q-value cut that overlap
an accessibility peak, negatives are random tiles of the genome outside the blacklist, every STARR peak and
the positives (1:1 by default), and the features are the configured bigWig tracks averaged in 10-bp bins,
``(tracks, bins)`` per window, kept beside the sequence. It splits by held-out chromosomes and writes the
dataset format of :mod:`seqcnn.datasets` plus a windows BED and a summary table. Every check that a user's
files can fail (a bigWig lacking a chromosome, an unknown split chromosome, a malformed peak line) runs
before anything is written, and the output directory appears whole or not at all.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .datasets import SPLITS, TRACKS_SUFFIX, write_dataset
from .errors import InputError
from .genome import read_narrowpeak
from .tracks import NORMALIZATIONS, BigWigs, normalize_tracks, track_features, tracks_meta
from .windows import (
    as_paths,
    centred_starts,
    check_window,
    chrom_splits,
    filter_windows,
    genome_order,
    interval_set,
    read_sizes_and_blacklist,
    sample_windows,
    tile_windows,
)

log = logging.getLogger("seqcnn.decode")

#: Name of the extra split holding the test chromosomes' genome-wide scan (``scan_stride``).
SCAN = "scan"

PathLike = str | os.PathLike


def build_decode_dataset(
    fasta: PathLike,
    chrom_sizes: PathLike | Mapping[str, int],
    starr_peaks: PathLike | Sequence[PathLike],
    accessibility_peaks: PathLike | Sequence[PathLike],
    tracks: Mapping[str, PathLike],
    out_dir: PathLike,
    *,
    window: int = 2000,
    bin_size: int = 10,
    min_log10q: float = 1.30,
    min_peak_bp: int = 150,
    neg_ratio: float = 1.0,
    normalization: str = "none",
    splits: Mapping[str, Iterable[str]] | None = None,
    blacklist: PathLike | None = None,
    aliases: Mapping[str, str] | None = None,
    max_n_fraction: float = 0.0,
    label: str = "starr_enhancer",
    seed: int = 0,
    scan_stride: int | None = None,
) -> dict[str, Any]:
    """Build a DECODE-style enhancer classification dataset with binned chromatin-track features.

    Positives, as DECODE: STARR-seq peaks with -log10 q (narrowPeak column 9) above ``min_log10q`` from all
    ``starr_peaks`` files (replicates) are pooled and merged; merged regions of at least ``min_peak_bp`` that
    overlap an accessibility peak become windows centred on the region's midpoint. Negatives: the genome is
    tiled into ``window``-bp tiles; tiles overlapping the blacklist, any STARR peak (passing the cut or not)
    or a positive window are removed, and ``neg_ratio`` times the positives of each split are drawn at
    random from that split's chromosomes. Windows past a chromosome end, blacklisted or with more than
    ``max_n_fraction`` N are dropped, counted and logged (:func:`seqcnn.windows.filter_windows`), after the
    peaks and regions counted as ``starr_peaks_failing_q``, ``starr_regions_short`` and
    ``starr_regions_not_accessible``.

    ``scan_stride`` also writes DECODE's genome-wide scan of the test chromosomes: every ``window``-bp tile
    starting at a multiple of ``scan_stride`` (blacklisted and N-rich tiles dropped, counted as
    ``scan_*``), as the extra split ``scan`` (``scan.x.npy``, ``scan.y.npy``, ``scan.tracks.npy`` and
    ``split == "scan"`` rows of ``windows.bed``), labelled 1 where a tile overlaps a positive's STARR
    region. It is never trained on: it is what a trained model's enhancer calls and Grad-CAM refinement
    are scored on, as DECODE scored whole held-out chromosomes. The other splits are the same with or
    without it.

    Features are every track's mean in ``bin_size``-bp bins, ``(N, tracks, window // bin_size)`` float32,
    saved as ``<split>.tracks.npy`` beside the sequence codes (kept for models that want both).
    ``normalization``: ``"none"``; ``"log1p"``; ``"zscore"`` per track with the mean and standard deviation
    of the train split's bins (recorded in ``meta.json``), so valid and test see no statistics of their own.

    Parameters
    ----------
    fasta
        Genome FASTA (with ``.fai``).
    chrom_sizes
        The genome's ``chrom.sizes`` path, or chromosome -> length.
    starr_peaks
        STARR-seq narrowPeak file(s) (e.g. two replicates).
    accessibility_peaks
        DNase/ATAC narrowPeak or BED file(s).
    tracks
        Track name -> bigWig path, in feature order.
    out_dir
        Dataset directory: ``meta.json``, ``<split>.x.npy`` ``(N, window)`` uint8, ``<split>.y.npy``
        ``(N, 1)`` float32 (1 positive, 0 negative), ``<split>.tracks.npy``, ``windows.bed``, ``summary.tsv``.
    window, bin_size
        Window length and feature bin in bp; ``window`` must be a multiple of ``bin_size``.
    min_log10q
        Smallest -log10 q a STARR peak must exceed (1.30: q < 0.05, DECODE's cut).
    min_peak_bp
        Shortest merged STARR region kept (DECODE: 150).
    neg_ratio
        Negatives per positive, per split.
    normalization
        ``"none"``, ``"log1p"`` or ``"zscore"``.
    splits
        Held-out chromosomes, e.g. ``{"valid": ["chr2"], "test": ["chr3"]}``; every other chromosome is
        train. Names may go through ``aliases``.
    blacklist
        BED of regions no window may overlap.
    aliases
        Chromosome alias table (file name -> genome name).
    max_n_fraction
        Largest fraction of N bases a window may hold.
    label
        Name of the single class.
    seed
        Seed of the negative draw.
    scan_stride
        Step in bp of the test chromosomes' scan (None: no scan).

    Returns
    -------
    dict
        The metadata written to ``meta.json`` (split sizes included).

    Raises
    ------
    InputError
        Bad settings, an unknown or doubly held-out split chromosome, a malformed peak line (file:line), a
        bigWig lacking a chromosome that holds windows (file and chromosome), no positive left. Nothing is
        written then.
    """
    fasta, out_dir = Path(fasta), Path(out_dir)
    check_window(window)
    if not isinstance(bin_size, (int, np.integer)) or bin_size < 1:
        raise InputError(f"config key bin_size: expected a positive integer, got {bin_size!r}")
    check_window(window, bin_size)
    if normalization not in NORMALIZATIONS:
        raise InputError(
            f"config key normalization: expected one of {list(NORMALIZATIONS)}, got {normalization!r}"
        )
    if not tracks:
        raise InputError("config key tracks: expected at least one track name -> bigWig path")
    if scan_stride is not None and (not isinstance(scan_stride, (int, np.integer)) or scan_stride < 1):
        raise InputError(f"config key scan_stride: expected a positive integer or null, got {scan_stride!r}")
    sizes, black = read_sizes_and_blacklist(chrom_sizes, blacklist, aliases)
    split_map, held_out = chrom_splits(sizes, splits, aliases)
    rng = np.random.default_rng(seed)
    track_names = list(tracks)

    starr = [read_narrowpeak(p, sizes, aliases=aliases)[0] for p in as_paths(starr_peaks)]
    access = [read_narrowpeak(p, sizes, aliases=aliases)[0] for p in as_paths(accessibility_peaks)]
    if not starr or not access:
        raise InputError("config keys starr_peaks and accessibility_peaks: expected at least one file each")
    all_starr = pd.concat(starr, ignore_index=True)
    passing = all_starr.loc[all_starr["log10q"] > min_log10q]
    dropped: dict[str, int] = {"starr_peaks_failing_q": int(len(all_starr) - len(passing))}
    merged = interval_set([passing]).regions
    pos = pd.DataFrame(
        [(c, s, e) for c, (ss, ee) in merged.items() for s, e in zip(ss, ee, strict=True)],
        columns=["chrom", "start", "end"],
    )
    short = (pos["end"] - pos["start"]).to_numpy() < min_peak_bp
    dropped["starr_regions_short"] = int(short.sum())
    pos = pos.loc[~short].reset_index(drop=True)
    acc_set = interval_set(access)
    in_acc = acc_set.overlaps_any(pos["chrom"], pos["start"], pos["end"])
    dropped["starr_regions_not_accessible"] = int((~in_acc).sum())
    pos = pos.loc[in_acc].reset_index(drop=True)

    chroms = pos["chrom"].to_numpy(dtype=object)
    starts = centred_starts((pos["start"].to_numpy() + pos["end"].to_numpy()) // 2, window)
    kept = filter_windows(
        chroms, starts, window, sizes, fasta, blacklist=black, max_n_fraction=max_n_fraction, what="positive"
    )
    dropped.update(kept.dropped)
    X_pos, chroms, starts = kept.X, chroms[kept.keep], starts[kept.keep]
    if len(starts) == 0:
        raise InputError(
            f"no DECODE positive left (STARR peaks with -log10 q > {min_log10q}, >= {min_peak_bp} bp, "
            f"overlapping an accessibility peak, inside the genome); dropped {dropped}"
        )

    # --- negatives: per split, from that split's chromosomes ------------------------------------------
    pos_split = np.array([split_map[c] for c in chroms], dtype=object)
    pos_windows = pd.DataFrame({"chrom": chroms, "start": starts, "end": starts + window})
    exclude = [black, interval_set([all_starr, pos_windows])]
    neg_c, neg_s, neg_X = [np.empty(0, dtype=object)], [np.empty(0, dtype=np.int64)], [X_pos[:0]]
    for name in SPLITS:
        n_neg = int(round(neg_ratio * int((pos_split == name).sum())))
        if n_neg == 0:
            continue
        tile_c, tile_s = tile_windows(sizes, [c for c in sizes if split_map[c] == name], window, exclude)
        c, s, x = sample_windows(rng, fasta, tile_c, tile_s, n_neg, window, max_n_fraction)
        neg_c.append(c)
        neg_s.append(s)
        neg_X.append(x)
    neg_c, neg_s, neg_X = np.concatenate(neg_c), np.concatenate(neg_s), np.concatenate(neg_X)
    all_c = np.concatenate([chroms, neg_c])
    all_s = np.concatenate([starts, neg_s])
    X = np.concatenate([X_pos, neg_X])
    y = np.concatenate([np.ones(len(starts)), np.zeros(len(neg_s))]).astype(np.float32)[:, None]

    split = np.array([split_map[c] for c in all_c], dtype=object)
    scan_c, scan_s = np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    if scan_stride is not None:
        scan_c, scan_s = tile_windows(
            sizes, [c for c in sizes if split_map[c] == "test"], window, (), scan_stride
        )
        kept = filter_windows(
            scan_c, scan_s, window, sizes, fasta, blacklist=black, max_n_fraction=max_n_fraction, what="scan"
        )
        dropped.update({f"scan_{reason}": n for reason, n in kept.dropped.items()})
        scan_c, scan_s, scan_X = scan_c[kept.keep], scan_s[kept.keep], kept.X
        scan_y = interval_set([pos]).overlaps_any(scan_c, scan_s, scan_s + window).astype(np.float32)[:, None]
        X = np.concatenate([X, scan_X])
        y = np.concatenate([y, scan_y])
    all_c = np.concatenate([all_c, scan_c])
    all_s = np.concatenate([all_s, scan_s])
    split = np.concatenate([split, np.full(len(scan_c), SCAN, dtype=object)])

    with BigWigs({t: Path(tracks[t]) for t in track_names}, sizes, aliases) as bws:
        bws.require(all_c)
        F = track_features(bws, track_names, all_c, all_s, window, bin_size)
    order = genome_order(all_c, all_s, sizes)
    # The scan is normalised with the train split's statistics, like every held-out window.
    F, stats = normalize_tracks(F, split == "train", track_names, normalization)

    parts, extra, rows, summary = {}, {}, [], []
    for name in (*SPLITS, SCAN) if scan_stride is not None else SPLITS:
        idx = order[split[order] == name]
        if name == SCAN:
            extra[f"{name}.x.npy"], extra[f"{name}.y.npy"] = X[idx], y[idx]
        else:
            parts[name] = (X[idx], y[idx])
        extra[f"{name}{TRACKS_SUFFIX}"] = np.ascontiguousarray(F[idx], dtype=np.float32)
        frame = pd.DataFrame(
            {"chrom": all_c[idx], "start": all_s[idx], "end": all_s[idx] + window, "split": name}
        )
        frame["index"] = np.arange(len(idx))
        frame["label"] = y[idx, 0].astype(int)
        for t, track in enumerate(track_names):
            frame[f"mean_{track}"] = F[idx, t].mean(axis=1)
        rows.append(frame)
        n_pos = int(y[idx, 0].sum())
        summary += [
            ("windows", name, "", "", len(idx)),
            ("positives", name, label, "", n_pos),
            ("negatives", name, label, "", len(idx) - n_pos),
        ]
        for t, track in enumerate(track_names):
            summary.append(("track_mean", name, track, "", float(F[idx, t].mean()) if len(idx) else np.nan))
    for reason, count in dropped.items():
        summary.append(("dropped", "", "", reason, count))
    windows = pd.concat(rows, ignore_index=True)
    windows.insert(3, "name", [f"w{i:07d}" for i in range(len(windows))])
    summary_df = pd.DataFrame(summary, columns=["metric", "split", "task", "reason", "value"])
    meta = {
        "kind": "decode_classification",
        "task": "binary",
        "classes": [label],
        "window": window,
        "min_log10q": min_log10q,
        "min_peak_bp": min_peak_bp,
        "neg_ratio": neg_ratio,
        "max_n_fraction": max_n_fraction,
        "seed": seed,
        "split_chroms": held_out,
        "starr_peaks": [str(p) for p in as_paths(starr_peaks)],
        "accessibility_peaks": [str(p) for p in as_paths(accessibility_peaks)],
        "tracks": tracks_meta(tracks, track_names, window, bin_size, normalization, stats),
        "dropped": dropped,
    }
    if scan_stride is not None:
        meta["scan"] = {
            "stride": int(scan_stride),
            "chroms": list(dict.fromkeys(scan_c.tolist())),
            "windows": int(len(scan_c)),
            "positives": int(extra[f"{SCAN}.y.npy"].sum()),
        }
    meta["seq_len"] = window
    meta["splits"] = {k: int(len(v[0])) for k, v in parts.items()}
    write_dataset(out_dir, parts, meta, windows, summary_df, extra)
    log.info("%s: %d DECODE windows (%d positives), dropped %s", out_dir, len(windows), len(starts), dropped)
    return meta
