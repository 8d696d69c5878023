"""Koo & Eddy's synthetic multi-label dataset, re-created bit for bit.

Each sequence embeds one to five JASPAR motifs (either strand, sampled from the PWM rather than
written as the consensus) in a uniform random background, and is labelled with the transcription
factors it contains. The generator follows the authors' notebook
(``0_Generate_synthetic_dataset.ipynb``) down to the order of calls on NumPy's legacy random stream,
so that seed 33 gives exactly their 25,000 sequences and train/valid/test split (``koo_eddy.md``
section 1). :func:`generate_koo_eddy` works in memory; :func:`build_synthetic_dataset` is the
workflow step that fetches the motifs and writes the dataset directory (:mod:`seqcnn.datasets`)
and a per-class summary table.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .datasets import SPLITS, save_dataset
from .errors import InputError
from .io import atomic_path, write_tsv
from .jaspar import fetch_motifs, select_motifs
from .logs import require_memory

log = logging.getLogger("seqcnn.synthetic")

#: The authors' weights; their cumulative sums are the cutoffs for the number of motifs per
#: sequence, giving P(k = 1..5) = 0.50, 0.25, 0.17, 0.05, 0.03 (the final 0.3 only lifts the last
#: cutoff above 1).
MOTIF_COUNT_WEIGHTS = (0.0, 0.5, 0.25, 0.17, 0.05, 0.3)

#: Columns of :attr:`SyntheticSplit.sites` and of the ``<split>.sites.npy`` files.
SITE_COLUMNS = ("row", "class", "strand", "start")

#: Label in the summary table's ``class`` column for the rows that hold split sizes.
SEQUENCES_ROW = "__sequences__"

_SOURCE = "koo_eddy_synthetic"


@dataclass(frozen=True)
class SyntheticSplit:
    """One split of the synthetic dataset.

    Attributes
    ----------
    X
        ``(N, L)`` uint8 base codes (A=0, C=1, G=2, T=3; see :mod:`seqcnn.sequence`).
    y
        ``(N, T)`` uint8 multi-label targets; column ``t`` is 1 when motif ``t`` occurs on either
        strand.
    n_motifs
        ``(N,)`` number of motif sites embedded in each sequence (a TF can occur more than once).
    sites
        ``(M, 4)`` int64 ground truth, one row per embedded site, columns :data:`SITE_COLUMNS`:
        row in this split, class (label index), strand (0 as given, 1 reverse complement) and
        0-based start. Sorted by row, then left to right.
    """

    X: np.ndarray
    y: np.ndarray
    n_motifs: np.ndarray
    sites: np.ndarray


def reverse_complement_pwm(pwm: np.ndarray) -> np.ndarray:
    """Reverse complement of a position weight (or count) matrix.

    Parameters
    ----------
    pwm
        ``(4, W)`` matrix, rows A, C, G, T.

    Returns
    -------
    numpy.ndarray
        ``(4, W)`` matrix: columns reversed and rows swapped A<->T, C<->G. In ACGT order the
        complement is the row order reversed, which is how the authors built it.
    """
    pwm = np.asarray(pwm)
    if pwm.ndim != 2 or pwm.shape[0] != 4:
        raise ValueError(f"expected a (4, W) matrix in ACGT order, got shape {pwm.shape}")
    return np.ascontiguousarray(pwm[::-1, ::-1])


def split_sizes(n: int, fractions: Sequence[float]) -> list[int]:
    """Split ``n`` items by fractions, rounding the cumulative boundaries.

    Rounding the boundaries (rather than truncating them, or rounding each size) makes the sizes
    sum to ``n`` and gives 17,500 / 2,500 / 5,000 for 25,000 at 0.7 / 0.1 / 0.2, where truncation
    would move a sequence between splits through float error (0.7 + 0.1 < 0.8).

    Parameters
    ----------
    n
        Number of items.
    fractions
        Positive fractions summing to 1.

    Returns
    -------
    list of int
        One size per fraction.
    """
    bounds = np.rint(np.cumsum([0.0, *fractions]) * n).astype(np.int64)
    bounds[-1] = n
    return np.diff(bounds).tolist()


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_settings(
    pwms: Sequence[np.ndarray],
    n_seqs: int,
    seq_len: int,
    seed: int,
    split_fractions: Sequence[float],
    n_warmup_models: int,
    motif_count_weights: Sequence[float],
) -> tuple[list[np.ndarray], np.ndarray, int]:
    """Validate generator settings.

    Returns
    -------
    tuple
        float64 PWMs, motif-count cutoffs and the largest possible motif count.
    """
    if len(pwms) == 0:
        raise InputError("config key motif_ids: at least one motif is needed")
    checked = []
    for i, pwm in enumerate(pwms):
        pwm = np.asarray(pwm, dtype=np.float64)
        if pwm.ndim != 2 or pwm.shape[0] != 4 or pwm.shape[1] == 0:
            raise InputError(f"config key motif_ids: motif {i} has shape {pwm.shape}, expected (4, W >= 1)")
        if (pwm < 0).any() or not np.allclose(pwm.sum(axis=0), 1.0, atol=1e-6):
            raise InputError(
                f"config key motif_ids: motif {i} is not a probability matrix (every "
                "column must be non-negative and sum to 1; an all-zero count column cannot be "
                "sampled)"
            )
        checked.append(pwm)
    for key, value, low in (("n_seqs", n_seqs, 1), ("seq_len", seq_len, 1), ("seed", seed, 0)):
        if not _is_int(value) or value < low:
            raise InputError(f"config key {key}: expected an integer >= {low}, got {value!r}")
    if seed >= 2**32:
        raise InputError(f"config key seed: expected a seed below 2**32, got {seed}")
    if not _is_int(n_warmup_models) or n_warmup_models < 0:
        raise InputError(
            f"config key n_warmup_models: expected a non-negative integer, got {n_warmup_models!r}"
        )
    fractions = [float(f) for f in split_fractions]
    if len(fractions) != len(SPLITS) or min(fractions) <= 0 or not math.isclose(sum(fractions), 1):
        raise InputError(
            f"config key split_fractions: expected {len(SPLITS)} positive fractions "
            f"({'/'.join(SPLITS)}) summing to 1, got {list(split_fractions)}"
        )
    if min(split_sizes(n_seqs, fractions)) < 1:
        raise InputError(
            f"config key split_fractions: {list(split_fractions)} of {n_seqs} sequences leaves a split empty"
        )
    weights = np.asarray(motif_count_weights, dtype=np.float64)
    cutoffs = np.cumsum(weights)
    if weights.ndim != 1 or len(weights) < 2 or (weights < 0).any() or weights[0] != 0:
        raise InputError(
            "config key motif_count_weights: expected non-negative weights starting "
            f"with 0 (so every sequence gets at least one motif), got {list(motif_count_weights)}"
        )
    if cutoffs[-1] < 1:
        raise InputError(
            "config key motif_count_weights: the weights must sum to at least 1, "
            f"got {list(motif_count_weights)}"
        )
    # u is drawn from [0, 1), so only cutoffs below 1 can be passed.
    max_motifs = int(np.count_nonzero(cutoffs < 1))
    widest = max(p.shape[1] for p in checked)
    # Requiring room for the worst draw keeps the authors' redraw from ever triggering, so the motif
    # count distribution is exactly the stated one and generation cannot stall.
    if seq_len <= max_motifs * widest:
        raise InputError(
            f"config key seq_len: {seq_len} bp cannot hold {max_motifs} motifs of the "
            f"widest width {widest}; expected more than {max_motifs * widest}"
        )
    return checked, cutoffs, max_motifs


def _draw_model(
    rng: np.random.RandomState,
    widths: np.ndarray,
    seq_len: int,
    cutoffs: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """One call of the authors' ``generate_model``: which oriented motifs, and where.

    The random calls and their order are the authors': one uniform for the motif count ``k``,
    ``randint(2T, size=k)`` for the oriented motifs, then ``k + 1`` uniforms at a time until the
    rounded gaps fill the sequence exactly.

    Returns
    -------
    tuple of numpy.ndarray
        Indices into the oriented motif list ``(k,)`` and their 0-based starts ``(k,)``.
    """
    while True:
        u = rng.random_sample()
        # One plus the largest i with u > c_i (the cutoffs are sorted).
        k = int(np.count_nonzero(u > cutoffs))
        picks = rng.randint(len(widths), size=k)
        total = int(widths[picks].sum())
        if 0 < total < seq_len:
            break
    rem = seq_len - total
    while True:
        gaps = rng.uniform(0, 1, size=k + 1)
        # Whether the rounded gaps hit rem exactly decides how many draws this loop consumes, so
        # the arithmetic (scale by the sum, then round half to even) must not be reordered.
        gaps = np.round(gaps / gaps.sum() * rem).astype(np.int64)
        if gaps.sum() == rem:
            break
    starts = np.cumsum(gaps[:-1]) + np.concatenate(([0], np.cumsum(widths[picks])[:-1]))
    return picks, starts


def _cumulative_columns(pwm: np.ndarray) -> np.ndarray:
    """Column-wise CDF for inverse-CDF sampling, made safe against float shortfall.

    A base is drawn as the first row whose CDF exceeds u, i.e. the number of rows with CDF <= u.
    From the last base with positive probability on, the CDF is set to infinity: when a column sums
    to just under 1, a u above the sum still gets that base (the authors' code would raise), and
    trailing zero-probability bases are never drawn. For every other u the result is unchanged.
    """
    cdf = np.cumsum(pwm, axis=0)
    last = 3 - np.argmax(pwm[::-1] > 0, axis=0)
    cdf[np.arange(4)[:, None] >= last[None, :]] = np.inf
    return cdf


def _sample_columns(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw of one base per column: the first row whose CDF exceeds ``u``.

    This is the authors' ``[j for j in range(4) if Z[i] < cum_prob[j, i]][0]``, vectorised: a
    uniform column with u = 0.25 gives C, not A, and a base with zero probability is never drawn.

    Parameters
    ----------
    cdf
        ``(4, L)`` from :func:`_cumulative_columns`.
    u
        ``(L,)`` uniforms in [0, 1).

    Returns
    -------
    numpy.ndarray
        ``(L,)`` uint8 base codes.
    """
    return np.count_nonzero(cdf <= u, axis=0).astype(np.uint8)


def generate_koo_eddy(
    pwms: Sequence[np.ndarray],
    n_seqs: int = 25_000,
    seq_len: int = 200,
    split_fractions: Sequence[float] = (0.7, 0.1, 0.2),
    seed: int = 33,
    n_warmup_models: int = 10,
    motif_count_weights: Sequence[float] = MOTIF_COUNT_WEIGHTS,
) -> dict[str, SyntheticSplit]:
    """Generate Koo & Eddy's synthetic dataset in memory.

    Parameters
    ----------
    pwms
        The ``T`` ground-truth ``(4, W)`` probability matrices (ACGT rows) in label order. Each is
        used on both strands, as the oriented list ``[m0, rc(m0), m1, rc(m1), ...]``.
    n_seqs
        Number of sequences over all splits.
    seq_len
        Sequence length ``L``; must exceed the largest motif count times the widest motif.
    split_fractions
        Fractions for train, valid and test; positive, summing to 1.
    seed
        Seed of the legacy ``RandomState``, the same stream as ``np.random.seed(seed)``.
    n_warmup_models
        Models drawn and discarded before the first sequence: the authors' notebook plotted 10
        example models first, and the dataset is only reproduced if those draws are replayed.
    motif_count_weights
        Weights whose cumulative sums ``c`` set the number of motifs, ``k = 1 + max{i : u > c_i}``
        for ``u ~ U[0, 1)``. Must start with 0 and sum to at least 1.

    Returns
    -------
    dict of str to SyntheticSplit
        ``{"train": ..., "valid": ..., "test": ...}``. Rows follow the split permutation, as the
        authors' ``split_data`` ordered them.

    Raises
    ------
    InputError
        For settings the generator cannot honour, naming the ``synthetic.*`` config key.
    """
    pwms, cutoffs, _ = _check_settings(
        pwms, n_seqs, seq_len, seed, split_fractions, n_warmup_models, motif_count_weights
    )
    oriented = [m for pwm in pwms for m in (pwm, reverse_complement_pwm(pwm))]
    widths = np.array([m.shape[1] for m in oriented], dtype=np.int64)
    cdfs = [_cumulative_columns(m) for m in oriented]
    # Uniform background: CDF 0.25, 0.5, 0.75, then infinity for the last base (see above).
    background = _cumulative_columns(np.full((4, seq_len), 0.25))

    start = time.perf_counter()
    rng = np.random.RandomState(seed)
    for _ in range(n_warmup_models):
        _draw_model(rng, widths, seq_len, cutoffs)

    # The codes, and their copy in split order.
    require_memory(
        2 * n_seqs * seq_len,
        f"{n_seqs:,} sequences of {seq_len:,} bp",
        "n_seqs and seq_len",
        "fewer or shorter sequences, or a job with more memory",
    )
    X = np.empty((n_seqs, seq_len), dtype=np.uint8)
    y = np.zeros((n_seqs, len(pwms)), dtype=np.uint8)
    n_motifs = np.empty(n_seqs, dtype=np.int64)
    site_seq, site_pick, site_start = [], [], []
    for i in range(n_seqs):
        picks, starts = _draw_model(rng, widths, seq_len, cutoffs)
        cdf = background.copy()
        for p, s in zip(picks.tolist(), starts.tolist(), strict=True):
            cdf[:, s : s + widths[p]] = cdfs[p]
        u = rng.uniform(0, 1, seq_len)
        X[i] = _sample_columns(cdf, u)
        y[i, picks // 2] = 1
        n_motifs[i] = len(picks)
        site_seq.append(np.full(len(picks), i))
        site_pick.append(picks)
        site_start.append(starts)
    order = rng.permutation(n_seqs)
    log.info(
        "generated %d sequences of %d bp from %d motifs in %.2f s",
        n_seqs,
        seq_len,
        len(pwms),
        time.perf_counter() - start,
    )

    # Place every site by its sequence's position in the permutation; the stable sort keeps the
    # sites of one sequence in their left-to-right order.
    rank = np.empty(n_seqs, dtype=np.int64)
    rank[order] = np.arange(n_seqs)
    site_rank = rank[np.concatenate(site_seq)]
    by_rank = np.argsort(site_rank, kind="stable")
    site_rank = site_rank[by_rank]
    site_pick = np.concatenate(site_pick)[by_rank]
    site_start = np.concatenate(site_start)[by_rank]
    bounds = np.concatenate(([0], np.cumsum(split_sizes(n_seqs, split_fractions))))
    result = {}
    for j, name in enumerate(SPLITS):
        idx = order[bounds[j] : bounds[j + 1]]
        lo, hi = np.searchsorted(site_rank, bounds[j : j + 2])
        sites = np.stack(
            [
                site_rank[lo:hi] - bounds[j],
                site_pick[lo:hi] // 2,
                site_pick[lo:hi] % 2,
                site_start[lo:hi],
            ],
            axis=1,
        )
        result[name] = SyntheticSplit(X[idx], y[idx], n_motifs[idx], sites)
    return result


def summarise_splits(splits: dict[str, SyntheticSplit], classes: Sequence[str]) -> pd.DataFrame:
    """Positives per split and class, plus one ``__sequences__`` row per split holding its size.

    Parameters
    ----------
    splits
        Output of :func:`generate_koo_eddy`.
    classes
        Class names in label order.

    Returns
    -------
    pandas.DataFrame
        Columns ``split``, ``class``, ``positives``; per split the size row first, then the classes
        in label order.
    """
    rows = []
    for name, part in splits.items():
        rows.append((name, SEQUENCES_ROW, len(part.y)))
        counts = part.y.sum(axis=0, dtype=np.int64)
        rows.extend((name, c, int(n)) for c, n in zip(classes, counts, strict=True))
    return pd.DataFrame(rows, columns=["split", "class", "positives"])


def build_synthetic_dataset(
    motif_ids: Sequence[str],
    out_dir: str | os.PathLike,
    summary_path: str | os.PathLike,
    release: str = "JASPAR2016",
    collection: str = "CORE",
    tax_group: str = "vertebrates",
    n_seqs: int = 25_000,
    seq_len: int = 200,
    split_fractions: Sequence[float] = (0.7, 0.1, 0.2),
    seed: int = 33,
    n_warmup_models: int = 10,
    motif_count_weights: Sequence[float] = MOTIF_COUNT_WEIGHTS,
) -> dict[str, SyntheticSplit]:
    """Fetch the ground-truth motifs, generate the dataset, write it and its summary.

    Parameters
    ----------
    motif_ids
        Versioned JASPAR IDs in label order (config key ``synthetic.motif_ids``).
    out_dir
        Dataset directory in the :mod:`seqcnn.datasets` format. Besides the splits it holds
        ``<split>.sites.npy``, the ``(M, 4)`` ground-truth sites (see :class:`SyntheticSplit`).
    summary_path
        TSV with columns ``split``, ``class``, ``positives`` (see :func:`summarise_splits`).
    release, collection, tax_group
        Where :func:`seqcnn.jaspar.fetch_motifs` looks the IDs up (the non-redundant set).
    n_seqs, seq_len, split_fractions, seed, n_warmup_models, motif_count_weights
        Passed to :func:`generate_koo_eddy`.

    Returns
    -------
    dict of str to SyntheticSplit
        The generated splits.

    Raises
    ------
    InputError
        For unknown motif IDs or invalid settings, naming the config key.
    """
    motif_ids = list(motif_ids)
    if not motif_ids:
        raise InputError("config key motif_ids: expected at least one JASPAR ID")
    dupes = sorted({m for m in motif_ids if motif_ids.count(m) > 1})
    if dupes:
        raise InputError(
            f"config key motif_ids: duplicate ID(s) {', '.join(dupes)}; each class needs its own motif"
        )
    motifs = select_motifs(fetch_motifs(release, collection, tax_group), motif_ids, "config key motif_ids")
    classes = [m.name for m in motifs]
    log.info("ground-truth motifs from %s: %s", release, ", ".join(classes))

    splits = generate_koo_eddy(
        [m.probs for m in motifs],
        n_seqs=n_seqs,
        seq_len=seq_len,
        split_fractions=split_fractions,
        seed=seed,
        n_warmup_models=n_warmup_models,
        motif_count_weights=motif_count_weights,
    )
    for name, part in splits.items():
        log.info(
            "%s: %d sequences, positives per class %s",
            name,
            len(part.y),
            part.y.sum(axis=0).tolist(),
        )

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Sites first: save_dataset writes meta.json last, and its presence marks a complete dataset.
    for name, part in splits.items():
        with atomic_path(out_dir / f"{name}.sites.npy") as tmp:
            with open(tmp, "wb") as fh:
                np.save(fh, part.sites)
    meta = {
        "source": _SOURCE,
        "classes": classes,
        "class_ids": motif_ids,
        "seed": seed,
        "n_seqs": n_seqs,
        "split_fractions": [float(f) for f in split_fractions],
        "n_warmup_models": n_warmup_models,
        "motif_count_weights": [float(w) for w in motif_count_weights],
        "jaspar": {"release": release, "collection": collection, "tax_group": tax_group},
        "sites_columns": list(SITE_COLUMNS),
    }
    save_dataset(out_dir, {name: (part.X, part.y) for name, part in splits.items()}, meta)
    write_tsv(summarise_splits(splits, classes), summary_path)
    log.info("wrote dataset %s and summary %s", out_dir, summary_path)
    return splits
