"""DeepSTARR-style STARR-seq datasets: windows labelled with a log2 enhancer activity per task.

:func:`build_starr_regression_dataset` cuts fixed windows (249 bp, as DeepSTARR) centred on STARR-seq peak
summits and on any extra regions given (e.g. candidate elements), adds random genomic background windows so
the target spans inactive sequence too, and labels each window per task with ``log2((RNA + pseudocount) /
(input + pseudocount))`` from the task's RNA and input bigWigs. It splits by held-out chromosomes and writes
the dataset format of :mod:`seqcnn.datasets` plus a windows BED and a summary table. Every check that a
user's files can fail (a bigWig lacking a chromosome, an unknown split chromosome, a malformed peak line)
runs before anything is written, and the output directory appears whole or not at all.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .datasets import SPLITS, write_dataset
from .errors import InputError
from .genome import read_narrowpeak
from .tracks import BigWigs, window_signal
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

log = logging.getLogger("seqcnn.starr")

PathLike = str | os.PathLike


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
                "peaks": as_paths(task.get("peaks")),
            }
        )
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
    and logged (:func:`seqcnn.windows.filter_windows`; ``meta["dropped"]`` adds ``merged_centres``).

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
    check_window(window)
    if stat not in ("mean", "sum"):
        raise InputError(f"config key stat: expected 'mean' or 'sum', got {stat!r}")
    if not pseudocount > 0:
        raise InputError(f"config key pseudocount: expected a positive number, got {pseudocount!r}")
    task_list = _parse_tasks(tasks)
    sizes, black = read_sizes_and_blacklist(chrom_sizes, blacklist, aliases)
    split_map, held_out = chrom_splits(sizes, splits, aliases)
    merge_distance = window // 2 if merge_distance is None else int(merge_distance)
    rng = np.random.default_rng(seed)

    # --- candidate centres ----------------------------------------------------------------------------
    peaks = [read_narrowpeak(p, sizes, aliases=aliases)[0] for t in task_list for p in t["peaks"]]
    cands = [pd.DataFrame({"chrom": p["chrom"], "centre": p["summit"], "source": "peak"}) for p in peaks]
    for path in as_paths(regions):
        reg = read_narrowpeak(path, sizes, aliases=aliases)[0]
        cands.append(pd.DataFrame({"chrom": reg["chrom"], "centre": reg["summit"], "source": "region"}))
    if not cands:
        raise InputError("config keys tasks[*].peaks and regions: no peak or region file given; expected one")
    cand = pd.concat(cands, ignore_index=True)
    cand = cand.iloc[genome_order(cand["chrom"].to_numpy(), cand["centre"].to_numpy(), sizes)]
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
    starts = centred_starts(cand["centre"].to_numpy(), window)
    kept = filter_windows(
        chroms, starts, window, sizes, fasta, blacklist=black, max_n_fraction=max_n_fraction, what="STARR"
    )
    dropped.update(kept.dropped)
    X, keep = kept.X, kept.keep
    chroms, starts, source = chroms[keep], starts[keep], cand["source"].to_numpy(dtype=object)[keep]

    # --- background -----------------------------------------------------------------------------------
    # Drawn per split, in proportion to its peak/region windows, so every split's target has a range.
    kept = pd.DataFrame({"chrom": chroms, "start": starts, "end": starts + window})
    exclude = [black, interval_set([kept, *peaks])]
    kept_split = np.array([split_map[c] for c in chroms], dtype=object)
    for name in SPLITS:
        n_bg = int(round(background_ratio * int((kept_split == name).sum())))
        if n_bg == 0:
            continue
        tile_c, tile_s = tile_windows(sizes, [c for c in sizes if split_map[c] == name], window, exclude)
        bg_c, bg_s, bg_X = sample_windows(rng, fasta, tile_c, tile_s, n_bg, window, max_n_fraction)
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
    with BigWigs(bw_paths, sizes, aliases) as bws:
        bws.require(chroms)
        for key in bw_paths:
            signal[key] = window_signal(bws, key, chroms, starts, window, stat)
    y = np.stack(
        [np.log2((signal[f"{n}:rna"] + pseudocount) / (signal[f"{n}:input"] + pseudocount)) for n in names],
        axis=1,
    ).astype(np.float32)

    # --- splits and outputs ---------------------------------------------------------------------------
    split = np.array([split_map[c] for c in chroms], dtype=object)
    order = genome_order(chroms, starts, sizes)
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
    write_dataset(out_dir, parts, meta, windows, summary_df)
    log.info(
        "%s: %d STARR windows (%s), dropped %s",
        out_dir,
        len(windows),
        {k: len(v[0]) for k, v in parts.items()},
        dropped,
    )
    return meta
