"""A small deterministic genome with known truth: the CI default for the genome, label and model stages.

:func:`build_toy_genome` writes what a real project would download, about 2.7 Mb in all, in a few seconds:
a soft-masked FASTA (Markov background with isochore-like GC variation, repeat copies, N runs, a contig that
no peak file mentions) with its ``.fai`` and chrom sizes; narrowPeak files for several TF ChIP-seq
experiments whose peaks carry JASPAR motif instances sampled from the PWM and planted at the summit (some
peaks shared between experiments, some weak peaks without a motif, a few within one window of a chromosome
end); accessibility (ATAC-like) and histone-mark bigWigs for two cell types, with their peak calls; a
cell-type-specific experiment whose binding follows accessibility, not sequence; STARR-seq input and RNA
bigWigs and peaks for two tasks whose activity follows a planted motif-pair cooperativity rule; a blacklist
over some planted elements and signal artefacts; and a sample sheet. Everything planted is written beside it
(``truth.json`` and ``truth/*.tsv``), so that later tests can check what labels, models and interpretation
recover. The same seed and settings give byte-identical files.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError
from .genome import chrom_sizes_path
from .io import atomic_path, write_json, write_tsv
from .jaspar import fetch_motifs, select_motifs

log = logging.getLogger("seqcnn.toy")

FORMAT = "seqcnn.toy/1"

#: Lengths of the made-up repeat families copied (with mutations) into soft-masked stretches.
REPEAT_FAMILY_BP = (310, 150, 1000)
#: Units of the microsatellites that fill some soft-masked stretches.
MICROSATELLITES = ("CA", "A", "TG", "GAA", "T", "AAAT")
#: narrowPeak columns after chrom, start, end (for :func:`seqcnn.genome.read_bed`).
NARROWPEAK_COLUMNS = ("name", "score", "strand", "signalValue", "pValue", "qValue", "peak")
#: The STARR-seq element classes, in the order :attr:`ToySettings.starr_mix` lists weights for them.
STARR_CLASSES = ("empty", "single", "pair_close", "pair_far", "pair_homotypic", "pair_cross_task")

_BASES = np.frombuffer(b"ACGTN", dtype=np.uint8)
_LOWER = np.frombuffer(b"acgtn", dtype=np.uint8)
_N = 4
_CHUNK_BP = 2000  # background is generated as independent Markov chunks (vectorised across chunks)


@dataclass(frozen=True)
class ToySettings:
    """Every number that shapes the toy genome. Defaults give about 2.7 Mb built in a few seconds.

    Attributes
    ----------
    chrom_sizes
        ``(name, length)`` of the chromosomes that carry elements and peaks.
    contig, contig_size
        An extra small contig with background sequence and signal only: no peak file mentions it.
    gc, gc_spread
        Mean GC fraction of the background and the standard deviation of its regional (isochore-like)
        variation between 2-kb chunks.
    cpg_ratio
        Observed/expected CpG in the background (CpG depletion, as in vertebrate genomes).
    masked_fraction, repeat_divergence
        Fraction of each sequence soft-masked (lowercase): mutated repeat-family copies, microsatellites
        and low-complexity stretches; substitution rate of repeat copies.
    n_runs_per_chrom, n_run_bp
        Internal N runs per sequence and their length range.
    line_width
        FASTA bases per line.
    slot_bp, slot_jitter
        Elements sit one per ``slot_bp`` slot, jittered by up to ``slot_jitter``: neighbouring element centres
        are at least ``slot_bp - 2 * slot_jitter`` apart.
    end_offset_bp
        Range of distances from a chromosome end of the element centres placed near both ends of every
        chromosome (peaks whose windows run past the end).
    jaspar_release
        pyjaspar release the motifs come from.
    chip_tfs
        ``(name, JASPAR ID, cell type)`` of the TF ChIP-seq experiments with planted motifs.
    constitutive_tfs
        TFs whose sites are accessible in every cell type and carry no histone marks (CTCF-like).
    ct_tf
        ``(name, JASPAR ID, cell type)`` of the cell-type-specific experiment: its motif is planted in bound
        and unbound elements alike; only those accessible in that cell type are bound.
    starr_motifs
        ``(task, name, JASPAR ID)``: exactly two motifs per STARR-seq task; their pair is the cooperative one.
    cell_types
        Cell types with accessibility and histone tracks.
    histone_marks
        Histone marks with a track and peaks per cell type.
    min_motif_score
        Planted instances are resampled from the PWM until their relative log-odds score
        ``(s - min) / (max - min)`` reaches this.
    chip_peaks
        Peaks with a planted motif per ChIP experiment (shared ones included).
    shared_fraction
        Fraction of a ChIP experiment's motif peaks shared with another experiment (element holds both
        motifs), split evenly over the other experiments.
    extra_site_prob
        Probability that a ChIP or cell-type-specific element holds a second, homotypic instance.
    noise_peaks
        Weak peaks without a motif per ChIP experiment.
    chip_signal
        Typical signalValue of a motif peak (noise peaks get a quarter).
    ct_bound, ct_unbound
        Cell-type-specific elements that are bound (accessible in the TF's cell type) and unbound.
    ct_unbound_open_elsewhere
        Fraction of unbound elements that are accessible in another cell type instead of none.
    ct_also_in
        Further cell types where the cell-type-specific TF is profiled too (experiment ``<TF>_<cell>``):
        bound, with a peak, exactly where its motif element is accessible in that cell type, so that a
        model trained in one cell type can be scored in another. Their peaks are drawn from a stream of
        their own: adding them leaves the sequence, the tracks and every other peak file unchanged (the
        sample sheet gains their rows, truth.json their counts).
    starr_cell_type
        Cell type of the STARR-seq screens.
    starr_elements
        STARR-seq elements.
    starr_mix
        Weights of the element classes :data:`STARR_CLASSES`.
    starr_element_bp
        Length of a STARR-seq element (its peak and active span; DeepSTARR's 249 bp).
    pair_gap
        Gap (bp between the end of the upstream motif and the start of the downstream one) at which a task's
        heterotypic motif pair is cooperative.
    outside_gaps
        Gap ranges of non-cooperative heterotypic pairs (``pair_far``); a range is picked with equal odds.
    single_effect
        log2 activity added per motif of a task.
    pair_boost
        log2 activity added once when a task's two motifs sit at a cooperative gap.
    activity_noise
        Standard deviation of element-level noise added to the planted log2 activity.
    starr_accessible_fraction
        Fraction of STARR elements accessible (and marked) in the STARR cell type.
    starr_input_depth
        Mean STARR input coverage.
    starr_bin_noise
        Log-normal sd of per-bin noise of STARR input and RNA.
    starr_peak_min_log2
        Elements whose observed log2 activity reaches this get a STARR peak (passing the q cut or not).
    q_slope, q_offset, q_noise
        ``-log10 q = q_slope * observed + q_offset + N(0, q_noise)`` for STARR peaks.
    open_decoys
        Accessible elements with no motif, no peak in any ChIP or STARR experiment, and no marks.
    artefacts
        High-signal artefact regions (peaks in every experiment), each covered by the blacklist.
    blacklisted_elements
        Planted elements covered by the blacklist (picked among ChIP, bound and STARR elements).
    track_bin
        Resolution of every bigWig (bp per value).
    background_signal
        Mean of the exponential background of accessibility and histone tracks.
    atac_height, atac_sd_bp
        Typical height and Gaussian sd of an accessibility bump.
    histone_height, histone_offset_bp, histone_sd_bp
        Typical height of a histone-mark flank, its distance from the element centre and its sd.
    height_spread
        Log-normal sd of element-to-element variation of heights and signals.
    atac_peak_min, histone_peak_min
        Bump heights from which an accessibility or histone peak is called.
    artefact_bp, artefact_signal
        Length and signal of an artefact region.
    """

    chrom_sizes: tuple[tuple[str, int], ...] = (("chr1", 1_100_000), ("chr2", 850_000), ("chr3", 700_000))
    contig: str = "chrUn_toy"
    contig_size: int = 50_000
    gc: float = 0.43
    gc_spread: float = 0.03
    cpg_ratio: float = 0.25
    masked_fraction: float = 0.15
    repeat_divergence: float = 0.12
    n_runs_per_chrom: int = 3
    n_run_bp: tuple[int, int] = (500, 5000)
    line_width: int = 60
    slot_bp: int = 1100
    slot_jitter: int = 100
    end_offset_bp: tuple[int, int] = (120, 280)
    jaspar_release: str = "JASPAR2016"
    chip_tfs: tuple[tuple[str, str, str], ...] = (
        ("CTCF", "MA0139.1", "cellA"),
        ("GATA1", "MA0035.3", "cellA"),
        ("SPI1", "MA0080.4", "cellB"),
    )
    constitutive_tfs: tuple[str, ...] = ("CTCF",)
    ct_tf: tuple[str, str, str] = ("FOXA1", "MA0148.3", "cellA")
    starr_motifs: tuple[tuple[str, str, str], ...] = (
        ("dev", "AP1", "MA0476.1"),
        ("dev", "CEBPA", "MA0102.3"),
        ("hk", "ETS", "MA0028.2"),
        ("hk", "NRF1", "MA0506.1"),
    )
    cell_types: tuple[str, ...] = ("cellA", "cellB")
    histone_marks: tuple[str, ...] = ("H3K27ac", "H3K4me1")
    min_motif_score: float = 0.8
    chip_peaks: int = 300
    shared_fraction: float = 0.15
    extra_site_prob: float = 0.4
    noise_peaks: int = 40
    chip_signal: float = 12.0
    ct_bound: int = 200
    ct_unbound: int = 200
    ct_unbound_open_elsewhere: float = 0.5
    ct_also_in: tuple[str, ...] = ("cellB",)
    starr_cell_type: str = "cellA"
    starr_elements: int = 700
    starr_mix: tuple[float, ...] = (0.10, 0.25, 0.25, 0.20, 0.10, 0.10)
    starr_element_bp: int = 249
    pair_gap: tuple[int, int] = (10, 30)
    outside_gaps: tuple[tuple[int, int], ...] = ((0, 6), (40, 100))
    single_effect: float = 0.4
    pair_boost: float = 2.0
    activity_noise: float = 0.2
    starr_accessible_fraction: float = 0.65
    starr_input_depth: float = 20.0
    starr_bin_noise: float = 0.25
    starr_peak_min_log2: float = 0.3
    q_slope: float = 2.0
    q_offset: float = -0.5
    q_noise: float = 0.3
    open_decoys: int = 80
    artefacts: int = 2
    blacklisted_elements: int = 5
    track_bin: int = 10
    background_signal: float = 0.3
    atac_height: float = 12.0
    atac_sd_bp: float = 60.0
    histone_height: float = 8.0
    histone_offset_bp: int = 150
    histone_sd_bp: float = 100.0
    height_spread: float = 0.3
    atac_peak_min: float = 4.0
    histone_peak_min: float = 1.5
    artefact_bp: int = 800
    artefact_signal: float = 60.0

    def __post_init__(self) -> None:
        # Config files give lists (and may give a mapping for chrom_sizes); store tuples so that the
        # settings stay hashable and their JSON form does not depend on how they were passed.
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "chrom_sizes" and isinstance(value, Mapping):
                value = tuple(value.items())
            object.__setattr__(self, f.name, _as_tuple(value))
        _validate(self)


@dataclass(frozen=True)
class ToyGenome:
    """Paths written by :func:`build_toy_genome`.

    Attributes
    ----------
    out_dir
        The output directory.
    fasta, fai, chrom_sizes
        ``genome.fa``, its ``.fai`` and ``genome.chrom.sizes``.
    blacklist
        ``blacklist.bed`` (BED4: chrom, start, end, reason).
    samples
        ``samples.tsv``: experiment, assay, cell_type, path (one narrowPeak per experiment).
    tracks
        ``tracks.tsv``: track, assay, cell_type, target, kind, path (one bigWig per track).
    truth
        ``truth.json``: seed, settings, rule parameters, motifs, experiments, blacklist and counts.
    elements, instances, pairs
        ``truth/elements.tsv``, ``truth/instances.tsv``, ``truth/pairs.tsv``.
    peaks
        Experiment -> narrowPeak path.
    bigwigs
        Track -> bigWig path.
    sizes
        Chromosome -> length, in FASTA order.
    """

    out_dir: Path
    fasta: Path
    fai: Path
    chrom_sizes: Path
    blacklist: Path
    samples: Path
    tracks: Path
    truth: Path
    elements: Path
    instances: Path
    pairs: Path
    peaks: dict[str, Path]
    bigwigs: dict[str, Path]
    sizes: dict[str, int]

    def files(self) -> list[Path]:
        """Every file written, in a fixed order."""
        fixed = [self.fasta, self.fai, self.chrom_sizes, self.blacklist, self.samples, self.tracks]
        tables = [self.elements, self.instances, self.pairs, self.truth]
        return fixed + list(self.peaks.values()) + list(self.bigwigs.values()) + tables


# ----------------------------------------------------------------------------------------------------
# Settings
# ----------------------------------------------------------------------------------------------------


def _as_tuple(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_as_tuple(v) for v in value)
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _bad(key: str, expected: str, value: object) -> InputError:
    return InputError(f"config key {key}: expected {expected}, got {value!r}")


def _validate(s: ToySettings) -> None:
    """Check types and ranges; raise :class:`InputError` naming the key."""
    counts = (
        "contig_size", "n_runs_per_chrom", "line_width", "chip_peaks", "noise_peaks", "ct_bound",
        "ct_unbound", "starr_elements", "open_decoys", "artefacts", "blacklisted_elements",
        "slot_jitter", "histone_offset_bp",
    )  # fmt: skip
    for key in counts:
        if not _is_int(getattr(s, key)) or getattr(s, key) < 0:
            raise _bad(key, "a non-negative integer", getattr(s, key))
    for key in ("line_width", "slot_bp", "track_bin", "starr_element_bp", "artefact_bp"):
        if not _is_int(getattr(s, key)) or getattr(s, key) < 1:
            raise _bad(key, "a positive integer", getattr(s, key))
    fractions = (
        "gc", "masked_fraction", "repeat_divergence", "shared_fraction", "extra_site_prob",
        "ct_unbound_open_elsewhere", "starr_accessible_fraction", "min_motif_score",
    )  # fmt: skip
    for key in fractions:
        value = getattr(s, key)
        if not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise _bad(key, "a number in [0, 1]", value)
    if not s.chrom_sizes or any(
        len(item) != 2 or not isinstance(item[0], str) or not _is_int(item[1]) for item in s.chrom_sizes
    ):
        raise _bad("chrom_sizes", "a list of [name, length] pairs", s.chrom_sizes)
    names = [name for name, _ in s.chrom_sizes] + [s.contig]
    if len(set(names)) != len(names):
        raise _bad("chrom_sizes", "unique chromosome names (the contig included)", names)
    if s.contig_size < 1000:
        raise _bad("contig_size", "at least 1000 bp", s.contig_size)
    smallest = 4 * s.slot_bp + 2 * s.n_runs_per_chrom * (s.n_run_bp[1] + 2 * s.slot_bp)
    for name, size in s.chrom_sizes:
        if size < smallest:
            raise _bad(
                "chrom_sizes", f"chromosomes of at least {smallest} bp with these settings", (name, size)
            )
    for key in ("n_run_bp", "end_offset_bp", "pair_gap"):
        lo_hi = getattr(s, key)
        if len(lo_hi) != 2 or not all(_is_int(v) for v in lo_hi) or not 0 <= lo_hi[0] <= lo_hi[1]:
            raise _bad(key, "[low, high] integers with 0 <= low <= high", lo_hi)
    if not s.outside_gaps or any(
        len(r) != 2 or not 0 <= r[0] <= r[1] or s.pair_gap[0] <= r[1] and r[0] <= s.pair_gap[1]
        for r in s.outside_gaps
    ):
        raise _bad(
            "outside_gaps", f"[low, high] ranges that do not meet pair_gap {list(s.pair_gap)}", s.outside_gaps
        )
    if s.end_offset_bp[0] < 110 or s.end_offset_bp[1] >= s.slot_bp:
        raise _bad("end_offset_bp", f"a range within [110, slot_bp={s.slot_bp})", s.end_offset_bp)
    if 2 * s.slot_jitter >= s.slot_bp // 2:
        raise _bad("slot_jitter", f"less than slot_bp / 4 = {s.slot_bp // 4}", s.slot_jitter)
    if len(s.cell_types) < 2 or len(set(s.cell_types)) != len(s.cell_types):
        raise _bad("cell_types", "at least two distinct cell types", s.cell_types)
    if not s.chip_tfs:
        raise _bad("chip_tfs", "at least one [name, JASPAR ID, cell type]", s.chip_tfs)
    for key, entries in (("chip_tfs", s.chip_tfs), ("ct_tf", (s.ct_tf,))):
        for entry in entries:
            if len(entry) != 3 or entry[2] not in s.cell_types:
                raise _bad(
                    key, f"[name, JASPAR ID, cell type] with a cell type in {list(s.cell_types)}", entry
                )
    also = s.ct_also_in
    if any(c not in s.cell_types or c == s.ct_tf[2] for c in also) or len(set(also)) != len(also):
        others = [c for c in s.cell_types if c != s.ct_tf[2]]
        raise _bad("ct_also_in", f"distinct cell types among {others}", s.ct_also_in)
    if s.starr_cell_type not in s.cell_types:
        raise _bad("starr_cell_type", f"one of {list(s.cell_types)}", s.starr_cell_type)
    tasks: dict[str, list[str]] = {}
    for entry in s.starr_motifs:
        if len(entry) != 3:
            raise _bad("starr_motifs", "[task, name, JASPAR ID] entries", entry)
        tasks.setdefault(entry[0], []).append(entry[1])
    if len(tasks) < 2 or any(len(v) != 2 or v[0] == v[1] for v in tasks.values()):
        raise _bad("starr_motifs", "at least two tasks with exactly two distinct motifs each", s.starr_motifs)
    keys: dict[str, str] = {}
    for name, matrix_id in [(e[0], e[1]) for e in (*s.chip_tfs, s.ct_tf)] + [
        (e[1], e[2]) for e in s.starr_motifs
    ]:
        if keys.setdefault(name, matrix_id) != matrix_id:
            raise _bad(
                "chip_tfs", f"one JASPAR ID per motif name ({name} has {keys[name]} and {matrix_id})", name
            )
    if len(s.starr_mix) != len(STARR_CLASSES) or min(s.starr_mix) < 0 or sum(s.starr_mix) <= 0:
        raise _bad(
            "starr_mix", f"{len(STARR_CLASSES)} non-negative weights for {list(STARR_CLASSES)}", s.starr_mix
        )
    if round(s.shared_fraction * s.chip_peaks / 2) * (len(s.chip_tfs) - 1) > s.chip_peaks:
        raise _bad("shared_fraction", "a fraction that leaves room for unshared peaks", s.shared_fraction)


def resolve_settings(settings: ToySettings | None = None, **overrides: Any) -> ToySettings:
    """Return ``settings`` (default :class:`ToySettings`) with ``overrides`` applied and validated.

    Raises
    ------
    InputError
        An unknown key (the known ones are listed) or a value out of range.
    """
    base = settings if settings is not None else ToySettings()
    known = {f.name for f in dataclasses.fields(ToySettings)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise InputError(
            f"config key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: unknown toy genome "
            "setting; expected "
            f"one of {', '.join(sorted(known))}"
        )
    return dataclasses.replace(base, **overrides) if overrides else base


# ----------------------------------------------------------------------------------------------------
# Motifs
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Motif:
    key: str
    matrix_id: str
    name: str
    probs: np.ndarray  # (4, W)
    log_odds: np.ndarray  # (4, W) bits against a uniform background

    @property
    def width(self) -> int:
        return self.probs.shape[1]


def motif_log_odds(probs: np.ndarray, pseudocount: float = 0.01) -> np.ndarray:
    """Log-odds matrix (bits) of a PWM against a uniform background.

    Parameters
    ----------
    probs
        ``(4, W)`` column probabilities, rows A, C, G, T.
    pseudocount
        Added to every probability before renormalising, so absent bases score finitely.

    Returns
    -------
    numpy.ndarray
        ``(4, W)`` float64.
    """
    p = (np.asarray(probs, dtype=np.float64) + pseudocount) / (1.0 + 4.0 * pseudocount)
    return np.log2(p / 0.25)


def relative_score(codes: np.ndarray, log_odds: np.ndarray) -> float:
    """Relative log-odds score ``(s - min) / (max - min)`` of one site (codes 0-3, motif orientation).

    Parameters
    ----------
    codes
        ``(W,)`` base codes read in the motif's orientation.
    log_odds
        ``(4, W)`` matrix from :func:`motif_log_odds`.

    Returns
    -------
    float
        1 for the best possible site, 0 for the worst.
    """
    width = log_odds.shape[1]
    score = log_odds[np.asarray(codes, dtype=np.int64), np.arange(width)].sum()
    low, high = log_odds.min(axis=0).sum(), log_odds.max(axis=0).sum()
    return float((score - low) / (high - low))


def _load_motifs(s: ToySettings) -> dict[str, _Motif]:
    pairs = [(e[0], e[1]) for e in (*s.chip_tfs, s.ct_tf)] + [(e[1], e[2]) for e in s.starr_motifs]
    unique = dict(pairs)
    found = select_motifs(
        fetch_motifs(release=s.jaspar_release), list(unique.values()), "config key toy motifs"
    )
    out = {}
    for (key, _), motif in zip(unique.items(), found, strict=True):
        probs = motif.probs
        if not np.allclose(probs.sum(axis=0), 1.0):
            raise InputError(
                f"config key toy motifs: {motif.matrix_id} has an all-zero column; cannot sample it"
            )
        out[key] = _Motif(key, motif.matrix_id, motif.name, probs, motif_log_odds(probs))
    return out


def _sample_site(motif: _Motif, rng: np.random.Generator, min_score: float) -> tuple[np.ndarray, float]:
    """Sample one instance from the PWM, redrawing until its relative score reaches ``min_score``."""
    cum = np.cumsum(motif.probs, axis=0)
    for _ in range(1000):
        codes = np.minimum((rng.random(motif.width)[None, :] > cum).sum(axis=0), 3).astype(np.uint8)
        score = relative_score(codes, motif.log_odds)
        if score >= min_score:
            return codes, score
    raise InputError(
        f"config key toy.min_motif_score: {min_score} is out of reach for {motif.matrix_id} ({motif.name}); "
        "expected a lower threshold"
    )


# ----------------------------------------------------------------------------------------------------
# Background sequence
# ----------------------------------------------------------------------------------------------------


def _background(rng: np.random.Generator, total: int, s: ToySettings) -> np.ndarray:
    """First-order Markov background with CpG depletion and GC that drifts between 2-kb chunks."""
    n_chunks = -(-total // _CHUNK_BP)
    # AR(1) across chunks gives GC domains tens of kb long, like (much shortened) isochores.
    z = np.empty(n_chunks)
    z[0] = rng.normal()
    eps = rng.normal(size=n_chunks)
    for k in range(1, n_chunks):
        z[k] = 0.9 * z[k - 1] + math.sqrt(1 - 0.81) * eps[k]
    gc = np.clip(s.gc + s.gc_spread * z, 0.25, 0.65)
    pi = np.stack([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2], axis=1)  # (chunks, 4)
    weight = np.ones((4, 4))
    weight[1, 2] = s.cpg_ratio
    trans = pi[:, None, :] * weight[None]
    trans /= trans.sum(axis=2, keepdims=True)
    cum = np.cumsum(trans, axis=2)[:, :, :3]  # (chunks, 4, 3)
    u = rng.random((n_chunks, _CHUNK_BP))
    out = np.empty((n_chunks, _CHUNK_BP), dtype=np.uint8)
    rows = np.arange(n_chunks)
    prev = (u[:, 0, None] > np.cumsum(pi, axis=1)[:, :3]).sum(axis=1)
    out[:, 0] = prev
    for t in range(1, _CHUNK_BP):
        prev = (u[:, t, None] > cum[rows, prev]).sum(axis=1)
        out[:, t] = prev
    return out.reshape(-1)[:total]


def _mask_repeats(
    rng: np.random.Generator,
    codes: np.ndarray,
    masked: np.ndarray,
    s: ToySettings,
    families: list[np.ndarray],
) -> None:
    """Soft-mask about ``masked_fraction`` of a sequence, filling most stretches with repeat-like sequence."""
    size = codes.size
    target = s.masked_fraction * size
    covered = int(masked.sum())
    while covered < target:
        length = int(np.clip(rng.lognormal(5.5, 0.8), 60, 3000))
        start = int(rng.integers(0, max(size - length, 1)))
        end = min(start + length, size)
        kind = rng.random()
        if kind < 0.6:
            family = families[int(rng.integers(len(families)))]
            offset = int(rng.integers(family.size))
            copy = np.resize(np.roll(family, -offset), end - start)
            mutate = rng.random(copy.size) < s.repeat_divergence
            copy[mutate] = rng.integers(0, 4, int(mutate.sum()))
            codes[start:end] = copy
        elif kind < 0.85:
            unit = np.frombuffer(MICROSATELLITES[int(rng.integers(len(MICROSATELLITES)))].encode(), np.uint8)
            copy = np.resize(np.searchsorted(_BASES[:4], unit).astype(np.uint8), end - start)
            mutate = rng.random(copy.size) < 0.05
            copy[mutate] = rng.integers(0, 4, int(mutate.sum()))
            codes[start:end] = copy
        # else: a low-complexity call on background sequence; lowercase only
        covered += int((~masked[start:end]).sum())
        masked[start:end] = True


def _place_n_runs(rng: np.random.Generator, size: int, n_runs: int, s: ToySettings) -> list[tuple[int, int]]:
    """Non-overlapping internal N runs, at least 5 kb from either end and from each other."""
    runs: list[tuple[int, int]] = []
    for _ in range(1000):
        if len(runs) == n_runs:
            break
        length = int(rng.integers(s.n_run_bp[0], s.n_run_bp[1] + 1))
        start = int(rng.integers(5000, max(size - 5000 - length, 5001)))
        if start + length > size - 5000:
            continue
        if all(start + length + 5000 <= a or b + 5000 <= start for a, b in runs):
            runs.append((start, start + length))
    return sorted(runs)


# ----------------------------------------------------------------------------------------------------
# Elements
# ----------------------------------------------------------------------------------------------------


@dataclass
class _Site:
    motif: str
    offset: int  # start relative to the element centre
    strand: str
    role: str  # summit | extra | unbound | starr
    experiment: str
    start: int = -1
    codes: np.ndarray | None = None
    score: float = float("nan")
    name: str = ""


@dataclass
class _Element:
    kind: str  # chip | chip_noise | ct_bound | ct_unbound | starr | open_decoy | artefact
    sites: list[_Site] = field(default_factory=list)
    experiments: list[str] = field(default_factory=list)  # ChIP experiments that call a peak here
    summit_offset: dict[str, int] = field(default_factory=dict)
    starr_class: str = ""
    near_end: bool = False
    chrom: str = ""
    centre: int = 0
    start: int = 0
    end: int = 0
    name: str = ""
    heights: dict[str, float] = field(default_factory=dict)  # track -> bump height
    activity: dict[str, float] = field(default_factory=dict)  # task -> planted log2 activity
    observed: dict[str, float] = field(default_factory=dict)  # task -> realised log2 activity
    log10q: dict[str, float] = field(default_factory=dict)  # task -> STARR peak -log10 q (if a peak)
    blacklisted: bool = False


def _fits(sites: list[_Site], offset: int, width: int, widths: Mapping[str, int], margin: int = 2) -> bool:
    return all(
        offset + width + margin <= t.offset or t.offset + widths[t.motif] + margin <= offset for t in sites
    )


def _add_near(
    rng: np.random.Generator,
    el: _Element,
    motif: str,
    distance: tuple[int, int],
    widths: Mapping[str, int],
    role: str,
    experiment: str,
) -> bool:
    """Add a site whose centre is ``distance`` bp (either side) from the element centre, if it fits."""
    width = widths[motif]
    for _ in range(20):
        centre = int(rng.integers(distance[0], distance[1] + 1)) * (1 if rng.random() < 0.5 else -1)
        offset = centre - width // 2
        if _fits(el.sites, offset, width, widths):
            el.sites.append(_Site(motif, offset, _strand(rng), role, experiment))
            return True
    return False


def _strand(rng: np.random.Generator) -> str:
    return "+" if rng.random() < 0.5 else "-"


def _plan_elements(rng: np.random.Generator, s: ToySettings, widths: Mapping[str, int]) -> list[_Element]:
    """Decide every element's kind and site layout (relative to its centre); positions come later."""
    exp = {name: f"{name}_{cell}" for name, _, cell in s.chip_tfs}
    ct_name, _, ct_cell = s.ct_tf
    ct_exp = f"{ct_name}_{ct_cell}"
    elements: list[_Element] = []

    def summit_site(el: _Element, motif: str, experiment: str, role: str = "summit") -> None:
        el.sites.append(_Site(motif, -(widths[motif] // 2), _strand(rng), role, experiment))

    def extra(el: _Element, motif: str, experiment: str) -> None:
        if rng.random() < s.extra_site_prob:
            _add_near(rng, el, motif, (25, 80), widths, "extra", experiment)

    names = [name for name, _, _ in s.chip_tfs]
    n_pair = round(s.shared_fraction * s.chip_peaks / 2)
    n_unique = s.chip_peaks - n_pair * (len(names) - 1)
    for name in names:
        for _ in range(n_unique):
            el = _Element("chip", experiments=[exp[name]])
            summit_site(el, name, exp[name])
            extra(el, name, exp[name])
            elements.append(el)
    for a, b in itertools.combinations(names, 2):
        for _ in range(n_pair):
            el = _Element("chip", experiments=[exp[a], exp[b]])
            summit_site(el, a, exp[a])
            if not _add_near(rng, el, b, (40, 90), widths, "summit", exp[b]):
                raise RuntimeError("could not place a shared-peak partner site")
            elements.append(el)
    for name in names:
        for _ in range(s.noise_peaks):
            el = _Element("chip_noise", experiments=[exp[name]])
            el.summit_offset[exp[name]] = int(rng.integers(-30, 31))
            elements.append(el)
    for kind, n in (("ct_bound", s.ct_bound), ("ct_unbound", s.ct_unbound)):
        for _ in range(n):
            bound = kind == "ct_bound"
            el = _Element(kind, experiments=[ct_exp] if bound else [])
            summit_site(el, ct_name, ct_exp if bound else "", "summit" if bound else "unbound")
            extra(el, ct_name, ct_exp if bound else "")
            elements.append(el)

    tasks: dict[str, list[str]] = {}
    for task, name, _ in s.starr_motifs:
        tasks.setdefault(task, []).append(name)
    task_names = list(tasks)
    weights = np.asarray(s.starr_mix, dtype=np.float64) / sum(s.starr_mix)
    widest = max(widths[name] for names in tasks.values() for name in names)
    longest_gap = max(s.pair_gap[1], *(r[1] for r in s.outside_gaps))
    if 2 * widest + longest_gap + 2 * 10 > s.starr_element_bp:
        raise _bad(
            "starr_element_bp", f"room for two {widest}-bp motifs {longest_gap} bp apart", s.starr_element_bp
        )
    for _ in range(s.starr_elements):
        klass = STARR_CLASSES[int(rng.choice(len(STARR_CLASSES), p=weights))]
        el = _Element("starr", starr_class=klass)
        task = task_names[int(rng.integers(len(task_names)))]
        pair: tuple[str, str] | None = None
        gap = 0
        if klass == "single":
            motif = tasks[task][int(rng.integers(2))]
            el.sites.append(
                _Site(motif, int(rng.integers(-20, 21)) - widths[motif] // 2, _strand(rng), "starr", "")
            )
        elif klass in ("pair_close", "pair_far"):
            first, second = rng.permutation(2)
            pair = (tasks[task][first], tasks[task][second])
            rng_lo, rng_hi = (
                s.pair_gap
                if klass == "pair_close"
                else s.outside_gaps[int(rng.integers(len(s.outside_gaps)))]
            )
            gap = int(rng.integers(rng_lo, rng_hi + 1))
        elif klass == "pair_homotypic":
            motif = tasks[task][int(rng.integers(2))]
            pair = (motif, motif)
            gap = int(rng.integers(s.pair_gap[0], s.pair_gap[1] + 1))
        elif klass == "pair_cross_task":
            first, second = (task_names[i] for i in rng.choice(len(task_names), 2, replace=False))
            pair = (tasks[first][int(rng.integers(2))], tasks[second][int(rng.integers(2))])
            gap = int(rng.integers(s.pair_gap[0], s.pair_gap[1] + 1))
        if pair is not None:
            total = widths[pair[0]] + gap + widths[pair[1]]
            left = -(total // 2) + int(rng.integers(-10, 11))
            el.sites.append(_Site(pair[0], left, _strand(rng), "starr", ""))
            el.sites.append(_Site(pair[1], left + widths[pair[0]] + gap, _strand(rng), "starr", ""))
        elements.append(el)

    for _ in range(s.open_decoys):
        elements.append(_Element("open_decoy"))
    chip_exps = [exp[name] for name in names] + [ct_exp]
    for _ in range(s.artefacts):
        el = _Element("artefact", experiments=list(chip_exps))
        elements.append(el)
    return elements


def _assign_positions(
    rng: np.random.Generator,
    elements: list[_Element],
    s: ToySettings,
    n_runs: Mapping[str, list[tuple[int, int]]],
) -> None:
    """Put two unshared ChIP elements near both ends of every chromosome and the rest in shuffled slots."""
    unique_chip = [i for i, el in enumerate(elements) if el.kind == "chip" and len(el.experiments) == 1]
    n_end = 2 * len(s.chrom_sizes)
    if len(unique_chip) < n_end:
        raise InputError(
            f"config key toy.chip_peaks: need at least {n_end} unshared ChIP peaks for the chromosome ends"
        )
    near = [unique_chip[i] for i in sorted(rng.choice(len(unique_chip), n_end, replace=False))]
    for k, (chrom, size) in enumerate(s.chrom_sizes):
        for j, index in enumerate(near[2 * k : 2 * k + 2]):
            el = elements[index]
            offset = int(rng.integers(s.end_offset_bp[0], s.end_offset_bp[1] + 1))
            el.chrom, el.centre, el.near_end = chrom, offset if j == 0 else size - 1 - offset, True
    slots: list[tuple[str, int]] = []
    for chrom, size in s.chrom_sizes:
        n_slots = (size - 2 * s.slot_bp) // s.slot_bp
        for centre in s.slot_bp + s.slot_bp // 2 + s.slot_bp * np.arange(n_slots):
            if all(centre + s.slot_bp <= a or b + s.slot_bp <= centre for a, b in n_runs[chrom]):
                slots.append((chrom, int(centre)))
    near_set = set(near)
    rest = [el for i, el in enumerate(elements) if i not in near_set]
    if len(rest) > len(slots):
        raise InputError(
            f"config keys toy.chrom_sizes/slot_bp: {len(rest)} elements need as many {s.slot_bp}-bp slots "
            f"but only {len(slots)} fit; expected fewer elements (chip_peaks, starr_elements, ...), larger "
            "chromosomes or a smaller slot_bp"
        )
    order = rng.permutation(len(slots))[: len(rest)]
    for el, k in zip(rest, order, strict=True):
        chrom, centre = slots[k]
        el.chrom, el.centre = chrom, centre + int(rng.integers(-s.slot_jitter, s.slot_jitter + 1))


def _element_span(el: _Element, s: ToySettings, widths: Mapping[str, int], size: int) -> tuple[int, int]:
    if el.kind == "starr":
        start = el.centre - (s.starr_element_bp - 1) // 2
        return start, start + s.starr_element_bp
    if el.kind == "artefact":
        return max(el.centre - s.artefact_bp // 2, 0), min(el.centre + s.artefact_bp // 2, size)
    if el.sites:
        lo = min(t.offset for t in el.sites) - 50
        hi = max(t.offset + widths[t.motif] for t in el.sites) + 50
        return max(el.centre + lo, 0), min(el.centre + hi, size)
    return max(el.centre - 100, 0), min(el.centre + 100, size)


def _task_activity(
    el: _Element, tasks: Mapping[str, list[str]], s: ToySettings, widths: Mapping[str, int]
) -> None:
    """Planted log2 activity per task: ``single_effect`` per motif, ``pair_boost`` for a cooperative pair."""
    for task, motifs in tasks.items():
        own = [t for t in el.sites if t.motif in motifs]
        coop = any(
            a.motif != b.motif and s.pair_gap[0] <= _gap(a, b, widths) <= s.pair_gap[1]
            for a, b in itertools.combinations(own, 2)
        )
        el.activity[task] = s.single_effect * len(own) + s.pair_boost * coop


def _gap(a: _Site, b: _Site, widths: Mapping[str, int]) -> int:
    """bp between the end of the upstream site and the start of the downstream one (< 0: overlap)."""
    up, down = (a, b) if a.start <= b.start else (b, a)
    return down.start - (up.start + widths[up.motif])


# ----------------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------------


def _write_fasta(path: Path, fai: Path, sizes_path: Path, seqs: Mapping[str, np.ndarray], width: int) -> None:
    """Write the FASTA, a samtools-style ``.fai`` (computed, not scanned) and chrom sizes, atomically."""
    with atomic_path(sizes_path) as tmp_sizes, atomic_path(fai) as tmp_fai, atomic_path(path) as tmp_fa:
        offset = 0
        fai_lines = []
        with open(tmp_fa, "wb") as handle:
            for name, letters in seqs.items():
                header = f">{name}\n".encode()
                handle.write(header)
                offset += len(header)
                n = letters.size
                n_lines = -(-n // width)
                padded = np.full(n_lines * width, 0, dtype=np.uint8)
                padded[:n] = letters
                block = np.concatenate(
                    [padded.reshape(n_lines, width), np.full((n_lines, 1), 10, np.uint8)], 1
                )
                body = block.reshape(-1).tobytes()
                if n % width:
                    body = body[: -(width - n % width) - 1] + b"\n"
                handle.write(body)
                fai_lines.append(f"{name}\t{n}\t{offset}\t{width}\t{width + 1}\n")
                offset += len(body)
        tmp_fai.write_text("".join(fai_lines))
        tmp_sizes.write_text("".join(f"{name}\t{letters.size}\n" for name, letters in seqs.items()))


def _write_bigwig(
    path: Path, sizes: Mapping[str, int], values: Mapping[str, np.ndarray], bin_bp: int
) -> None:
    import pyBigWig

    with atomic_path(path) as tmp:
        bw = pyBigWig.open(str(tmp), "w")
        try:
            bw.addHeader(list(sizes.items()), maxZooms=10)
            for chrom, size in sizes.items():
                vals = np.round(values[chrom], 3).astype(np.float64)
                full = size // bin_bp
                if full:
                    bw.addEntries(
                        chrom, 0, values=np.ascontiguousarray(vals[:full]), span=bin_bp, step=bin_bp
                    )
                if size % bin_bp:
                    bw.addEntries([chrom], [full * bin_bp], ends=[size], values=[float(vals[full])])
        finally:
            bw.close()


def _write_narrowpeak(path: Path, rows: list[tuple], chrom_order: Mapping[str, int]) -> None:
    rows = sorted(rows, key=lambda r: (chrom_order[r[0]], r[1], r[2], r[3]))
    lines = [
        f"{c}\t{a}\t{b}\t{name}\t{score}\t.\t{sig:.3f}\t{p:.3f}\t{q:.3f}\t{summit}\n"
        for c, a, b, name, score, sig, p, q, summit in rows
    ]
    with atomic_path(path) as tmp:
        tmp.write_text("".join(lines))


def _peak_row(
    chrom: str, start: int, end: int, summit: int, name: str, signal: float, p: float, q: float
) -> tuple:
    summit = min(max(summit, start), end - 1)
    score = int(min(1000, round(signal * 40)))
    return (chrom, start, end, name, score, signal, p, q, summit - start)


# ----------------------------------------------------------------------------------------------------
# The build
# ----------------------------------------------------------------------------------------------------


def build_toy_genome(
    out_dir: str | os.PathLike,
    seed: int = 1,
    settings: ToySettings | None = None,
    *,
    path_prefix: str | None = None,
    **overrides: Any,
) -> ToyGenome:
    """Write a deterministic toy genome, its assay files and the truth planted in them.

    Layout under ``out_dir``::

        genome.fa, genome.fa.fai, genome.chrom.sizes
        blacklist.bed                      BED4 (chrom, start, end, reason)
        peaks/<experiment>.narrowPeak      TF ChIP-seq, ATAC-seq, histone and STARR-seq peaks (10 columns)
        tracks/<track>.bw                  ATAC_<cell>, <mark>_<cell>, STARR_<task>_<cell>_{input,rna}
        samples.tsv                        experiment, assay, cell_type, path (the narrowPeak files)
        tracks.tsv                         track, assay, cell_type, target, kind, path (the bigWigs)
        truth/elements.tsv                 every element: kind, span, peaks, chromatin, activity per task
        truth/instances.tsv                every planted motif instance: position, strand, motif, experiment
        truth/pairs.tsv                    STARR-seq motif pairs with their gap and whether they cooperate
        truth.json                         seed, settings, rule parameters, motifs, experiments, blacklist

    The STARR rule: per task, ``log2 activity = single_effect * (number of the task's motifs) + pair_boost *
    [the task's two motifs at a gap within pair_gap]``, orientation-free; other gaps, homotypic pairs and
    pairs of motifs from different tasks get no boost. RNA = input * 2^(activity + noise) * bin noise over
    the element. Cell-type-specific elements all carry the same motif; only those accessible in the TF's
    cell type are bound (have peaks).

    Parameters
    ----------
    out_dir
        Output directory (created).
    seed
        Seed of the single random stream; the same seed and settings give byte-identical files.
    settings
        All generation settings; default :class:`ToySettings`.
    path_prefix
        Prefix for the paths in ``samples.tsv`` and ``tracks.tsv`` (e.g. ``resources/toy`` so they resolve
        from the workflow's directory). Default: paths relative to the sheet's own directory.
    **overrides
        Individual :class:`ToySettings` fields, e.g. ``chip_peaks=100`` (as passed from a config mapping).

    Returns
    -------
    ToyGenome
        The paths written and the chromosome sizes.

    Raises
    ------
    InputError
        An unknown or out-of-range setting, a JASPAR ID missing from the release, or more elements than
        the chromosomes can hold.
    """
    started = time.perf_counter()
    s = resolve_settings(settings, **overrides)
    if not _is_int(seed) or not 0 <= seed < 2**63:
        raise _bad("seed", "a non-negative integer", seed)
    out_dir = Path(out_dir)
    rng = np.random.default_rng(int(seed))
    motifs = _load_motifs(s)
    widths = {k: m.width for k, m in motifs.items()}
    sizes = dict(s.chrom_sizes)
    sizes[s.contig] = s.contig_size
    chrom_order = {name: i for i, name in enumerate(sizes)}
    tasks: dict[str, list[str]] = {}
    for task, name, _ in s.starr_motifs:
        tasks.setdefault(task, []).append(name)

    # --- sequence: background, repeats, N runs -------------------------------------------------------
    total = sum(sizes.values())
    background = _background(rng, total, s)
    bounds = np.cumsum([0, *sizes.values()])
    codes = {c: background[bounds[i] : bounds[i + 1]].copy() for i, c in enumerate(sizes)}
    masked = {c: np.zeros(n, dtype=bool) for c, n in sizes.items()}
    families = [rng.integers(0, 4, n).astype(np.uint8) for n in REPEAT_FAMILY_BP]
    n_runs: dict[str, list[tuple[int, int]]] = {}
    for chrom, size in sizes.items():
        _mask_repeats(rng, codes[chrom], masked[chrom], s, families)
        n_runs[chrom] = _place_n_runs(rng, size, s.n_runs_per_chrom if chrom != s.contig else 1, s)

    # --- elements and planted sites ------------------------------------------------------------------
    elements = _plan_elements(rng, s, widths)
    _assign_positions(rng, elements, s, n_runs)
    elements.sort(key=lambda el: (chrom_order[el.chrom], el.centre))
    n_sites = 0
    for i, el in enumerate(elements, start=1):
        el.name = f"e{i:05d}"
        el.start, el.end = _element_span(el, s, widths, sizes[el.chrom])
        el.sites.sort(key=lambda t: t.offset)
        for site in el.sites:
            n_sites += 1
            motif = motifs[site.motif]
            site.name = f"i{n_sites:05d}"
            site.start = el.centre + site.offset
            site.codes, site.score = _sample_site(motif, rng, s.min_motif_score)
            planted = site.codes if site.strand == "+" else (3 - site.codes[::-1])
            codes[el.chrom][site.start : site.start + motif.width] = planted
            if site.role == "summit":
                el.summit_offset[site.experiment] = site.offset + motif.width // 2
        if el.kind == "starr":
            _task_activity(el, tasks, s, widths)
            for task in tasks:
                el.observed[task] = el.activity[task] + float(rng.normal(0, s.activity_noise))
    for chrom, runs in n_runs.items():
        for a, b in runs:
            codes[chrom][a:b] = _N
            masked[chrom][a:b] = False  # assemblies write gaps as upper-case N

    _assign_chromatin(rng, elements, s)
    starr_peaks = _starr_peaks(rng, elements, s, tasks, sizes)
    blacklist = _choose_blacklist(rng, elements, s, n_runs)

    # --- files ---------------------------------------------------------------------------------------
    out_dir.mkdir(parents=True, exist_ok=True)
    fasta = out_dir / "genome.fa"
    fai = out_dir / "genome.fa.fai"
    sizes_path = chrom_sizes_path(fasta)
    letters = {c: np.where(masked[c], _LOWER[codes[c]], _BASES[codes[c]]) for c in sizes}
    _write_fasta(fasta, fai, sizes_path, letters, s.line_width)

    found_rows = _chip_and_chromatin_peaks(rng, elements, s, sizes)
    found_rows.update(starr_peaks)
    found_rows.update(_ct_peaks_elsewhere(np.random.default_rng([int(seed), 1]), elements, s, sizes))
    experiments = _experiment_table(s, tasks)
    peak_rows = {experiment: found_rows[experiment] for experiment, _, _ in experiments}
    peaks: dict[str, Path] = {}
    for experiment, rows in peak_rows.items():
        peaks[experiment] = out_dir / "peaks" / f"{experiment}.narrowPeak"
        _write_narrowpeak(peaks[experiment], rows, chrom_order)

    track_values, track_meta = _tracks(rng, elements, s, sizes, n_runs, tasks)
    bigwigs: dict[str, Path] = {}
    for track, values in track_values.items():
        bigwigs[track] = out_dir / "tracks" / f"{track}.bw"
        _write_bigwig(bigwigs[track], sizes, values, s.track_bin)

    bl_path = out_dir / "blacklist.bed"
    bl_rows = sorted(blacklist, key=lambda r: (chrom_order[r[0]], r[1], r[2]))
    with atomic_path(bl_path) as tmp:
        tmp.write_text("".join(f"{c}\t{a}\t{b}\t{reason}\n" for c, a, b, reason in bl_rows))

    def rel(path: Path) -> str:
        text = path.relative_to(out_dir).as_posix()
        return f"{path_prefix.rstrip('/')}/{text}" if path_prefix else text

    samples = pd.DataFrame(
        [
            {"experiment": e, "assay": assay, "cell_type": cell, "path": rel(peaks[e])}
            for e, assay, cell in experiments
        ],
        columns=["experiment", "assay", "cell_type", "path"],
    )
    samples_path = out_dir / "samples.tsv"
    write_tsv(samples, samples_path)
    tracks_table = pd.DataFrame(
        [{**track_meta[t], "path": rel(p)} for t, p in bigwigs.items()],
        columns=["track", "assay", "cell_type", "target", "kind", "path"],
    )
    tracks_path = out_dir / "tracks.tsv"
    write_tsv(tracks_table, tracks_path)

    element_df, instance_df, pair_df = _truth_tables(elements, s, motifs, tasks, widths)
    truth_dir = out_dir / "truth"
    paths = {"elements": truth_dir / "elements.tsv", "instances": truth_dir / "instances.tsv"}
    paths["pairs"] = truth_dir / "pairs.tsv"
    write_tsv(element_df, paths["elements"], float_format="%.4f")
    write_tsv(instance_df, paths["instances"], float_format="%.4f")
    write_tsv(pair_df, paths["pairs"])

    genome = ToyGenome(
        out_dir=out_dir, fasta=fasta, fai=fai, chrom_sizes=sizes_path, blacklist=bl_path,
        samples=samples_path, tracks=tracks_path, truth=out_dir / "truth.json",
        elements=paths["elements"], instances=paths["instances"], pairs=paths["pairs"],
        peaks=peaks, bigwigs=bigwigs, sizes=sizes,
    )  # fmt: skip
    truth = _truth_json(
        seed, s, genome, elements, motifs, tasks, codes, masked, n_runs, bl_rows, peak_rows, samples
    )
    write_json(truth, genome.truth)  # last: its presence marks a complete build
    log.info(
        "toy genome in %s: %s bp on %d sequences, %d elements, %d planted instances, %d peak files, "
        "%d bigWigs (%.1f s)",
        out_dir,
        f"{total:,}",
        len(sizes),
        len(elements),
        n_sites,
        len(peaks),
        len(bigwigs),
        time.perf_counter() - started,
    )
    return genome


def _experiment_table(s: ToySettings, tasks: Mapping[str, list[str]]) -> list[tuple[str, str, str]]:
    """``(experiment, assay, cell type)`` of every peak file, in sample-sheet order."""
    rows = [(f"{name}_{cell}", "TF ChIP-seq", cell) for name, _, cell in (*s.chip_tfs, s.ct_tf)]
    rows += [(f"{s.ct_tf[0]}_{cell}", "TF ChIP-seq", cell) for cell in s.ct_also_in]
    rows += [(f"ATAC_{cell}", "ATAC-seq", cell) for cell in s.cell_types]
    rows += [
        (f"{mark}_{cell}", "Histone ChIP-seq", cell) for mark in s.histone_marks for cell in s.cell_types
    ]
    rows += [(f"STARR_{task}_{s.starr_cell_type}", "STARR-seq", s.starr_cell_type) for task in tasks]
    return rows


def _ct_peaks_elsewhere(
    rng: np.random.Generator, elements: list[_Element], s: ToySettings, sizes: Mapping[str, int]
) -> dict[str, list[tuple]]:
    """narrowPeak rows of the cell-type-specific TF in each cell type of ``ct_also_in``: a peak at every
    element of its motif accessible there (summit on the motif), and at the artefacts, as in any ChIP."""
    name = s.ct_tf[0]
    rows: dict[str, list[tuple]] = {}
    for cell in s.ct_also_in:
        experiment = f"{name}_{cell}"
        rows[experiment] = []
        for el in elements:
            if el.kind == "artefact":
                start, end, summit = el.start, el.end, el.centre
                signal = 3 * s.chip_signal * _lognormal(rng, s.height_spread)
            elif el.kind in ("ct_bound", "ct_unbound") and el.heights.get(f"ATAC_{cell}", 0.0) > 0:
                site = next(t for t in el.sites if t.motif == name and t.role in ("summit", "unbound"))
                summit = el.centre + site.offset + len(site.codes) // 2
                start = max(summit - int(rng.integers(80, 201)), 0)
                end = min(summit + int(rng.integers(80, 201)), sizes[el.chrom])
                n_own = sum(t.motif == name for t in el.sites)
                signal = s.chip_signal * _lognormal(rng, s.height_spread) * (1 + 0.25 * (n_own - 1))
            else:
                continue
            p = max(2.0 + signal + float(rng.normal(0, 0.3)), 0.5)
            name_ = f"{experiment}.{el.name}"
            rows[experiment].append(
                _peak_row(el.chrom, start, end, summit, name_, signal, p, max(p - 1.5, 0.0))
            )
    return rows


def _lognormal(rng: np.random.Generator, sd: float) -> float:
    return float(rng.lognormal(0.0, sd))


def _assign_chromatin(rng: np.random.Generator, elements: list[_Element], s: ToySettings) -> None:
    """Bump heights per track: accessibility where elements are active, marks at enhancer-like elements."""
    cell_of = {f"{name}_{cell}": cell for name, _, cell in (*s.chip_tfs, s.ct_tf)}
    tf_of = {f"{name}_{cell}": name for name, _, cell in (*s.chip_tfs, s.ct_tf)}
    ct_cell = s.ct_tf[2]
    other = [c for c in s.cell_types if c != ct_cell]

    def set_cell(el: _Element, cell: str, atac: float, first_mark: float, other_marks: float) -> None:
        # The first histone mark plays H3K27ac (scales with activity), the others H3K4me1.
        factors = {"ATAC": atac}
        for i, mark in enumerate(s.histone_marks):
            factors[mark] = first_mark if i == 0 else other_marks
        for mark, factor in factors.items():
            if factor > 0:
                height = s.atac_height if mark == "ATAC" else s.histone_height
                el.heights[f"{mark}_{cell}"] = factor * height * _lognormal(rng, s.height_spread)

    for el in elements:
        if el.kind == "chip":
            marked = {cell_of[e] for e in el.experiments if tf_of[e] not in s.constitutive_tfs}
            constitutive = any(tf_of[e] in s.constitutive_tfs for e in el.experiments)
            open_cells = set(s.cell_types) if constitutive else marked
            for cell in s.cell_types:
                if cell in open_cells:
                    on = cell in marked
                    set_cell(el, cell, 1.0 if on else 0.9, 0.35 * on, 0.3 * on)
        elif el.kind == "chip_noise":
            set_cell(el, cell_of[el.experiments[0]], 0.25, 0, 0)
        elif el.kind == "ct_bound":
            set_cell(el, ct_cell, 1.0, 0.35, 0.3)
        elif el.kind == "ct_unbound":
            if rng.random() < s.ct_unbound_open_elsewhere:
                set_cell(el, other[int(rng.integers(len(other)))], 1.0, 0.3, 0.2)
        elif el.kind == "starr":
            if rng.random() < s.starr_accessible_fraction:
                strongest = max(max(el.observed.values()), 0.0)
                set_cell(el, s.starr_cell_type, 1.0, 0.8 + 0.5 * strongest, 1.0)
        elif el.kind == "open_decoy":
            pick = rng.random()
            cells = (
                [s.cell_types[0]] if pick < 0.4 else [s.cell_types[1]] if pick < 0.8 else list(s.cell_types)
            )
            for cell in cells:
                set_cell(el, cell, 0.7, 0, 0)


def _starr_peaks(
    rng: np.random.Generator,
    elements: list[_Element],
    s: ToySettings,
    tasks: Mapping[str, list[str]],
    sizes: Mapping[str, int],
) -> dict[str, list[tuple]]:
    """STARR-seq peaks per task over elements whose observed activity reaches ``starr_peak_min_log2``."""
    rows: dict[str, list[tuple]] = {f"STARR_{task}_{s.starr_cell_type}": [] for task in tasks}
    for el in elements:
        if el.kind != "starr":
            continue
        for task in tasks:
            observed = el.observed[task]
            if observed < s.starr_peak_min_log2:
                continue
            q = max(0.0, s.q_slope * observed + s.q_offset + float(rng.normal(0, s.q_noise)))
            el.log10q[task] = q
            experiment = f"STARR_{task}_{s.starr_cell_type}"
            start, end = max(el.start, 0), min(el.end, sizes[el.chrom])
            rows[experiment].append(
                _peak_row(
                    el.chrom, start, end, el.centre, f"{experiment}.{el.name}", 2.0**observed, q + 1.0, q
                )
            )
    return rows


def _chip_and_chromatin_peaks(
    rng: np.random.Generator, elements: list[_Element], s: ToySettings, sizes: Mapping[str, int]
) -> dict[str, list[tuple]]:
    """narrowPeak rows of the ChIP experiments (summit at the planted site) and of accessibility and marks."""
    experiments = [f"{name}_{cell}" for name, _, cell in (*s.chip_tfs, s.ct_tf)]
    chromatin = [f"ATAC_{c}" for c in s.cell_types] + [
        f"{m}_{c}" for m in s.histone_marks for c in s.cell_types
    ]
    rows: dict[str, list[tuple]] = {e: [] for e in experiments + chromatin}
    for el in elements:
        size = sizes[el.chrom]
        for experiment in el.experiments:
            summit = el.centre + el.summit_offset.get(experiment, 0)
            start = max(summit - int(rng.integers(80, 201)), 0)
            end = min(summit + int(rng.integers(80, 201)), size)
            if el.kind == "artefact":
                start, end = el.start, el.end
                signal = 3 * s.chip_signal * _lognormal(rng, s.height_spread)
            elif el.kind == "chip_noise":
                signal = 0.25 * s.chip_signal * _lognormal(rng, s.height_spread)
            else:
                n_own = sum(t.experiment == experiment for t in el.sites)
                signal = s.chip_signal * _lognormal(rng, s.height_spread) * (1 + 0.25 * (n_own - 1))
            p = max(2.0 + signal + float(rng.normal(0, 0.3)), 0.5)
            rows[experiment].append(
                _peak_row(
                    el.chrom, start, end, summit, f"{experiment}.{el.name}", signal, p, max(p - 1.5, 0.0)
                )
            )
        for track in chromatin:
            if el.kind == "artefact":
                height = s.artefact_signal
                start, end, summit = el.start, el.end, el.centre
            else:
                height = el.heights.get(track, 0.0)
                is_atac = track.startswith("ATAC_")
                if height < (s.atac_peak_min if is_atac else s.histone_peak_min):
                    continue
                half = 150 if is_atac else s.histone_offset_bp + 3 * int(s.histone_sd_bp)
                start, end = max(el.centre - half, 0), min(el.centre + half, size)
                summit = el.centre if is_atac else el.centre + s.histone_offset_bp
            p = 2.0 + 0.8 * height
            rows[track].append(
                _peak_row(el.chrom, start, end, summit, f"{track}.{el.name}", height, p, p - 1.5)
            )
    return rows


def _choose_blacklist(
    rng: np.random.Generator,
    elements: list[_Element],
    s: ToySettings,
    n_runs: Mapping[str, list[tuple[int, int]]],
) -> list[tuple[str, int, int, str]]:
    """Blacklist every artefact, a few planted elements (ChIP, bound, STARR) and one N-run edge."""
    regions: list[tuple[str, int, int, str]] = []
    for el in elements:
        if el.kind == "artefact":
            el.blacklisted = True
            regions.append(
                (
                    el.chrom,
                    max(el.centre - s.artefact_bp // 2 - 200, 0),
                    el.centre + s.artefact_bp // 2 + 200,
                    f"artefact:{el.name}",
                )
            )
    pools = {
        "starr": [
            el
            for el in elements
            if el.kind == "starr" and el.log10q and "ATAC_" + s.starr_cell_type in el.heights
        ],
        "ct_bound": [el for el in elements if el.kind == "ct_bound"],
        "chip": [el for el in elements if el.kind == "chip" and not el.near_end],
    }
    wanted = {"starr": min(1, s.blacklisted_elements), "ct_bound": min(1, max(s.blacklisted_elements - 1, 0))}
    wanted["chip"] = s.blacklisted_elements - wanted["starr"] - wanted["ct_bound"]
    for kind, n in wanted.items():
        pool = pools[kind]
        if n > len(pool):
            raise _bad(
                "blacklisted_elements",
                f"at most {len(pool)} {kind} elements to blacklist",
                s.blacklisted_elements,
            )
        for index in sorted(rng.choice(len(pool), n, replace=False)) if n else []:
            el = pool[int(index)]
            el.blacklisted = True
            left, right = (int(v) for v in rng.integers(150, 401, 2))
            regions.append((el.chrom, max(el.start - left, 0), el.end + right, f"element:{el.name}"))
    first = next(((c, runs[0]) for c, runs in n_runs.items() if runs and c != s.contig), None)
    if first is not None:
        chrom, (a, _) = first
        regions.append((chrom, a - 300, a + 300, "n_run_edge"))
    return regions


def _tracks(
    rng: np.random.Generator,
    elements: list[_Element],
    s: ToySettings,
    sizes: Mapping[str, int],
    n_runs: Mapping[str, list[tuple[int, int]]],
    tasks: Mapping[str, list[str]],
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, dict[str, str]]]:
    """Per-bin values of every bigWig track, and each track's sheet row."""
    b = s.track_bin
    n_bins = {c: -(-n // b) for c, n in sizes.items()}
    centres = {c: np.arange(n_bins[c]) * b + b / 2 for c in sizes}
    by_chrom: dict[str, list[_Element]] = {c: [] for c in sizes}
    for el in elements:
        by_chrom[el.chrom].append(el)

    values: dict[str, dict[str, np.ndarray]] = {}
    meta: dict[str, dict[str, str]] = {}

    def add_bump(arr: np.ndarray, x: np.ndarray, centre: float, height: float, sd: float) -> None:
        lo = max(int((centre - 4 * sd) // b), 0)
        hi = min(int((centre + 4 * sd) // b) + 1, arr.size)
        if hi > lo:
            arr[lo:hi] += height * np.exp(-0.5 * ((x[lo:hi] - centre) / sd) ** 2)

    def blank_n_runs(arr: np.ndarray, chrom: str) -> None:
        for a, e in n_runs[chrom]:
            arr[a // b : -(-e // b)] = 0.0

    for cell in s.cell_types:
        for mark in ("ATAC", *s.histone_marks):
            track = f"{mark}_{cell}"
            meta[track] = {
                "track": track,
                "assay": "ATAC-seq" if mark == "ATAC" else "Histone ChIP-seq",
                "cell_type": cell,
                "target": "" if mark == "ATAC" else mark,
                "kind": "signal",
            }
            values[track] = {}
            for chrom in sizes:
                arr = np.round(rng.exponential(s.background_signal, n_bins[chrom]), 2)
                for el in by_chrom[chrom]:
                    if el.kind == "artefact":
                        lo, hi = el.start // b, -(-el.end // b)
                        arr[lo:hi] += s.artefact_signal * rng.lognormal(0, 0.2, hi - lo)
                        continue
                    height = el.heights.get(track, 0.0)
                    if height <= 0:
                        continue
                    if mark == "ATAC":
                        add_bump(arr, centres[chrom], el.centre, height, s.atac_sd_bp)
                    else:
                        for side in (-1, 1):
                            add_bump(
                                arr,
                                centres[chrom],
                                el.centre + side * s.histone_offset_bp,
                                height,
                                s.histone_sd_bp,
                            )
                blank_n_runs(arr, chrom)
                values[track][chrom] = arr

    cell = s.starr_cell_type
    for task in tasks:
        stem = f"STARR_{task}_{cell}"
        input_values: dict[str, np.ndarray] = {}
        rna_values: dict[str, np.ndarray] = {}
        for chrom, size in sizes.items():
            # Library coverage drifts smoothly along the genome; RNA follows input, so the ratio cancels it.
            knots = np.arange(0, size + 5000, 5000)
            drift = np.exp(np.interp(centres[chrom], knots, rng.normal(0, 0.2, knots.size)))
            inp = s.starr_input_depth * drift * rng.lognormal(0, s.starr_bin_noise, n_bins[chrom])
            log2_activity = np.zeros(n_bins[chrom])
            for el in by_chrom[chrom]:
                lo, hi = el.start // b, -(-el.end // b)
                if el.kind == "artefact":
                    inp[lo:hi] *= 5.0
                elif el.kind == "starr":
                    log2_activity[lo:hi] = el.observed[task]
            rna = inp * np.exp2(log2_activity) * rng.lognormal(0, s.starr_bin_noise, n_bins[chrom])
            blank_n_runs(inp, chrom)
            blank_n_runs(rna, chrom)
            input_values[chrom], rna_values[chrom] = inp, rna
        for kind, vals in (("input", input_values), ("rna", rna_values)):
            track = f"{stem}_{kind}"
            meta[track] = {
                "track": track,
                "assay": "STARR-seq",
                "cell_type": cell,
                "target": task,
                "kind": kind,
            }
            values[track] = vals
    return values, meta


# ----------------------------------------------------------------------------------------------------
# Truth
# ----------------------------------------------------------------------------------------------------


def _truth_tables(
    elements: list[_Element],
    s: ToySettings,
    motifs: Mapping[str, _Motif],
    tasks: Mapping[str, list[str]],
    widths: Mapping[str, int],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    element_rows, instance_rows, pair_rows = [], [], []
    chromatin = [f"{m}_{c}" for c in s.cell_types for m in ("ATAC", *s.histone_marks)]
    task_of = {name: task for task, names in tasks.items() for name in names}
    for el in elements:
        row: dict[str, Any] = {
            "element": el.name,
            "chrom": el.chrom,
            "start": el.start,
            "end": el.end,
            "centre": el.centre,
            "kind": el.kind,
            "starr_class": el.starr_class,
            "experiments": ",".join(el.experiments),
            "motifs": ",".join(t.motif for t in el.sites),
            "n_sites": len(el.sites),
            "near_end": el.near_end,
            "blacklisted": el.blacklisted,
        }
        for cell in s.cell_types:
            row[f"accessible_{cell}"] = (
                el.kind == "artefact" or el.heights.get(f"ATAC_{cell}", 0.0) >= s.atac_peak_min
            )
        for track in chromatin:
            row[f"height_{track}"] = el.heights.get(track, 0.0)
        for task in tasks:
            row[f"activity_{task}"] = el.activity.get(task, float("nan"))
            row[f"observed_{task}"] = el.observed.get(task, float("nan"))
            row[f"starr_log10q_{task}"] = el.log10q.get(task, float("nan"))
        element_rows.append(row)
        for site in el.sites:
            motif = motifs[site.motif]
            experiment = site.experiment
            if el.kind == "starr":
                experiment = f"STARR_{task_of[site.motif]}_{s.starr_cell_type}"
            instance_rows.append(
                {
                    "instance": site.name,
                    "element": el.name,
                    "chrom": el.chrom,
                    "start": site.start,
                    "end": site.start + motif.width,
                    "strand": site.strand,
                    "motif": site.motif,
                    "matrix_id": motif.matrix_id,
                    "tf": motif.name,
                    "experiment": experiment,
                    "role": site.role,
                    "rel_score": site.score,
                    "sequence": "".join("ACGT"[c] for c in site.codes),
                }
            )
        if el.kind == "starr":
            for a, c in itertools.combinations(el.sites, 2):
                gap = _gap(a, c, widths)
                same_task = task_of[a.motif] == task_of[c.motif]
                pair_rows.append(
                    {
                        "element": el.name,
                        "chrom": el.chrom,
                        "task": task_of[a.motif] if same_task else "",
                        "motif_a": a.motif,
                        "motif_b": c.motif,
                        "instance_a": a.name,
                        "instance_b": c.name,
                        "strand_a": a.strand,
                        "strand_b": c.strand,
                        "gap": gap,
                        "centre_distance": (c.start + widths[c.motif] // 2)
                        - (a.start + widths[a.motif] // 2),
                        "heterotypic": a.motif != c.motif,
                        "cooperative": same_task
                        and a.motif != c.motif
                        and s.pair_gap[0] <= gap <= s.pair_gap[1],
                    }
                )
    pair_columns = [
        "element", "chrom", "task", "motif_a", "motif_b", "instance_a", "instance_b", "strand_a", "strand_b",
        "gap", "centre_distance", "heterotypic", "cooperative",
    ]  # fmt: skip
    return (
        pd.DataFrame(element_rows),
        pd.DataFrame(instance_rows),
        pd.DataFrame(pair_rows, columns=pair_columns),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


def _truth_json(
    seed: int,
    s: ToySettings,
    genome: ToyGenome,
    elements: list[_Element],
    motifs: Mapping[str, _Motif],
    tasks: Mapping[str, list[str]],
    codes: Mapping[str, np.ndarray],
    masked: Mapping[str, np.ndarray],
    n_runs: Mapping[str, list[tuple[int, int]]],
    blacklist: Sequence[tuple[str, int, int, str]],
    peak_rows: Mapping[str, list[tuple]],
    samples: pd.DataFrame,
) -> dict[str, Any]:
    out = genome.out_dir

    def rel(path: Path) -> str:
        return path.relative_to(out).as_posix()

    acgt = sum(int((c < _N).sum()) for c in codes.values())
    gc = sum(int(((c == 1) | (c == 2)).sum()) for c in codes.values()) / max(acgt, 1)
    kinds = pd.Series([el.kind for el in elements]).value_counts().sort_index()
    starr = [el for el in elements if el.kind == "starr"]
    ct_name, ct_id, ct_cell = s.ct_tf
    return {
        "format": FORMAT,
        "seed": int(seed),
        "settings": {f.name: _jsonable(getattr(s, f.name)) for f in dataclasses.fields(s)},
        "genome": {
            "fasta": rel(genome.fasta),
            "chrom_sizes": genome.sizes,
            "total_bp": int(sum(genome.sizes.values())),
            "peak_free_contig": s.contig,
            "gc": round(gc, 4),
            "soft_masked_fraction": round(
                sum(int(m.sum()) for m in masked.values()) / sum(genome.sizes.values()), 4
            ),
            "n_runs": [{"chrom": c, "start": a, "end": b} for c, runs in n_runs.items() for a, b in runs],
        },
        "cell_types": list(s.cell_types),
        "motifs": {
            key: {"matrix_id": m.matrix_id, "name": m.name, "width": m.width, "release": s.jaspar_release}
            for key, m in motifs.items()
        },
        "experiments": [
            {**row, "n_peaks": len(peak_rows[row["experiment"]])} for row in samples.to_dict(orient="records")
        ],
        "chip": {
            f"{name}_{cell}": {
                "motif": name,
                "matrix_id": mid,
                "cell_type": cell,
                "constitutive": name in s.constitutive_tfs,
            }
            for name, mid, cell in s.chip_tfs
        },
        "cell_type_specific": {
            "experiment": f"{ct_name}_{ct_cell}",
            "motif": ct_name,
            "matrix_id": ct_id,
            "cell_type": ct_cell,
            "accessibility_track": f"ATAC_{ct_cell}",
            "rule": f"every {ct_name} element carries the motif (sampled alike); only those accessible in "
            f"{ct_cell} are bound and have a peak; unbound ones are closed in {ct_cell}",
            "bound": int(sum(el.kind == "ct_bound" for el in elements)),
            "unbound": int(sum(el.kind == "ct_unbound" for el in elements)),
            "also_in": {
                cell: {
                    "experiment": f"{ct_name}_{cell}",
                    "accessibility_track": f"ATAC_{cell}",
                    "rule": f"the same elements; bound where accessible in {cell}",
                    "bound": int(
                        sum(
                            el.kind in ("ct_bound", "ct_unbound") and el.heights.get(f"ATAC_{cell}", 0) > 0
                            for el in elements
                        )
                    ),
                }
                for cell in s.ct_also_in
            },
        },
        "starr": {
            "cell_type": s.starr_cell_type,
            "tasks": {
                task: {
                    "motifs": names,
                    "matrix_ids": [motifs[n].matrix_id for n in names],
                    "cooperative_pair": names,
                    "input": f"tracks/STARR_{task}_{s.starr_cell_type}_input.bw",
                    "rna": f"tracks/STARR_{task}_{s.starr_cell_type}_rna.bw",
                    "peaks": f"peaks/STARR_{task}_{s.starr_cell_type}.narrowPeak",
                    "peaks_passing_q05": int(
                        sum(el.log10q.get(task, 0.0) > -math.log10(0.05) for el in starr)
                    ),
                }
                for task, names in tasks.items()
            },
            "rule": {
                "activity": "log2 activity(task) = single_effect * n(task motifs) + pair_boost * "
                "[task's two motifs at a gap in pair_gap]; orientation-free; homotypic and cross-task pairs "
                "get no boost",
                "gap": "bp between the end of the upstream motif and the start of the downstream one",
                "single_effect": s.single_effect,
                "pair_boost": s.pair_boost,
                "pair_gap": list(s.pair_gap),
                "outside_gaps": _jsonable(s.outside_gaps),
                "activity_noise": s.activity_noise,
                "basal_log2": 0.0,
                "rna": "RNA = input * 2^(observed log2 activity) * lognormal(0, starr_bin_noise) per bin",
                "log10q": f"-log10 q = {s.q_slope} * observed + {s.q_offset} + N(0, {s.q_noise}), "
                "floored at 0",
                "peak_min_log2": s.starr_peak_min_log2,
            },
            "classes": {k: int(sum(el.starr_class == k for el in starr)) for k in STARR_CLASSES},
            "accessible": int(sum(f"ATAC_{s.starr_cell_type}" in el.heights for el in starr)),
        },
        "blacklist": [{"chrom": c, "start": a, "end": b, "reason": reason} for c, a, b, reason in blacklist],
        "counts": {
            "elements": len(elements),
            "elements_by_kind": {k: int(v) for k, v in kinds.items()},
            "instances": int(sum(len(el.sites) for el in elements)),
            "peaks": {e: len(rows) for e, rows in peak_rows.items()},
            "near_end_elements": int(sum(el.near_end for el in elements)),
            "blacklisted_elements": int(sum(el.blacklisted for el in elements)),
        },
        "tables": {
            "elements": rel(genome.elements),
            "instances": rel(genome.instances),
            "pairs": rel(genome.pairs),
        },
        "files": {
            "fasta": rel(genome.fasta),
            "fai": rel(genome.fai),
            "chrom_sizes": rel(genome.chrom_sizes),
            "blacklist": rel(genome.blacklist),
            "samples": rel(genome.samples),
            "tracks": rel(genome.tracks),
            "peaks": {e: rel(p) for e, p in genome.peaks.items()},
            "bigwigs": {t: rel(p) for t, p in genome.bigwigs.items()},
        },
    }


def planted_ids(ids: Sequence[str] | None, truth_files: Sequence[str | os.PathLike] = ()) -> list[str]:
    """JASPAR IDs of the motifs planted in a dataset, for counting filters that match planted truth.

    Parameters
    ----------
    ids
        IDs given directly (a synthetic dataset's ground truth); used when not None.
    truth_files
        Otherwise: the ``truth.json`` of the toy genome the dataset was built from (every planted motif).

    Returns
    -------
    list of str
        Empty when the dataset has no planted truth (a real genome).
    """
    if ids is not None:
        return list(ids)
    found: list[str] = []
    for path in truth_files:
        truth = json.loads(Path(path).read_text())
        found += [m["matrix_id"] for m in truth["motifs"].values()]
    return list(dict.fromkeys(found))
