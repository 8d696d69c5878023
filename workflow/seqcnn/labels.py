"""Multi-task binary peak labels (Basset / DeepSEA style) with genomic or shuffled negatives.

:func:`build_peak_dataset` turns a sample sheet of peak files (one narrowPeak per experiment) and a reference
FASTA into the dataset the training engine reads (:mod:`seqcnn.datasets`). Summits of every experiment become
fixed-length windows centred on them; summits a few bp apart are merged into one window; windows that run past
a chromosome end, overlap the blacklist or hold too many Ns are dropped and counted
(:func:`seqcnn.windows.filter_windows`). Each window gets a 0/1 label per experiment from a configurable
overlap rule, computed per chromosome with ``numpy.searchsorted`` over merged peak intervals. Negatives
(all-zero rows) are GC-matched genomic windows outside every peak, the blacklist and N runs, random genomic
windows outside peaks, or dinucleotide shuffles of the positives (Altschul-Erickson Euler-path shuffle).
Splits hold out whole chromosomes. Besides the dataset it writes the windows as BED and a summary table a
person reads; every output is written atomically and an :class:`~seqcnn.errors.InputError` leaves nothing
behind.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .datasets import save_dataset
from .errors import InputError
from .genome import (
    Blacklist,
    load_genome_codes,
    merge_intervals,
    natural_key,
    read_blacklist,
    read_narrowpeak,
    resolve_splits,
)
from .io import atomic_dir, atomic_path
from .sequence import N_CODE
from .windows import DROP_REASONS, centred_starts, extract, filter_windows

log = logging.getLogger("seqcnn.labels")

FORMAT = "seqcnn.peak_labels/1"
SAMPLE_COLUMNS = ("experiment", "assay", "cell_type", "path")
NEGATIVE_STRATEGIES = ("gc_matched", "shuffled", "random", "none")


@dataclass(frozen=True)
class PeakDataset:
    """What :func:`build_peak_dataset` wrote and counted.

    Attributes
    ----------
    out_dir, windows_bed, summary_tsv
        The dataset directory, the windows BED and the summary table.
    classes
        Experiment names, the column order of ``y``.
    sizes
        Split -> number of windows (positives plus negatives).
    positives
        Split -> experiment -> windows labelled 1.
    n_positive_windows, n_negative_windows
        Split -> windows with at least one label, and negatives added.
    gc
        Split -> ``(mean GC of positives, mean GC of negatives)``; NaN where a side is empty.
    dropped
        Reason -> windows (or peaks, for ``peak_chrom_not_in_genome``) dropped.
    """

    out_dir: Path
    windows_bed: Path
    summary_tsv: Path
    classes: list[str]
    sizes: dict[str, int]
    positives: dict[str, dict[str, int]]
    n_positive_windows: dict[str, int]
    n_negative_windows: dict[str, int]
    gc: dict[str, tuple[float, float]]
    dropped: dict[str, int] = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------------


def read_sample_sheet(path: str | os.PathLike) -> pd.DataFrame:
    """Read and validate a peak sample sheet.

    Parameters
    ----------
    path
        Tab-separated file with the columns ``experiment``, ``assay``, ``cell_type`` and ``path`` (extra
        columns are kept). A relative ``path`` is looked up beside the sheet first, then in the working
        directory.

    Returns
    -------
    pandas.DataFrame
        The sheet with ``path`` resolved to an existing file and a ``line`` column (1-based line number).

    Raises
    ------
    InputError
        Missing sheet, a missing column, an empty cell, an experiment listed twice, or a peak file that does
        not exist (each naming the sheet, the line and the experiment).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: sample sheet not found")
    try:
        sheet = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment="#")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the sample sheet as tab-separated text: {exc}") from None
    sheet.columns = [str(c).strip() for c in sheet.columns]
    missing = [c for c in SAMPLE_COLUMNS if c not in sheet.columns]
    if missing:
        raise InputError(
            f"{path}: sample sheet lacks column(s) {', '.join(missing)}; expected a tab-separated "
            f"header with {', '.join(SAMPLE_COLUMNS)}; found {', '.join(map(str, sheet.columns))}"
        )
    if sheet.empty:
        raise InputError(f"{path}: sample sheet has no rows; expected one row per experiment")
    sheet = sheet.map(lambda v: v.strip() if isinstance(v, str) else v)
    # pandas skipped the header and any blank lines; recover the file's line numbers for messages.
    lines = [
        i
        for i, text in enumerate(path.read_text(errors="replace").splitlines(), start=1)
        if text.strip() and not text.lstrip().startswith("#")
    ][1:]
    sheet["line"] = lines[: len(sheet)] if len(lines) >= len(sheet) else range(2, len(sheet) + 2)
    first: dict[str, int] = {}
    resolved = []
    for row in sheet.itertuples(index=False):
        where = f"{path}:{row.line}"
        for column in ("experiment", "path"):
            if not getattr(row, column):
                raise InputError(f"{where}: column {column!r} is empty; expected a value")
        if row.experiment in first:
            raise InputError(
                f"{where}: experiment {row.experiment!r} is listed twice (first on line "
                f"{first[row.experiment]}); expected one row per experiment"
            )
        first[row.experiment] = row.line
        peak_path = Path(row.path)
        candidates = [peak_path] if peak_path.is_absolute() else [path.parent / peak_path, peak_path]
        found = next((p for p in candidates if p.is_file()), None)
        if found is None:
            raise InputError(
                f"{where}: experiment {row.experiment!r}: peak file {row.path!r} not found "
                f"(looked in {' and '.join(str(p) for p in candidates)})"
            )
        resolved.append(found)
    sheet["path"] = resolved
    return sheet


# ----------------------------------------------------------------------------------------------------
# Windows and labels
# ----------------------------------------------------------------------------------------------------


def select_experiments(
    sheet: pd.DataFrame, experiments: Sequence[str] | None, samples_tsv: str | os.PathLike
) -> pd.DataFrame:
    """The rows of ``sheet`` for ``experiments`` (all when None), in sheet order.

    Raises
    ------
    InputError
        Naming the sheet and the experiments it does not list.
    """
    if experiments is None:
        return sheet
    known = list(sheet["experiment"])
    missing = [e for e in experiments if e not in known]
    if missing or not experiments:
        raise InputError(
            f"{samples_tsv}: experiments {missing or '[]'} not in the sample sheet; expected some of: "
            f"{', '.join(known)}"
        )
    return sheet[sheet["experiment"].isin(set(experiments))].reset_index(drop=True)


def merge_summits(chroms: np.ndarray, summits: np.ndarray, merge_bp: int) -> tuple[np.ndarray, np.ndarray]:
    """Merge summits closer than ``merge_bp`` (single linkage) into one window centre each.

    Parameters
    ----------
    chroms, summits
        ``(n,)`` chromosome names and summit positions, any order.
    merge_bp
        Neighbouring summits (after sorting) at most this far apart join one cluster; 0 merges only
        identical summits.

    Returns
    -------
    tuple of numpy.ndarray
        ``(chroms, centres)`` of the clusters, sorted; a centre is the rounded mean of its summits.
    """
    chroms = np.asarray(chroms, dtype=object)
    summits = np.asarray(summits, dtype=np.int64)
    out_c, out_x = [], []
    for chrom in sorted(pd.unique(chroms), key=natural_key):
        x = np.sort(summits[chroms == chrom])
        new = np.ones(x.size, dtype=bool)
        new[1:] = np.diff(x) > merge_bp
        cluster = np.cumsum(new) - 1
        sums = np.bincount(cluster, weights=x)
        counts = np.bincount(cluster)
        out_x.append(np.floor(sums / counts + 0.5).astype(np.int64))
        out_c.append(np.full(counts.size, chrom, dtype=object))
    if not out_x:
        return np.array([], dtype=object), np.array([], dtype=np.int64)
    return np.concatenate(out_c), np.concatenate(out_x)


def _covered(starts: np.ndarray, ends: np.ndarray, prefix: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Bases of ``[0, x)`` covered by sorted, disjoint intervals (``prefix[i]``: length of the first i)."""
    k = np.searchsorted(starts, x, side="left")  # intervals starting before x
    j = np.maximum(k - 1, 0)
    partial = np.clip(np.minimum(x, ends[j]) - starts[j], 0, None)
    return np.where(k > 0, prefix[j] + partial, 0)


def label_windows(
    chroms: np.ndarray,
    centres: np.ndarray,
    peaks: Sequence[pd.DataFrame],
    *,
    center_bp: int = 200,
    overlap: float = 0.5,
) -> np.ndarray:
    """Binary labels windows x experiments from peak overlap with each window's central region.

    A window is positive for an experiment when that experiment's peaks (merged) cover at least
    ``ceil(overlap * center_bp)`` bases of the central region ``[centre - center_bp // 2, ... + center_bp)``,
    or contain the centre itself.

    Parameters
    ----------
    chroms, centres
        ``(N,)`` window chromosomes and centre positions.
    peaks
        One table per experiment with ``chrom``, ``start``, ``end`` (genome names).
    center_bp
        Length of the central region.
    overlap
        Fraction of the central region a peak must cover, in ``(0, 1]``.

    Returns
    -------
    numpy.ndarray
        ``(N, T)`` uint8.
    """
    chroms = np.asarray(chroms, dtype=object)
    centres = np.asarray(centres, dtype=np.int64)
    y = np.zeros((centres.size, len(peaks)), dtype=np.uint8)
    need = int(np.ceil(overlap * center_bp - 1e-9))
    lo_all = centres - center_bp // 2
    for chrom in pd.unique(chroms):
        rows = np.flatnonzero(chroms == chrom)
        lo, hi, mid = lo_all[rows], lo_all[rows] + center_bp, centres[rows]
        for t, table in enumerate(peaks):
            on = (table["chrom"] == chrom).to_numpy()
            if not on.any():
                continue
            s, e = merge_intervals(table["start"].to_numpy()[on], table["end"].to_numpy()[on])
            prefix = np.concatenate([[0], np.cumsum(e - s)])
            cov = _covered(s, e, prefix, hi) - _covered(s, e, prefix, lo)
            has_mid = _covered(s, e, prefix, mid + 1) - _covered(s, e, prefix, mid) > 0
            y[rows, t] = (cov >= need) | has_mid
    return y


def gc_fraction(X: np.ndarray) -> np.ndarray:
    """GC fraction of each row over its A/C/G/T bases (N excluded); NaN for an all-N row.

    Parameters
    ----------
    X
        ``(N, L)`` uint8 codes.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` float64.
    """
    X = np.asarray(X)
    gc = ((X == 1) | (X == 2)).sum(axis=1)
    acgt = (X < N_CODE).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(acgt > 0, gc / np.maximum(acgt, 1), np.nan)


# ----------------------------------------------------------------------------------------------------
# Negatives
# ----------------------------------------------------------------------------------------------------


def dinucleotide_shuffle(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shuffle a sequence preserving its dinucleotide counts exactly (Altschul-Erickson Euler path).

    The sequence is read as a path in the multigraph whose vertices are letters and whose edges are its
    dinucleotides. A random arborescence of "last exits" towards the final letter is drawn with Wilson's
    loop-erased random walk; the other exits of each letter are permuted at random; walking the edges from
    the first letter then gives a uniformly random sequence with the same first letter, last letter and
    dinucleotide counts (Kandel et al. 1996).

    Parameters
    ----------
    codes
        ``(L,)`` integer codes (any alphabet; N is a letter like the others).
    rng
        Random generator; the same state gives the same shuffle.

    Returns
    -------
    numpy.ndarray
        ``(L,)`` shuffled codes, same dtype.
    """
    codes = np.asarray(codes)
    if codes.size < 3:
        return codes.copy()
    seq = codes.astype(np.int64)
    first, last = int(seq[0]), int(seq[-1])
    letters = np.unique(seq)
    exits = {int(a): seq[1:][seq[:-1] == a] for a in letters}
    # Wilson's algorithm: a uniformly random spanning arborescence oriented towards `last`, each step
    # picking one of the vertex's exits (so multiplicities weigh the choice).
    in_tree = {last}
    chosen: dict[int, int] = {}  # vertex -> index (into its exits) of the last exit
    for start in (int(a) for a in letters):
        u = start
        while u not in in_tree:
            chosen[u] = int(rng.integers(exits[u].size))
            u = int(exits[u][chosen[u]])
        u = start
        while u not in in_tree:
            in_tree.add(u)
            u = int(exits[u][chosen[u]])
    order = {}
    for a, succ in exits.items():
        if succ.size == 0:
            order[a] = succ
            continue
        if a == last:
            order[a] = rng.permutation(succ)
            continue
        rest = np.delete(succ, chosen[a])
        order[a] = np.append(rng.permutation(rest), succ[chosen[a]])
    pointer = dict.fromkeys(order, 0)
    out = np.empty(seq.size, dtype=np.int64)
    out[0] = u = first
    for i in range(1, seq.size):
        nxt = order[u][pointer[u]]
        pointer[u] += 1
        out[i] = u = int(nxt)
    return out.astype(codes.dtype)


def _free_windows(
    codes: Mapping[str, np.ndarray],
    chroms: Sequence[str],
    window: int,
    exclude: Blacklist,
    max_n_fraction: float,
    rng: np.random.Generator,
    stride: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Genomic windows packed into the gaps between ``exclude`` regions, with their GC.

    Each gap holds windows ``stride`` bp apart (default: the window, so that none overlap) from a random
    offset inside the gap's slack, so that dense peak sets still leave candidates. Windows with more than
    ``max_n_fraction`` N are left out.
    """
    step = window if stride is None else int(stride)
    out_c, out_s, out_gc = [], [], []
    for chrom in chroms:
        seq = codes[chrom]
        occ_s, occ_e = exclude.regions.get(chrom, (np.array([], np.int64), np.array([], np.int64)))
        gap_s = np.concatenate([[0], occ_e])
        gap_e = np.concatenate([occ_s, [seq.size]])
        room = np.maximum(gap_e - gap_s - window, -1)
        n_fit = np.where(room >= 0, room // step + 1, 0)
        if n_fit.sum() == 0:
            continue
        slack = np.where(room >= 0, room - (n_fit - 1) * step, 0)
        offset = gap_s + (rng.random(gap_s.size) * (slack + 1)).astype(np.int64)
        first = np.repeat(offset, n_fit)
        k = np.arange(int(n_fit.sum())) - np.repeat(np.cumsum(n_fit) - n_fit, n_fit)
        starts = first + k * step
        X = seq[starts[:, None] + np.arange(window)]
        ok = (X == N_CODE).mean(axis=1) <= max_n_fraction
        out_c.append(np.full(int(ok.sum()), chrom, dtype=object))
        out_s.append(starts[ok])
        out_gc.append(gc_fraction(X[ok]))
    if not out_s:
        return np.array([], dtype=object), np.array([], dtype=np.int64), np.array([], dtype=float)
    return np.concatenate(out_c), np.concatenate(out_s), np.concatenate(out_gc)


def _allocate(weights: np.ndarray, total: int) -> np.ndarray:
    """Split ``total`` into integer counts proportional to ``weights`` (largest remainder)."""
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(weights.size, dtype=np.int64)
    exact = weights / weights.sum() * total
    counts = np.floor(exact).astype(np.int64)
    remainder = total - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:remainder]] += 1
    return counts


def sample_gc_matched(
    pos_gc: np.ndarray, cand_gc: np.ndarray, n: int, rng: np.random.Generator, bin_width: float = 0.02
) -> np.ndarray:
    """Pick ``n`` candidates without replacement whose GC histogram follows the positives'.

    Parameters
    ----------
    pos_gc
        ``(P,)`` GC fractions of the positives.
    cand_gc
        ``(C,)`` GC fractions of the candidate windows.
    n
        Negatives wanted.
    rng
        Random generator.
    bin_width
        Width of the GC bins (tangermeme's default 0.02).

    Returns
    -------
    numpy.ndarray
        Indices into ``cand_gc`` (fewer than ``n`` only when there are fewer candidates). A bin short of
        candidates borrows from the nearest bins.
    """
    n_bins = int(np.ceil(1.0 / bin_width)) + 1
    pos_bin = np.clip((np.nan_to_num(pos_gc) / bin_width).astype(np.int64), 0, n_bins - 1)
    cand_bin = np.clip((np.nan_to_num(cand_gc) / bin_width).astype(np.int64), 0, n_bins - 1)
    want = _allocate(np.bincount(pos_bin, minlength=n_bins).astype(float), min(n, cand_gc.size))
    pools = [rng.permutation(np.flatnonzero(cand_bin == b)) for b in range(n_bins)]
    used = np.zeros(n_bins, dtype=np.int64)
    picked = []
    short = 0
    for b in np.flatnonzero(want):
        take = min(int(want[b]), pools[b].size)
        picked.append(pools[b][:take])
        used[b] = take
        short += int(want[b]) - take
    if short:
        log.warning("GC matching: %d negatives taken from neighbouring GC bins (too few candidates)", short)
        centre = np.average(np.arange(n_bins), weights=np.maximum(want, 1e-12))
        for b in np.argsort(np.abs(np.arange(n_bins) - centre), kind="stable"):
            if short == 0:
                break
            take = min(short, pools[b].size - int(used[b]))
            picked.append(pools[b][used[b] : used[b] + take])
            used[b] += take
            short -= take
    return np.sort(np.concatenate(picked)) if picked else np.array([], dtype=np.int64)


# ----------------------------------------------------------------------------------------------------
# The build
# ----------------------------------------------------------------------------------------------------


def _check(condition: bool, key: str, expected: str, value: object) -> None:
    if not condition:
        raise InputError(f"config key {key}: expected {expected}, got {value!r}")


def build_peak_dataset(
    samples_tsv: str | os.PathLike,
    fasta: str | os.PathLike,
    out_dir: str | os.PathLike,
    summary_tsv: str | os.PathLike,
    windows_bed: str | os.PathLike,
    *,
    window: int = 600,
    center_bp: int = 200,
    overlap: float = 0.5,
    merge_bp: int = 20,
    max_n_fraction: float = 0.1,
    negatives: str = "gc_matched",
    neg_ratio: float = 1.0,
    test_neg_ratio: float | None = None,
    negative_stride: int | None = None,
    gc_bin: float = 0.02,
    splits: Mapping[str, Iterable[str]] | None = None,
    blacklist: str | os.PathLike | None = None,
    aliases: Mapping[str, str] | None = None,
    seed: int = 0,
    experiments: Sequence[str] | None = None,
) -> PeakDataset:
    """Build a multi-task binary peak dataset, its windows BED and a summary table.

    Parameters
    ----------
    samples_tsv
        Sample sheet (see :func:`read_sample_sheet`); each experiment becomes one task, in sheet order.
    fasta
        Reference FASTA (indexed with pyfaidx; a missing ``.fai`` is created).
    out_dir
        Dataset directory (:func:`seqcnn.datasets.save_dataset` format); replaced as a whole.
    summary_tsv
        Summary table: columns ``metric``, ``split``, ``name``, ``value`` (windows per split, positives per
        task and split, mean GC of positives and negatives, dropped windows by reason).
    windows_bed
        Windows in dataset order (splits train, valid, test, ...; positives then negatives): chrom, start,
        end, name, split, label string (one 0/1 character per task, in ``classes`` order).
    window
        Window length L in bp (Basset: 600).
    center_bp, overlap
        Labelling rule (see :func:`label_windows`).
    merge_bp
        Summits (of any experiment) at most this far apart share one window (see :func:`merge_summits`).
    max_n_fraction
        Windows with a larger fraction of N are dropped (peaks) or never drawn (negatives).
    negatives
        ``"gc_matched"``: genomic windows outside every peak, positive window, blacklisted region and N run,
        matching the positives' GC histogram per split; ``"random"``: such windows drawn uniformly;
        ``"shuffled"``: dinucleotide shuffles of the split's positives; ``"none"``: no explicit negatives.
    neg_ratio
        Negatives per positive window, per split.
    test_neg_ratio
        Negatives per positive window in the test split (None: ``neg_ratio``), e.g. genomic background at
        a realistic 50 or 100 to 1 for scoring, where training keeps a balanced set.
    negative_stride
        Spacing of candidate genomic negatives in bp (None: the window, so that no two overlap); a shorter
        stride lets them overlap, for a ratio the held-out chromosomes cannot hold otherwise.
    gc_bin
        GC bin width for ``gc_matched``.
    splits
        Held-out chromosomes, e.g. ``{"valid": ["chr2"], "test": ["chr3"]}``; ``train`` is the rest.
    blacklist
        Optional blacklist BED.
    aliases
        Chromosome alias table (file name -> genome name, used in both directions).
    seed
        Seed of every random choice; the same inputs and seed give identical outputs.
    experiments
        Experiments of the sheet to keep, in sheet order (default: all), e.g. one TF for DeepBind.

    Returns
    -------
    PeakDataset
        Paths and counts.

    Raises
    ------
    InputError
        Bad settings, a bad sample sheet or peak file (naming file, line and field), chromosome names that
        match nowhere, an unknown split chromosome, or no window left. Nothing is written then.
    """
    fasta, out_dir = Path(fasta), Path(out_dir)
    summary_tsv, windows_bed = Path(summary_tsv), Path(windows_bed)
    _check(isinstance(window, (int, np.integer)) and window > 0, "window", "a positive integer", window)
    _check(
        isinstance(center_bp, (int, np.integer)) and 0 < center_bp <= window,
        "center_bp",
        f"an integer in [1, window={window}]",
        center_bp,
    )
    _check(isinstance(overlap, (int, float)) and 0 < overlap <= 1, "overlap", "a fraction in (0, 1]", overlap)
    _check(isinstance(merge_bp, (int, np.integer)) and merge_bp >= 0, "merge_bp", "an integer >= 0", merge_bp)
    _check(0 <= max_n_fraction <= 1, "max_n_fraction", "a fraction in [0, 1]", max_n_fraction)
    _check(
        negatives in NEGATIVE_STRATEGIES, "negatives", f"one of {', '.join(NEGATIVE_STRATEGIES)}", negatives
    )
    _check(isinstance(neg_ratio, (int, float)) and neg_ratio >= 0, "neg_ratio", "a number >= 0", neg_ratio)
    _check(
        test_neg_ratio is None or (isinstance(test_neg_ratio, (int, float)) and test_neg_ratio >= 0),
        "test_neg_ratio",
        "a number >= 0 or null",
        test_neg_ratio,
    )
    _check(
        negative_stride is None or (isinstance(negative_stride, (int, np.integer)) and negative_stride >= 1),
        "negative_stride",
        "an integer >= 1 or null",
        negative_stride,
    )
    _check(0 < gc_bin <= 1, "gc_bin", "a fraction in (0, 1]", gc_bin)

    sheet = select_experiments(read_sample_sheet(samples_tsv), experiments, samples_tsv)
    codes = load_genome_codes(fasta)
    sizes = {name: int(seq.size) for name, seq in codes.items()}
    split_of = resolve_splits(sizes, splits, aliases=aliases)
    black = read_blacklist(blacklist, sizes, aliases=aliases) if blacklist is not None else Blacklist({})
    classes = list(sheet["experiment"])
    dropped = {"peak_chrom_not_in_genome": 0, **dict.fromkeys(DROP_REASONS, 0)}

    peaks = []
    for row in sheet.itertuples(index=False):
        table, n_missing = read_narrowpeak(
            row.path, sizes, aliases=aliases, context=f"experiment {row.experiment!r}"
        )
        if n_missing:
            log.warning("%s: %d peaks on chromosomes absent from the genome dropped", row.path, n_missing)
        dropped["peak_chrom_not_in_genome"] += n_missing
        log.info("%s: %d peaks (%s)", row.experiment, len(table), row.path)
        peaks.append(table)

    # Windows centred on (merged) summits, then the shared filters (one reason per dropped window).
    all_peaks = pd.concat(peaks, ignore_index=True)
    chroms, centres = merge_summits(all_peaks["chrom"].to_numpy(), all_peaks["summit"].to_numpy(), merge_bp)
    starts = centred_starts(centres, window)
    kept = filter_windows(
        chroms, starts, window, sizes, codes, blacklist=black, max_n_fraction=max_n_fraction, what="summit"
    )
    dropped.update(kept.dropped)
    chroms, centres, starts, X_pos = chroms[kept.keep], centres[kept.keep], starts[kept.keep], kept.X
    if chroms.size == 0:
        raise InputError(
            f"{samples_tsv}: no window left after dropping {dropped}; check the window length, blacklist "
            "and genome"
        )
    y_pos = label_windows(chroms, centres, peaks, center_bp=center_bp, overlap=overlap)
    unlabelled = int((y_pos.sum(axis=1) == 0).sum())
    if unlabelled:
        log.info(
            "%d summit windows carry no label under the overlap rule (kept as all-zero rows)", unlabelled
        )
    gc_pos = gc_fraction(X_pos)
    pos_split = np.array([split_of[c] for c in chroms], dtype=object)

    # Genomic negatives avoid every peak of every experiment (so their labels are truly all zero under any
    # overlap rule) and the blacklist; they may share flanks with a positive window on the same chromosome.
    occupied = {}
    if negatives in ("gc_matched", "random"):
        occ_c = all_peaks["chrom"].to_numpy(dtype=object)
        occ_s = all_peaks["start"].to_numpy()
        occ_e = all_peaks["end"].to_numpy()
        for chrom in pd.unique(occ_c):
            on = occ_c == chrom
            occupied[chrom] = merge_intervals(occ_s[on], occ_e[on])
        for chrom, (s, e) in black.regions.items():
            s0, e0 = occupied.get(chrom, (np.array([], np.int64), np.array([], np.int64)))
            occupied[chrom] = merge_intervals(np.concatenate([s0, s]), np.concatenate([e0, e]))
    exclude = Blacklist(occupied)

    split_names = ["train"] + sorted({s for s in split_of.values() if s != "train"}, key=_split_order)
    seeds = np.random.SeedSequence(seed).spawn(len(split_names))
    parts: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    bed_rows: list[pd.DataFrame] = []
    report: dict[str, dict] = {}
    for split, seq_seed in zip(split_names, seeds, strict=True):
        rng = np.random.default_rng(seq_seed)
        rows = np.flatnonzero(pos_split == split)
        ratio = test_neg_ratio if split == "test" and test_neg_ratio is not None else neg_ratio
        n_neg = int(round(ratio * rows.size)) if negatives != "none" else 0
        neg_c = np.array([], dtype=object)
        neg_s = np.array([], dtype=np.int64)
        names: list[str] = []
        X_neg = np.empty((0, window), dtype=np.uint8)
        if n_neg and negatives in ("gc_matched", "random"):
            split_chroms = [c for c, s in split_of.items() if s == split]
            cand_c, cand_s, cand_gc = _free_windows(
                codes, split_chroms, window, exclude, max_n_fraction, rng, stride=negative_stride
            )
            if negatives == "gc_matched":
                pick = sample_gc_matched(gc_pos[rows], cand_gc, n_neg, rng, bin_width=gc_bin)
            else:
                pick = np.sort(rng.choice(cand_s.size, size=min(n_neg, cand_s.size), replace=False))
            if pick.size < n_neg:
                log.warning("split %s: only %d of %d negatives available", split, pick.size, n_neg)
            neg_c, neg_s = cand_c[pick], cand_s[pick]
            X_neg = extract(codes, neg_c, neg_s, window)
            names = [f"{negatives}_{split}_{i}" for i in range(pick.size)]
        elif n_neg and negatives == "shuffled":
            source = rows[np.resize(rng.permutation(rows.size), n_neg)]
            X_neg = np.stack([dinucleotide_shuffle(X_pos[i], rng) for i in source])
            neg_c, neg_s = chroms[source], starts[source]
            names = [f"shuffled_{split}_{i}_of_w{j}" for i, j in enumerate(source)]
        X = np.concatenate([X_pos[rows], X_neg])
        y = np.concatenate([y_pos[rows], np.zeros((X_neg.shape[0], len(classes)), dtype=np.uint8)])
        parts[split] = (X, y)
        labels = ["".join(map(str, r)) for r in y]
        bed_rows.append(
            pd.DataFrame(
                {
                    "chrom": np.concatenate([chroms[rows], neg_c]),
                    "start": np.concatenate([starts[rows], neg_s]),
                    "end": np.concatenate([starts[rows], neg_s]) + window,
                    "name": [f"w{j}" for j in rows] + names,
                    "split": split,
                    "label": labels,
                }
            )
        )
        report[split] = {
            "windows": int(len(X)),
            "positives": {c: int(v) for c, v in zip(classes, y_pos[rows].sum(axis=0), strict=True)},
            "n_pos": int(rows.size),
            "n_neg": int(X_neg.shape[0]),
            "n_neg_wanted": n_neg,
            "gc": (_mean(gc_pos[rows]), _mean(gc_fraction(X_neg))),
        }
        log.info(
            "split %s: %d positive windows, %d %s negatives, GC %.3f vs %.3f",
            split,
            rows.size,
            X_neg.shape[0],
            negatives,
            *report[split]["gc"],
        )
    # Hold-out by chromosome must never leak a chromosome into two splits.
    seen: dict[str, str] = {}
    for frame in bed_rows:
        for chrom in pd.unique(frame["chrom"]):
            assert seen.setdefault(chrom, frame["split"].iat[0]) == frame["split"].iat[0], chrom

    summary = _summary(report, dropped, classes)
    meta = {
        "format": FORMAT,
        "classes": classes,
        "task": "binary",
        "window": int(window),
        "center_bp": int(center_bp),
        "overlap": float(overlap),
        "merge_bp": int(merge_bp),
        "max_n_fraction": float(max_n_fraction),
        "strategy": negatives,
        "neg_ratio": float(neg_ratio),
        "test_neg_ratio": None if test_neg_ratio is None else float(test_neg_ratio),
        "negative_stride": negative_stride,
        "seed": int(seed),
        "split_chroms": {
            s: sorted((c for c, v in split_of.items() if v == s), key=natural_key) for s in parts
        },
        "dropped": dropped,
        "samples": str(samples_tsv),
        "fasta": str(fasta),
        "blacklist": str(blacklist) if blacklist is not None else None,
    }
    _write_outputs(
        out_dir, parts, meta, pd.concat(bed_rows, ignore_index=True), windows_bed, summary, summary_tsv
    )
    return PeakDataset(
        out_dir=out_dir,
        windows_bed=windows_bed,
        summary_tsv=summary_tsv,
        classes=classes,
        sizes={s: r["windows"] for s, r in report.items()},
        positives={s: r["positives"] for s, r in report.items()},
        n_positive_windows={s: r["n_pos"] for s, r in report.items()},
        n_negative_windows={s: r["n_neg"] for s, r in report.items()},
        gc={s: r["gc"] for s, r in report.items()},
        dropped=dropped,
    )


def _split_order(name: str) -> tuple[int, str]:
    return ({"valid": 0, "test": 1}.get(name, 2), name)


def _mean(values: np.ndarray) -> float:
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float("nan")


def _summary(report: Mapping[str, dict], dropped: Mapping[str, int], classes: Sequence[str]) -> pd.DataFrame:
    rows = []
    for split, r in report.items():
        rows.append(("windows", split, "all", r["windows"]))
        rows.append(("positive_windows", split, "any", r["n_pos"]))
        rows.append(("negative_windows", split, "all", r["n_neg"]))
        rows.append(("negative_windows", split, "requested", r["n_neg_wanted"]))
        rows.extend(("positives", split, c, r["positives"][c]) for c in classes)
        rows.append(("mean_gc", split, "positives", round(r["gc"][0], 4)))
        rows.append(("mean_gc", split, "negatives", round(r["gc"][1], 4)))
    total = sum(r["windows"] for r in report.values())
    rows.append(("windows", "all", "all", total))
    rows.extend(("dropped", "all", reason, count) for reason, count in dropped.items())
    # object dtype keeps counts as integers next to the GC fractions in the written table
    return pd.DataFrame(rows, columns=["metric", "split", "name", "value"], dtype=object)


def _write_outputs(
    out_dir: Path,
    parts: Mapping[str, tuple[np.ndarray, np.ndarray]],
    meta: dict,
    bed: pd.DataFrame,
    windows_bed: Path,
    summary: pd.DataFrame,
    summary_tsv: Path,
) -> None:
    """Write the dataset, the windows BED and the summary, each in a temporary sibling moved into place."""
    with contextlib.ExitStack() as stack:
        # Unwound in reverse: the dataset directory is moved into place first, then the BED, then the summary.
        tmp_summary = stack.enter_context(atomic_path(summary_tsv))
        tmp_bed = stack.enter_context(atomic_path(windows_bed))
        tmp_dir = stack.enter_context(atomic_dir(out_dir))
        with open(tmp_bed, "w") as handle:
            handle.write("#chrom\tstart\tend\tname\tsplit\tlabel\n")
            bed.to_csv(handle, sep="\t", index=False, header=False)
        summary.to_csv(tmp_summary, sep="\t", index=False)
        save_dataset(tmp_dir, dict(parts), meta)
    log.info("wrote %s, %s and %s", out_dir, windows_bed, summary_tsv)
