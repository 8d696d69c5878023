"""STARR-seq datasets: DeepSTARR-style activity regression and DECODE-style enhancer classification.

:func:`build_starr_regression_dataset` cuts fixed windows (249 bp, as DeepSTARR) centred on STARR-seq peak
summits and on any extra regions given (e.g. candidate elements), adds random genomic background windows so
the target spans inactive sequence too, and labels each window per task with ``log2((RNA + pseudocount) /
(input + pseudocount))`` from the task's RNA and input bigWigs. :func:`build_decode_dataset` follows DECODE:
positives are STARR-seq peaks passing a q-value cut that overlap an accessibility peak, negatives are random
tiles of the genome outside the blacklist, every STARR peak and the positives (1:1 by default), and the
features are the configured bigWig tracks averaged in 10-bp bins, ``(tracks, bins)`` per window, kept beside
the sequence. Both split by held-out chromosomes and write the dataset format of :mod:`seqcnn.datasets` plus
a windows BED and a summary table. Every check that a user's files can fail (a bigWig lacking a chromosome,
an unknown split chromosome, a malformed peak line) runs before anything is written, and the output
directory appears whole or not at all.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .datasets import SPLITS, TRACKS_SUFFIX, save_dataset
from .errors import InputError
from .genome import (
    Blacklist,
    load_genome_codes,
    match_chrom_names,
    merge_intervals,
    natural_key,
    read_blacklist,
    read_chrom_sizes,
    read_narrowpeak,
    resolve_splits,
)
from .io import atomic_dir, write_tsv
from .sequence import N_CODE

log = logging.getLogger("seqcnn.starr")

#: Normalisations of the DECODE track features.
NORMALIZATIONS = ("none", "log1p", "zscore")

PathLike = str | os.PathLike


# ----------------------------------------------------------------------------------------------------
# Shared helpers
# ----------------------------------------------------------------------------------------------------


def _as_list(value: PathLike | Sequence[PathLike] | None) -> list[Path]:
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        return [Path(value)]
    return [Path(v) for v in value]


def _splits(
    sizes: Mapping[str, int], splits: Mapping[str, Iterable[str]] | None, aliases: Mapping[str, str] | None
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Chromosome -> split, and the held-out chromosomes of each split for ``meta.json``."""
    held = [name for name in SPLITS if name != "train"]
    split_map = resolve_splits(sizes, splits, aliases=aliases, names=held)
    return split_map, {name: [c for c, s in split_map.items() if s == name] for name in held}


def _interval_set(frames: Iterable[pd.DataFrame]) -> Blacklist:
    """Merge intervals of several tables into one overlap-queryable set (a :class:`Blacklist`)."""
    table = pd.concat([f[["chrom", "start", "end"]] for f in frames], ignore_index=True)
    regions = {}
    for chrom, group in table.groupby("chrom", sort=False):
        regions[chrom] = merge_intervals(group["start"].to_numpy(), group["end"].to_numpy())
    return Blacklist(regions=regions)


class _BigWigs:
    """Open bigWigs, their chromosome names mapped onto the genome's, closed on exit."""

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
        for bw in self.handles.values():
            bw.close()
        self.handles = {}

    def __enter__(self) -> _BigWigs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sequences(fasta: Path, chroms: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """``(N, window)`` uint8 codes of the windows, one chromosome read at a time."""
    X = np.full((len(starts), window), N_CODE, dtype=np.uint8)
    offsets = np.arange(window, dtype=np.int64)
    for chrom in pd.unique(chroms):
        rows = np.flatnonzero(chroms == chrom)
        codes = load_genome_codes(fasta, [chrom])[chrom]
        X[rows] = codes[starts[rows, None] + offsets]
    return X


def _centred(centres: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    starts = np.asarray(centres, dtype=np.int64) - window // 2
    return starts, starts + window


def _drop(keep: np.ndarray, bad: np.ndarray, reason: str, dropped: dict[str, int], what: str) -> np.ndarray:
    """Clear ``bad`` rows from ``keep``, count them under ``reason`` and log the count."""
    newly = keep & bad
    count = int(newly.sum())
    dropped[reason] = dropped.get(reason, 0) + count
    if count:
        log.warning("%d %s window(s) dropped: %s", count, what, reason)
    return keep & ~bad


def _tiles(
    sizes: Mapping[str, int], chroms: Iterable[str], window: int, exclude: Sequence[Blacklist]
) -> tuple[np.ndarray, np.ndarray]:
    """Whole ``window``-bp tiles of ``chroms`` (from position 0) that overlap nothing in ``exclude``."""
    out_c, out_s = [], []
    for chrom in chroms:
        starts = np.arange(0, sizes[chrom] - window + 1, window, dtype=np.int64)
        ok = np.ones(starts.size, dtype=bool)
        for regions in exclude:
            ok &= ~regions.overlaps(chrom, starts, starts + window)
        out_c.append(np.full(int(ok.sum()), chrom, dtype=object))
        out_s.append(starts[ok])
    if not out_c:
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    return np.concatenate(out_c), np.concatenate(out_s)


def _sample_tiles(
    rng: np.random.Generator,
    fasta: Path,
    chroms: np.ndarray,
    starts: np.ndarray,
    n: int,
    window: int,
    max_n_fraction: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw up to ``n`` tiles at random whose N fraction is at most ``max_n_fraction``; with their codes."""
    order = rng.permutation(len(starts))
    picked: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    got, pos = 0, 0
    while got < n and pos < order.size:
        # Keep the permuted order: the first good tiles of a sorted chunk would favour early chromosomes.
        chunk = order[pos : pos + max(2 * (n - got) + 50, 1)]
        pos += chunk.size
        X = _sequences(fasta, chroms[chunk], starts[chunk], window)
        ok = (X == N_CODE).mean(axis=1) <= max_n_fraction
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


def _write_outputs(
    out_dir: Path,
    splits: dict[str, tuple[np.ndarray, np.ndarray]],
    meta: dict[str, Any],
    windows: pd.DataFrame,
    summary: pd.DataFrame,
    extra: Mapping[str, np.ndarray] | None = None,
) -> None:
    """Write the dataset into a temporary sibling directory and move it into place only when complete."""
    with atomic_dir(out_dir) as tmp:
        save_dataset(tmp, splits, meta)
        for name, arr in (extra or {}).items():
            with open(tmp / name, "wb") as fh:
                np.save(fh, arr)
        with open(tmp / "windows.bed", "w") as fh:
            fh.write("#" + "\t".join(windows.columns) + "\n")
            windows.to_csv(fh, sep="\t", index=False, header=False, float_format="%.6g")
        write_tsv(summary, tmp / "summary.tsv", float_format="%.6g")


def _sizes_and_blacklist(
    chrom_sizes: PathLike | Mapping[str, int], blacklist: PathLike | None, aliases: Mapping[str, str] | None
) -> tuple[dict[str, int], Blacklist]:
    sizes = dict(chrom_sizes) if isinstance(chrom_sizes, Mapping) else read_chrom_sizes(chrom_sizes)
    black = read_blacklist(blacklist, sizes, aliases=aliases) if blacklist else Blacklist(regions={})
    return sizes, black


def _check_window(window: int, bin_size: int = 1) -> None:
    if not isinstance(window, (int, np.integer)) or isinstance(window, bool) or window < 1:
        raise InputError(f"config key window: expected a positive integer, got {window!r}")
    if window % bin_size:
        raise InputError(f"config key window: expected a multiple of bin_size={bin_size}, got {window}")


def _order(chroms: np.ndarray, starts: np.ndarray, sizes: Mapping[str, int]) -> np.ndarray:
    rank = {c: i for i, c in enumerate(sizes)}
    return np.lexsort((starts, np.array([rank[c] for c in chroms], dtype=np.int64)))


# ----------------------------------------------------------------------------------------------------
# DeepSTARR-style regression
# ----------------------------------------------------------------------------------------------------


def _parse_tasks(tasks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(tasks, Mapping) or not tasks:
        raise InputError("config key tasks: expected a non-empty list of {name, rna, input, peaks} mappings")
    out, seen = [], set()
    for i, task in enumerate(tasks):
        if not isinstance(task, Mapping):
            raise InputError(f"config key tasks[{i}]: expected a mapping with name, rna, input, peaks")
        for key in ("name", "rna", "input"):
            if not task.get(key):
                raise InputError(f"config key tasks[{i}]: missing {key!r}; expected name, rna, input (peaks)")
        unknown = sorted(set(task) - {"name", "rna", "input", "peaks"})
        if unknown:
            raise InputError(
                f"config key tasks[{i}]: unknown key(s) {unknown}; expected name, rna, input, peaks"
            )
        name = str(task["name"])
        if name in seen:
            raise InputError(f"config key tasks[{i}]: task name {name!r} is used twice")
        seen.add(name)
        out.append(
            {
                "name": name,
                "rna": Path(task["rna"]),
                "input": Path(task["input"]),
                "peaks": _as_list(task.get("peaks")),
            }
        )
    return out


def window_signal(
    bigwigs: _BigWigs, key: str, chroms: np.ndarray, starts: np.ndarray, window: int, stat: str
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


def build_starr_regression_dataset(
    fasta: PathLike,
    chrom_sizes: PathLike | Mapping[str, int],
    tasks: Sequence[Mapping[str, Any]],
    out_dir: PathLike,
    *,
    regions: PathLike | Sequence[PathLike] | None = None,
    window: int = 249,
    stat: str = "mean",
    pseudocount: float = 1.0,
    merge_distance: int | None = None,
    background_ratio: float = 0.25,
    splits: Mapping[str, Iterable[str]] | None = None,
    blacklist: PathLike | None = None,
    aliases: Mapping[str, str] | None = None,
    max_n_fraction: float = 0.0,
    seed: int = 0,
) -> dict[str, Any]:
    """Build a DeepSTARR-style dataset: windows with a log2 STARR-seq activity per task.

    Window rule. DeepSTARR resized its STARR-seq peaks to 249 bp around the summit; here every task's peak
    summits (narrowPeak column 10, else the midpoint) and the midpoints of the optional ``regions`` are
    candidate centres, pooled across tasks so that one window carries every task's activity. Candidates are
    sorted along each chromosome and one closer than ``merge_distance`` to the last kept centre is folded
    into it (a peak called in two tasks becomes one window). Windows are ``[centre - window // 2, ... +
    window)``. Background windows (``background_ratio`` times the peak/region windows of each split,
    drawn from that split's chromosomes) are random whole tiles of the genome that overlap no STARR peak,
    no kept window and no blacklisted region, so the target also covers inactive sequence. Windows past a
    chromosome end, overlapping the blacklist or with more than ``max_n_fraction`` N are dropped, counted
    and logged.

    Label. Per task, ``log2((RNA + pseudocount) / (input + pseudocount))`` with RNA and input the ``stat``
    (``"mean"`` or ``"sum"``) of the bigWig over the window; positions without data count as 0. Library
    sizes are not normalised: give bigWigs already scaled (e.g. CPM) when depths differ.

    Parameters
    ----------
    fasta
        Genome FASTA (with ``.fai``).
    chrom_sizes
        The genome's ``chrom.sizes`` path, or chromosome -> length.
    tasks
        ``[{name, rna, input, peaks}]``: RNA and input bigWigs and zero or more narrowPeak files per task.
    out_dir
        Dataset directory: ``meta.json``, ``<split>.x.npy`` ``(N, window)`` uint8, ``<split>.y.npy``
        ``(N, tasks)`` float32 log2 activity, ``windows.bed`` and ``summary.tsv``.
    regions
        Extra BED file(s) whose interval midpoints are window centres (e.g. candidate elements).
    window
        Window length in bp.
    stat
        ``"mean"`` or ``"sum"`` of the signal over the window.
    pseudocount
        Added to RNA and input before the ratio (in the units of ``stat``).
    merge_distance
        Candidate centres closer than this to a kept one are folded into it; default ``window // 2``.
    background_ratio
        Background windows per peak/region window.
    splits
        Held-out chromosomes, e.g. ``{"valid": ["chr2"], "test": ["chr3"]}``; every other chromosome is
        train. Names may go through ``aliases``.
    blacklist
        BED of regions no window may overlap.
    aliases
        Chromosome alias table (file name -> genome name).
    max_n_fraction
        Largest fraction of N bases a window may hold.
    seed
        Seed of the background draw.

    Returns
    -------
    dict
        The metadata written to ``meta.json`` (split sizes included).

    Raises
    ------
    InputError
        Bad task configuration, an unknown or doubly held-out split chromosome, a malformed peak or region
        line (file:line), a bigWig lacking a chromosome that holds windows (file and chromosome), no window
        left. Nothing is written then.
    """
    fasta, out_dir = Path(fasta), Path(out_dir)
    _check_window(window)
    if stat not in ("mean", "sum"):
        raise InputError(f"config key stat: expected 'mean' or 'sum', got {stat!r}")
    if not pseudocount > 0:
        raise InputError(f"config key pseudocount: expected a positive number, got {pseudocount!r}")
    task_list = _parse_tasks(tasks)
    sizes, black = _sizes_and_blacklist(chrom_sizes, blacklist, aliases)
    split_map, held_out = _splits(sizes, splits, aliases)
    merge_distance = window // 2 if merge_distance is None else int(merge_distance)
    rng = np.random.default_rng(seed)

    # --- candidate centres ----------------------------------------------------------------------------
    peaks = [read_narrowpeak(p, sizes, aliases=aliases)[0] for t in task_list for p in t["peaks"]]
    cands = [pd.DataFrame({"chrom": p["chrom"], "centre": p["summit"], "source": "peak"}) for p in peaks]
    for path in _as_list(regions):
        reg = read_narrowpeak(path, sizes, aliases=aliases)[0]
        cands.append(pd.DataFrame({"chrom": reg["chrom"], "centre": reg["summit"], "source": "region"}))
    if not cands:
        raise InputError("config keys tasks[*].peaks and regions: no peak or region file given; expected one")
    cand = pd.concat(cands, ignore_index=True)
    cand = cand.iloc[_order(cand["chrom"].to_numpy(), cand["centre"].to_numpy(), sizes)]
    keep_rows = []
    last: tuple[str, int] | None = None
    for i, (chrom, centre) in enumerate(zip(cand["chrom"], cand["centre"], strict=True)):
        if last is None or chrom != last[0] or centre - last[1] >= merge_distance:
            keep_rows.append(i)
            last = (chrom, centre)
    cand = cand.iloc[keep_rows].reset_index(drop=True)
    # Not windows lost: candidates folded into a neighbour (e.g. the same peak called in two tasks).
    dropped: dict[str, int] = {"merged_centres": int(sum(len(c) for c in cands) - len(cand))}

    chroms = cand["chrom"].to_numpy(dtype=object)
    starts, ends = _centred(cand["centre"].to_numpy(), window)
    size = np.array([sizes[c] for c in chroms], dtype=np.int64)
    keep = np.ones(len(cand), dtype=bool)
    keep = _drop(keep, (starts < 0) | (ends > size), "past_chrom_end", dropped, "STARR")
    keep = _drop(keep, black.overlaps_any(chroms, starts, ends), "blacklist", dropped, "STARR")
    X_all = _sequences(fasta, chroms[keep], starts[keep], window)
    n_ok = (X_all == N_CODE).mean(axis=1) <= max_n_fraction
    bad_n = np.zeros(len(cand), dtype=bool)
    bad_n[np.flatnonzero(keep)[~n_ok]] = True
    keep = _drop(keep, bad_n, "n_bases", dropped, "STARR")
    X = X_all[n_ok]
    chroms, starts, source = chroms[keep], starts[keep], cand["source"].to_numpy(dtype=object)[keep]

    # --- background -----------------------------------------------------------------------------------
    # Drawn per split, in proportion to its peak/region windows, so every split's target has a range.
    kept = pd.DataFrame({"chrom": chroms, "start": starts, "end": starts + window})
    exclude = [black, _interval_set([kept, *peaks])]
    kept_split = np.array([split_map[c] for c in chroms], dtype=object)
    for name in SPLITS:
        n_bg = int(round(background_ratio * int((kept_split == name).sum())))
        if n_bg == 0:
            continue
        tile_c, tile_s = _tiles(sizes, [c for c in sizes if split_map[c] == name], window, exclude)
        bg_c, bg_s, bg_X = _sample_tiles(rng, fasta, tile_c, tile_s, n_bg, window, max_n_fraction)
        chroms = np.concatenate([chroms, bg_c])
        starts = np.concatenate([starts, bg_s])
        source = np.concatenate([source, np.full(len(bg_s), "background", dtype=object)])
        X = np.concatenate([X, bg_X])
    if len(starts) == 0:
        raise InputError(
            f"no STARR-seq window left after dropping {dropped}; expected peaks inside the genome"
        )

    # --- labels ---------------------------------------------------------------------------------------
    bw_paths = {}
    for t in task_list:
        bw_paths[f"{t['name']}:rna"] = t["rna"]
        bw_paths[f"{t['name']}:input"] = t["input"]
    names = [t["name"] for t in task_list]
    signal: dict[str, np.ndarray] = {}
    with _BigWigs(bw_paths, sizes, aliases) as bws:
        bws.require(chroms)
        for key in bw_paths:
            signal[key] = window_signal(bws, key, chroms, starts, window, stat)
    y = np.stack(
        [np.log2((signal[f"{n}:rna"] + pseudocount) / (signal[f"{n}:input"] + pseudocount)) for n in names],
        axis=1,
    ).astype(np.float32)

    # --- splits and outputs ---------------------------------------------------------------------------
    split = np.array([split_map[c] for c in chroms], dtype=object)
    order = _order(chroms, starts, sizes)
    windows_rows, parts, summary = [], {}, []
    for name in SPLITS:
        idx = order[split[order] == name]
        parts[name] = (X[idx], y[idx])
        frame = pd.DataFrame(
            {"chrom": chroms[idx], "start": starts[idx], "end": starts[idx] + window, "split": name}
        )
        frame["index"] = np.arange(len(idx))
        frame["source"] = source[idx]
        for j, task in enumerate(names):
            frame[f"log2_{task}"] = y[idx, j]
            frame[f"rna_{task}"] = signal[f"{task}:rna"][idx]
            frame[f"input_{task}"] = signal[f"{task}:input"][idx]
        windows_rows.append(frame)
        summary.append(("windows", name, "", "", len(idx)))
        for src in ("peak", "region", "background"):
            summary.append((f"windows_{src}", name, "", "", int((source[idx] == src).sum())))
        for j, task in enumerate(names):
            vals = y[idx, j]
            summary.append(("activity_mean", name, task, "", float(vals.mean()) if len(vals) else np.nan))
            summary.append(("activity_std", name, task, "", float(vals.std()) if len(vals) else np.nan))
    for reason, count in dropped.items():
        summary.append(("dropped", "", "", reason, count))
    windows = pd.concat(windows_rows, ignore_index=True)
    windows.insert(3, "name", [f"w{i:07d}" for i in range(len(windows))])
    summary_df = pd.DataFrame(summary, columns=["metric", "split", "task", "reason", "value"])
    meta = {
        "kind": "starr_regression",
        "task": "regression",
        "classes": names,
        "target": "log2((RNA + pseudocount) / (input + pseudocount))",
        "window": window,
        "stat": stat,
        "pseudocount": pseudocount,
        "merge_distance": merge_distance,
        "background_ratio": background_ratio,
        "max_n_fraction": max_n_fraction,
        "seed": seed,
        "split_chroms": held_out,
        "tasks": [
            {k: (str(v) if k != "peaks" else [str(p) for p in v]) for k, v in t.items()} for t in task_list
        ],
        "dropped": dropped,
    }
    meta["seq_len"] = window
    meta["splits"] = {k: int(len(v[0])) for k, v in parts.items()}
    _write_outputs(out_dir, parts, meta, windows, summary_df)
    log.info(
        "%s: %d STARR windows (%s), dropped %s",
        out_dir,
        len(windows),
        {k: len(v[0]) for k, v in parts.items()},
        dropped,
    )
    return meta


# ----------------------------------------------------------------------------------------------------
# DECODE-style classification
# ----------------------------------------------------------------------------------------------------


def track_features(
    bigwigs: _BigWigs, keys: Sequence[str], chroms: np.ndarray, starts: np.ndarray, window: int, bin_size: int
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


def _tracks_meta(
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
) -> dict[str, Any]:
    """Build a DECODE-style enhancer classification dataset with binned chromatin-track features.

    Positives, as DECODE: STARR-seq peaks with -log10 q (narrowPeak column 9) above ``min_log10q`` from all
    ``starr_peaks`` files (replicates) are pooled and merged; merged regions of at least ``min_peak_bp`` that
    overlap an accessibility peak become windows centred on the region's midpoint. Negatives: the genome is
    tiled into ``window``-bp tiles; tiles overlapping the blacklist, any STARR peak (passing the cut or not)
    or a positive window are removed, and ``neg_ratio`` times the positives of each split are drawn at
    random from that split's chromosomes. Windows past a chromosome end, blacklisted or with more than
    ``max_n_fraction`` N are dropped, counted and logged.

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
    _check_window(window)
    if not isinstance(bin_size, (int, np.integer)) or bin_size < 1:
        raise InputError(f"config key bin_size: expected a positive integer, got {bin_size!r}")
    _check_window(window, bin_size)
    if normalization not in NORMALIZATIONS:
        raise InputError(
            f"config key normalization: expected one of {list(NORMALIZATIONS)}, got {normalization!r}"
        )
    if not tracks:
        raise InputError("config key tracks: expected at least one track name -> bigWig path")
    sizes, black = _sizes_and_blacklist(chrom_sizes, blacklist, aliases)
    split_map, held_out = _splits(sizes, splits, aliases)
    rng = np.random.default_rng(seed)
    track_names = list(tracks)

    starr = [read_narrowpeak(p, sizes, aliases=aliases)[0] for p in _as_list(starr_peaks)]
    access = [read_narrowpeak(p, sizes, aliases=aliases)[0] for p in _as_list(accessibility_peaks)]
    if not starr or not access:
        raise InputError("config keys starr_peaks and accessibility_peaks: expected at least one file each")
    all_starr = pd.concat(starr, ignore_index=True)
    passing = all_starr.loc[all_starr["log10q"] > min_log10q]
    dropped: dict[str, int] = {"starr_peaks_failing_q": int(len(all_starr) - len(passing))}
    merged = _interval_set([passing]).regions
    pos = pd.DataFrame(
        [(c, s, e) for c, (ss, ee) in merged.items() for s, e in zip(ss, ee, strict=True)],
        columns=["chrom", "start", "end"],
    )
    short = (pos["end"] - pos["start"]).to_numpy() < min_peak_bp
    dropped["starr_regions_short"] = int(short.sum())
    pos = pos.loc[~short].reset_index(drop=True)
    acc_set = _interval_set(access)
    in_acc = acc_set.overlaps_any(pos["chrom"], pos["start"], pos["end"])
    dropped["starr_regions_not_accessible"] = int((~in_acc).sum())
    pos = pos.loc[in_acc].reset_index(drop=True)

    chroms = pos["chrom"].to_numpy(dtype=object)
    starts, ends = _centred((pos["start"].to_numpy() + pos["end"].to_numpy()) // 2, window)
    size = np.array([sizes[c] for c in chroms], dtype=np.int64)
    keep = np.ones(len(pos), dtype=bool)
    keep = _drop(keep, (starts < 0) | (ends > size), "past_chrom_end", dropped, "positive")
    keep = _drop(keep, black.overlaps_any(chroms, starts, ends), "blacklist", dropped, "positive")
    X_all = _sequences(fasta, chroms[keep], starts[keep], window)
    n_ok = (X_all == N_CODE).mean(axis=1) <= max_n_fraction
    bad_n = np.zeros(len(pos), dtype=bool)
    bad_n[np.flatnonzero(keep)[~n_ok]] = True
    keep = _drop(keep, bad_n, "n_bases", dropped, "positive")
    X_pos, chroms, starts = X_all[n_ok], chroms[keep], starts[keep]
    if len(starts) == 0:
        raise InputError(
            f"no DECODE positive left (STARR peaks with -log10 q > {min_log10q}, >= {min_peak_bp} bp, "
            f"overlapping an accessibility peak, inside the genome); dropped {dropped}"
        )

    # --- negatives: per split, from that split's chromosomes ------------------------------------------
    pos_split = np.array([split_map[c] for c in chroms], dtype=object)
    pos_windows = pd.DataFrame({"chrom": chroms, "start": starts, "end": starts + window})
    exclude = [black, _interval_set([all_starr, pos_windows])]
    neg_c, neg_s, neg_X = [np.empty(0, dtype=object)], [np.empty(0, dtype=np.int64)], [X_pos[:0]]
    for name in SPLITS:
        n_neg = int(round(neg_ratio * int((pos_split == name).sum())))
        if n_neg == 0:
            continue
        tile_c, tile_s = _tiles(sizes, [c for c in sizes if split_map[c] == name], window, exclude)
        c, s, x = _sample_tiles(rng, fasta, tile_c, tile_s, n_neg, window, max_n_fraction)
        neg_c.append(c)
        neg_s.append(s)
        neg_X.append(x)
    neg_c, neg_s, neg_X = np.concatenate(neg_c), np.concatenate(neg_s), np.concatenate(neg_X)
    all_c = np.concatenate([chroms, neg_c])
    all_s = np.concatenate([starts, neg_s])
    X = np.concatenate([X_pos, neg_X])
    y = np.concatenate([np.ones(len(starts)), np.zeros(len(neg_s))]).astype(np.float32)[:, None]

    with _BigWigs({t: Path(tracks[t]) for t in track_names}, sizes, aliases) as bws:
        bws.require(all_c)
        F = track_features(bws, track_names, all_c, all_s, window, bin_size)

    split = np.array([split_map[c] for c in all_c], dtype=object)
    order = _order(all_c, all_s, sizes)
    F, stats = normalize_tracks(F, split == "train", track_names, normalization)

    parts, extra, rows, summary = {}, {}, [], []
    for name in SPLITS:
        idx = order[split[order] == name]
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
        "starr_peaks": [str(p) for p in _as_list(starr_peaks)],
        "accessibility_peaks": [str(p) for p in _as_list(accessibility_peaks)],
        "tracks": _tracks_meta(tracks, track_names, window, bin_size, normalization, stats),
        "dropped": dropped,
    }
    meta["seq_len"] = window
    meta["splits"] = {k: int(len(v[0])) for k, v in parts.items()}
    _write_outputs(out_dir, parts, meta, windows, summary_df, extra)
    log.info("%s: %d DECODE windows (%d positives), dropped %s", out_dir, len(windows), len(starts), dropped)
    return meta


# ----------------------------------------------------------------------------------------------------
# Sequence + signal tracks (multi-modal binding prediction)
# ----------------------------------------------------------------------------------------------------


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

    The seed's multi-modal network predicts binding from sequence and accessibility together: the track says
    whether something can bind, the sequence says what. Each window of ``peak_dataset`` keeps its sequence
    codes and labels (optionally only ``tasks``), and gains ``(K, window // bin_size)`` track values, the
    bigWig mean per bin (per base with ``bin_size`` 1), as ``log1p`` clipped at the train split's
    ``clip_quantile`` (spec section 8b), ``none`` or train-split ``zscore``.

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
    from .datasets import load_meta, load_split

    peak_dataset, out_dir = Path(peak_dataset), Path(out_dir)
    meta = load_meta(peak_dataset)
    if not tracks:
        raise InputError("config key tracks: expected at least one track name -> bigWig path")
    if normalization not in NORMALIZATIONS:
        raise InputError(f"config key normalization: expected one of {NORMALIZATIONS}, got {normalization!r}")
    window = int(meta["seq_len"])
    _check_window(window, bin_size)
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
    with _BigWigs({t: Path(tracks[t]) for t in track_names}, sizes, aliases) as bws:
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
        "tracks": _tracks_meta(tracks, track_names, window, bin_size, normalization, stats),
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
    with atomic_dir(out_dir) as tmp:
        save_dataset(tmp, parts, out_meta)
        for name, arr in extra.items():
            with open(tmp / name, "wb") as fh:
                np.save(fh, arr)
        with open(tmp / "windows.bed", "w") as fh:
            fh.write("#" + "\t".join(windows.columns) + "\n")
            windows.to_csv(fh, sep="\t", index=False, header=False)
        write_tsv(
            pd.DataFrame(summary, columns=["metric", "split", "name", "value"]),
            tmp / "summary.tsv",
            float_format="%.6g",
        )
    log.info("%s: %d windows x %d task(s) with tracks %s", out_dir, len(bed), len(tasks), track_names)
    return load_meta(out_dir)
