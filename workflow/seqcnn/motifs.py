"""Filter PWMs, MEME motif files, Tomtom matches to JASPAR and Koo & Eddy's match statistics.

This module turns a trained network's convolutional filters into motifs and asks which known
motifs they resemble (``shared/spec/koo_eddy.md`` section 5). :func:`activation_pwms` builds an
activation-weighted position frequency matrix per filter from the sequences that drive it (5.1), for
the SAME-padded layers of the Koo & Eddy models and the valid first-layer convs of the zoo alike,
:func:`clip_pwm` trims uninformative flanks as the authors did (5.2), :func:`write_meme` and
:func:`read_meme` handle the MEME text format, :func:`tomtom_matches` runs Tomtom in process with
memelite or through the MEME suite binary (5.3), and :func:`match_fractions` computes the
"% Motif match (JASPAR)" and "% Motif match (Relevant)" columns (5.4-5.5).
:func:`annotate_filters` chains all of it for one model, as a Snakemake script calls it.
"""

from __future__ import annotations

import io
import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from .errors import InputError
from .io import atomic_path, write_json, write_tsv
from .predict import crop_window, load_run, pick_device, read_settings
from .sequence import N_CODE, one_hot

ALPHABET = "ACGT"

#: Columns of the match table, in MEME Tomtom's order (its consensus columns are dropped).
TOMTOM_COLUMNS = (
    "Query_ID",
    "Target_ID",
    "Optimal_offset",
    "p-value",
    "E-value",
    "q-value",
    "Overlap",
    "Orientation",
)

#: Tomtom's default ``-motif-pseudo``: a total pseudocount added to every query and target column,
#: weighted against the motif's ``nsites`` (MEME's ``apply_pseudocount_to_motif``).
TOMTOM_PSEUDOCOUNT = 0.1
#: Site count MEME assumes for a motif whose ``nsites=`` is missing (``DEFAULT_SITE_COUNT`` in
#: MEME's motif.c).
MEME_DEFAULT_NSITES = 20

#: Ground-truth JASPAR IDs per TF of the synthetic data set, as listed in the authors' code
#: (``helper.match_hits_to_ground_truth``; spec table 5.5). IDs absent from JASPAR 2016 are kept:
#: they can never match, exactly as in the original. MEF2B and MEF2D sit under STAT1 there.
KOO_EDDY_RELEVANT_BY_TF: Mapping[str, tuple[str, ...]] = {
    "Arid3": ("MA0151.1", "MA0601.1", "PB0001.1"),
    "CEBPB": ("MA0466.1", "MA0466.2"),
    "FOSL1": ("MA0477.1",),
    "GABPA": ("MA0062.1", "MA0062.2"),
    "MAFK": ("MA0496.1", "MA0496.2"),
    "MAX": ("MA0058.1", "MA0058.2", "MA0058.3"),
    "MEF2A": ("MA0052.1", "MA0052.2", "MA0052.3"),
    "NFYB": ("MA0502.1", "MA0060.1", "MA0060.2"),
    "SP1": ("MA0079.1", "MA0079.2", "MA0079.3"),
    "SRF": ("MA0083.1", "MA0083.2", "MA0083.3"),
    "STAT1": ("MA0137.1", "MA0137.2", "MA0137.3", "MA0660.1", "MA0773.1"),
    "YY1": ("MA0095.1", "MA0095.2"),
}

#: Union of :data:`KOO_EDDY_RELEVANT_BY_TF`: the "relevant" IDs of section 5.5 (32 IDs).
KOO_EDDY_RELEVANT_IDS: tuple[str, ...] = tuple(i for ids in KOO_EDDY_RELEVANT_BY_TF.values() for i in ids)


# --------------------------------------------------------------------------------------------------
# MEME files
# --------------------------------------------------------------------------------------------------


def _as_pwm(pwm: Any, name: str) -> np.ndarray:
    """``(4, W)`` float64 copy of ``pwm``; ValueError for any other shape."""
    arr = np.asarray(pwm.detach().cpu() if isinstance(pwm, torch.Tensor) else pwm, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] != 4 or arr.shape[1] == 0:
        raise ValueError(f"motif {name!r}: expected a (4, W) matrix with W >= 1, got {arr.shape}")
    return arr


def write_meme(
    motifs: Sequence[tuple],
    path: str | os.PathLike,
    nsites: str | int | Sequence[int | None] | None = "width",
    strands: str | None = None,
    background: Sequence[float] = (0.25, 0.25, 0.25, 0.25),
) -> None:
    """Write motifs as a minimal MEME (version 4) DNA motif file, atomically.

    Parameters
    ----------
    motifs
        ``(name, probs)`` or ``(name, probs, alt_name)`` tuples; ``probs`` is ``(4, W)`` in ACGT
        order. Names must not contain whitespace.
    path
        Output file; its directory is created.
    nsites
        What to write as ``nsites=``: ``"width"`` writes each motif's width (as Koo & Eddy's
        ``meme_generate`` did for filter files, which sets the weight of Tomtom's query
        pseudocount), an int writes that number for every motif, a sequence gives one value per
        motif (None omits it for that motif), and None omits it everywhere (MEME then assumes 20).
    strands
        Text of a ``strands:`` line, e.g. ``"+ -"``; None writes no such line (the filter files
        have none).
    background
        Background letter frequencies for A, C, G, T (uniform by default).
    """
    motifs = list(motifs)
    by_width = isinstance(nsites, str)
    if by_width:
        if nsites != "width":
            raise ValueError(f"nsites must be 'width', an int, a sequence or None, got {nsites!r}")
        per_motif: list[int | None] = [None] * len(motifs)
    elif nsites is None or isinstance(nsites, (int, np.integer)):
        per_motif = [nsites] * len(motifs)
    else:
        per_motif = list(nsites)
        if len(per_motif) != len(motifs):
            raise ValueError(f"nsites has {len(per_motif)} values for {len(motifs)} motifs")

    lines = ["MEME version 4", "", "ALPHABET= ACGT", ""]
    if strands is not None:
        lines += [f"strands: {strands}", ""]
    bg = " ".join(f"{b} {f:g}" for b, f in zip(ALPHABET, background, strict=True))
    lines += ["Background letter frequencies", bg, ""]
    for motif, n in zip(motifs, per_motif, strict=True):
        if len(motif) not in (2, 3):
            raise ValueError(f"expected (name, probs[, alt_name]) tuples, got {len(motif)} items")
        name = str(motif[0])
        if not name or any(c.isspace() for c in name):
            raise ValueError(f"motif name {name!r} must be non-empty without whitespace")
        pwm = _as_pwm(motif[1], name)
        alt = f" {motif[2]}" if len(motif) == 3 and motif[2] else ""
        width = pwm.shape[1]
        n = width if by_width else n
        site_field = f" nsites= {int(n)}" if n is not None else ""
        lines.append(f"MOTIF {name}{alt}")
        lines.append(f"letter-probability matrix: alength= 4 w= {width}{site_field} E= 0")
        # clip() keeps a rounding residue such as -1e-12 from printing as -0.0000.
        for col in np.clip(pwm, 0.0, None).T:
            lines.append(" ".join(f"{p:.4f}" for p in col))
        lines.append("")
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n")


def _field(tokens: list[str], key: str) -> str | None:
    """Value after ``key=`` in a MEME matrix header (``w= 19`` and ``w=19`` both occur)."""
    for i, tok in enumerate(tokens):
        if tok == key + "=" and i + 1 < len(tokens):
            return tokens[i + 1]
        if tok.startswith(key + "=") and len(tok) > len(key) + 1:
            return tok[len(key) + 1 :]
    return None


def _parse_meme(path: str | os.PathLike) -> list[tuple[str, str, np.ndarray, int | None]]:
    """Parse a MEME motif file into ``(id, alt_name, (4, W) probs, nsites or None)`` records."""
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read MEME motif file ({exc})") from exc
    lines = text.splitlines()

    def fail(lineno: int, expected: str, found: str | None = None) -> InputError:
        seen = f", found {found.strip()[:60]!r}" if found is not None else ""
        return InputError(f"{path}, line {lineno}: expected {expected}{seen}")

    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i == len(lines) or not lines[i].startswith("MEME version"):
        raise fail(i + 1, "a 'MEME version <n>' header", lines[i] if i < len(lines) else "")

    records: list[tuple[str, str, np.ndarray, int | None]] = []
    seen_ids: dict[str, int] = {}
    motif: tuple[str, str, int] | None = None  # (id, alt, MOTIF line number) awaiting a matrix
    i += 1
    while i < len(lines):
        line = lines[i].strip()
        lineno = i + 1
        i += 1
        if line.startswith("ALPHABET"):
            letters = line.split("=", 1)[1].strip() if "=" in line else ""
            if letters.upper() != ALPHABET:
                raise fail(lineno, "'ALPHABET= ACGT' (DNA motifs)", line)
        elif line.startswith("MOTIF"):
            if motif is not None:
                raise fail(lineno, f"a letter-probability matrix for motif {motif[0]!r}", line)
            tokens = line.split()
            if len(tokens) < 2:
                raise fail(lineno, "'MOTIF <id> [<alt name>]'", line)
            if tokens[1] in seen_ids:
                first = seen_ids[tokens[1]]
                raise fail(lineno, f"a unique motif ID ({tokens[1]!r} is also on line {first})")
            seen_ids[tokens[1]] = lineno
            motif = (tokens[1], " ".join(tokens[2:]), lineno)
        elif line.startswith(("letter-probability matrix", "log-odds matrix")):
            is_probs = line.startswith("letter")
            tokens = line.split(":", 1)[1].split() if ":" in line else []
            if is_probs and motif is None:
                raise fail(lineno, "a 'MOTIF <id>' line before the matrix", line)
            width_text, alength_text = _field(tokens, "w"), _field(tokens, "alength")
            nsites_text = _field(tokens, "nsites")
            try:
                width = int(width_text) if width_text is not None else None
                if alength_text is not None and int(alength_text) != 4:
                    raise ValueError
                nsites = round(float(nsites_text)) if nsites_text is not None else None
            except ValueError:
                raise fail(lineno, "'alength= 4 w= <int> [nsites= <number>]'", line) from None
            rows: list[list[float]] = []
            while i < len(lines) and (width is None or len(rows) < width):
                row_text = lines[i].strip()
                if width is None and (not row_text or row_text[0].isalpha()):
                    break  # MEME allows w= to be left out: the matrix ends at a blank line
                try:
                    row = [float(v) for v in row_text.split()]
                except ValueError:
                    row = []
                if len(row) != 4 or not all(math.isfinite(v) and (v >= 0 or not is_probs) for v in row):
                    name = motif[0] if motif else "?"
                    raise fail(
                        i + 1,
                        f"4 non-negative numbers (A C G T) in row {len(rows) + 1} of {name!r}",
                        row_text,
                    )
                rows.append(row)
                i += 1
            if width is not None and len(rows) < width:
                raise fail(i + 1, f"{width} matrix rows for motif {motif[0]!r}, file ended", "")
            if not rows:
                raise fail(i + 1, f"matrix rows for motif {motif[0] if motif else '?'!r}", "")
            if is_probs:
                records.append((motif[0], motif[1], np.array(rows, dtype=np.float64).T, nsites))
                motif = None
    if motif is not None:
        raise fail(motif[2] + 1, f"a letter-probability matrix for motif {motif[0]!r}", "")
    if not records:
        raise InputError(f"{path}: expected at least one 'MOTIF' with a letter-probability matrix")
    return records


def read_meme(
    path: str | os.PathLike, nsites: bool = False
) -> list[tuple[str, str, np.ndarray]] | list[tuple[str, str, np.ndarray, int | None]]:
    """Read a MEME motif file (DNA, letter-probability matrices).

    Parameters
    ----------
    path
        MEME text file (version 4 or later; ``w=`` may be left out).
    nsites
        Also return each motif's ``nsites=`` value (None where absent).

    Returns
    -------
    list of tuple
        ``(id, alt_name, probs)`` per motif in file order, ``probs`` ``(4, W)`` float64 in ACGT
        order and ``alt_name`` ``""`` when the MOTIF line has none;
        ``(id, alt_name, probs, nsites)`` with ``nsites=True``.

    Raises
    ------
    InputError
        If the file cannot be read or is malformed; the message names the file, the line number and
        what was expected there.
    """
    records = _parse_meme(path)
    return records if nsites else [r[:3] for r in records]


def write_jaspar_meme(
    path: str | os.PathLike,
    release: str = "JASPAR2016",
    collection: str = "CORE",
    tax_group: str = "vertebrates",
    all_versions: bool = False,
) -> int:
    """Write a JASPAR collection bundled with pyjaspar as a MEME file.

    Motif lines read ``MOTIF MA0079.3 SP1``; probabilities are the column-normalised counts (no
    pseudocount) and ``nsites=`` is the motif's largest column total, as MEME's ``jaspar2meme``
    reports the number of sites. JASPAR 2016 CORE vertebrates gives the 519 motifs of Koo & Eddy's
    ``data/JASPAR_CORE_2016_vertebrates.meme``.

    Parameters
    ----------
    path
        Output MEME file (written atomically).
    release, collection, tax_group, all_versions
        Passed to :func:`seqcnn.jaspar.fetch_motifs`.

    Returns
    -------
    int
        Number of motifs written.
    """
    from .jaspar import fetch_motifs

    motifs = fetch_motifs(release, collection, tax_group, all_versions)
    write_meme(
        [(m.matrix_id, m.probs, m.name.replace(" ", "_")) for m in motifs],
        path,
        nsites=[max(1, round(float(m.counts.sum(axis=0).max()))) for m in motifs],
        strands="+ -",
    )
    return len(motifs)


# --------------------------------------------------------------------------------------------------
# Activation PWMs and clipping
# --------------------------------------------------------------------------------------------------


def activation_pwms(
    model: torch.nn.Module,
    X: np.ndarray | torch.Tensor,
    layer: int = 0,
    threshold: float = 0.5,
    window: int = 19,
    batch_size: int = 500,
    device: str | torch.device | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Activation-weighted PWM of every filter of one conv layer (Koo & Eddy, spec section 5.1).

    For filter f, every (sequence n, activation position p) whose activation ``a`` exceeds
    ``threshold`` times the filter's maximum over all of ``X`` (strictly) is selected, several per
    sequence if need be. The window ``c - window//2 ... c - window//2 + window - 1`` is taken around
    its centre ``c = p + offset`` in the input (``p-9 ... p+9`` for 19 and a SAME conv); positions
    outside the sequence are zero vectors that also leave the denominator::

        PWM[f, b, i] = sum a * X[n, b, c - window//2 + i] / sum a * 1[c - window//2 + i in bounds]

    Where activation positions sit in the input is the layer's geometry. A SAME-padded layer at
    sequence resolution (every Koo & Eddy layer preceded only by unpooled layers) has as many
    activation positions as the sequence has bases, ``L_act = L``, and ``offset = 0``. A valid
    (unpadded) conv of width ``w`` as the first layer of most zoo models has ``L_act = L - w + 1``;
    activation ``p`` covers inputs ``p ... p + w - 1`` and ``offset = (L - L_act) // 2 = (w - 1) // 2``.
    The activation length alone cannot tell a valid conv from a layer after a pool, so the model
    states its geometry: ``model.conv_offset(layer)`` returns the offset, or None for a layer whose
    positions are not sequence positions (a max-pool precedes it), and the activations must then
    have length ``L - 2 * offset`` or ``L - 2 * offset - 1`` (odd or even ``w``). A model without
    ``conv_offset`` is taken to be SAME-padded: its activations must have length ``L``.

    There is no pseudocount or background correction; a filter with no selected site (a dead
    filter: its maximum is 0, and ``a > 0`` never holds) gets an all-zero PWM. An N inside the
    sequence is in bounds: it adds to the denominator but to no letter.

    Two passes over ``X`` in batches (global maxima, then sums), so memory stays at one batch of
    activations plus a ``(batch, L, window, 5)`` window tensor (38 MB for 500 x 200 x 19 on CPU)
    whatever ``N`` is. The sums are one matrix product per batch, accumulated in float64.

    Parameters
    ----------
    model
        Any module with ``conv_activations(x, layer) -> (N, F, L_act)`` (post-ReLU activations),
        such as :class:`seqcnn.models.KooEddyCNN` or a zoo model whose ``annotatable_layers`` hold
        ``layer``, and optionally ``conv_offset(layer)`` (see above). It is moved to ``device`` and
        evaluated in eval mode under ``torch.no_grad``; its training flag is restored afterwards.
    X
        ``(N, L)`` uint8 codes (0-3 ACGT, 4 N), NumPy or torch; one-hot encoding happens on the
        device, batch by batch.
    layer
        0-based conv layer.
    threshold
        Fraction of the filter's global maximum an activation must exceed.
    window
        Window width in nucleotides (19 for every model in the paper).
    batch_size
        Sequences per forward pass.
    device
        None picks CUDA when available.

    Returns
    -------
    pwms : numpy.ndarray
        ``(F, 4, window)`` float64, ACGT order.
    n_sites : numpy.ndarray
        ``(F,)`` int64, number of selected (sequence, position) pairs per filter; 0 flags a dead
        filter.

    Raises
    ------
    InputError
        For a layer whose activation positions cannot be mapped to sequence windows: one after a
        max-pool, more positions than bases, or a length that does not fit the stated offset.
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    dev = pick_device(device)
    codes = X if isinstance(X, torch.Tensor) else torch.as_tensor(np.asarray(X))
    if codes.ndim != 2:
        raise ValueError(f"X must be (N, L) codes, got shape {tuple(codes.shape)}")
    n_seq = codes.shape[0]
    left = window // 2
    right = window - left - 1
    # Window lookup: codes 0-3 -> one-hot plus an in-bounds flag, 4 (N) -> flag only, 5 (outside
    # the sequence, from the padding) -> nothing.
    # On CUDA the product runs in float64 so that a TF32 setting left on by training cannot round
    # the weights to 10 bits; on CPU float32 is exact enough (no TF32) and twice as fast.
    dtype = torch.float64 if dev.type == "cuda" else torch.float32
    table = torch.zeros(N_CODE + 2, 5, dtype=dtype, device=dev)
    table[:4, :4] = torch.eye(4, dtype=dtype, device=dev)
    table[: N_CODE + 1, 4] = 1.0

    declared = model.conv_offset(layer) if hasattr(model, "conv_offset") else 0

    was_training = model.training
    model.to(dev)
    model.eval()
    try:
        with torch.no_grad():
            gmax = None
            for start in range(0, n_seq, batch_size):
                xb = one_hot(codes[start : start + batch_size].to(dev))
                bmax = model.conv_activations(xb, layer).amax(dim=(0, 2))
                gmax = bmax if gmax is None else torch.maximum(gmax, bmax)
            if gmax is None:
                raise ValueError("X holds no sequences")
            cut = (threshold * gmax).view(1, -1, 1)
            n_filters = gmax.numel()
            sums = torch.zeros(n_filters, window * 5, dtype=torch.float64, device=dev)
            n_sites = torch.zeros(n_filters, dtype=torch.int64, device=dev)
            for start in range(0, n_seq, batch_size):
                cb = codes[start : start + batch_size].to(dev).long()
                act = model.conv_activations(one_hot(cb), layer)  # (B, F, L_act)
                offset = _window_offset(layer, act.shape[-1], cb.shape[1], declared)
                keep = act > cut
                n_sites += keep.sum(dim=(0, 2))
                weights = torch.where(keep, act, torch.zeros((), device=dev, dtype=act.dtype))
                padded = torch.nn.functional.pad(cb, (left, right), value=N_CODE + 1)
                # Window q of the padded codes is centred on input q; activation p reads q = p + offset.
                windows = table[padded.unfold(1, window, 1)[:, offset : offset + act.shape[-1]]]
                flat = weights.permute(1, 0, 2).reshape(n_filters, -1).to(dtype)
                sums += (flat @ windows.reshape(-1, window * 5)).double()
    finally:
        model.train(was_training)

    sums = sums.view(n_filters, window, 5).cpu().numpy()
    num = sums[:, :, :4].transpose(0, 2, 1)  # (F, 4, window)
    den = sums[:, None, :, 4]
    pwms = np.divide(num, den, out=np.zeros_like(num), where=den > 0)  # NaN -> 0
    return pwms, n_sites.cpu().numpy()


def _window_offset(layer: int, n_act: int, length: int, declared: int | None) -> int:
    """Offset from activation positions to window centres, checked against the model's geometry."""
    what = f"layer {layer}: activations have length {n_act} for sequences of {length} bp"
    if declared is None:
        raise InputError(
            f"{what} (a max-pool precedes this layer); activation PWMs need a layer at sequence resolution"
        )
    if n_act > length:
        raise InputError(f"{what}; a layer can have at most one activation position per base")
    if (length - n_act) // 2 != declared:
        if declared == 0:
            raise InputError(
                f"{what}; activation PWMs need a layer at sequence resolution (a model whose layer is a "
                "valid conv states where activations sit with conv_offset(layer))"
            )
        raise InputError(
            f"{what}, but the model centres activation p on input p + {declared}, which needs "
            f"{length - 2 * declared} or {length - 2 * declared - 1} positions"
        )
    return declared


def information_content(pwm: np.ndarray) -> np.ndarray:
    """Per-column information content ``2 + sum_b w log2(w + 1e-7)`` (bits) of a ``(4, W)`` PWM."""
    pwm = np.asarray(pwm, dtype=np.float64)
    return 2.0 + np.sum(pwm * np.log2(pwm + 1e-7), axis=0)


def clip_bounds(pwm: np.ndarray, threshold: float = 0.5, pad: int = 3) -> tuple[int, int]:
    """Half-open column range ``[start, end)`` that :func:`clip_pwm` keeps (spec section 5.2)."""
    pwm = np.asarray(pwm, dtype=np.float64)
    width = pwm.shape[1]
    index = np.flatnonzero(information_content(pwm) > threshold)
    # The authors test ``index.any()``: it is False both when nothing passes and when the only
    # passing position is 0, so such a filter stays unclipped. Kept on purpose.
    if not index.any():
        return 0, width
    return max(int(index.min()) - pad, 0), min(int(index.max()) + pad + 1, width)


def clip_pwm(pwm: np.ndarray, threshold: float = 0.5, pad: int = 3) -> np.ndarray:
    """Trim uninformative flanks from a PWM as Koo & Eddy's ``clip_filters`` (spec section 5.2).

    Keeps columns from the first to the last with information content above ``threshold`` bits,
    widened by ``pad`` on each side and bounded by the matrix. If no column passes, or the only one
    that passes is column 0 (the authors' ``index.any()`` quirk), the PWM is returned whole.

    Parameters
    ----------
    pwm
        ``(4, W)`` probabilities.
    threshold
        Information content (bits) a column must exceed.
    pad
        Columns kept on either side of the informative span.

    Returns
    -------
    numpy.ndarray
        ``(4, W')`` copy, ``W' <= W``.
    """
    start, end = clip_bounds(pwm, threshold, pad)
    return np.array(np.asarray(pwm, dtype=np.float64)[:, start:end])


# --------------------------------------------------------------------------------------------------
# Tomtom
# --------------------------------------------------------------------------------------------------


def _split_motifs(motifs: Sequence[tuple], what: str) -> tuple[list[str], list[np.ndarray], list[int | None]]:
    names, pwms, sites = [], [], []
    for m in motifs:
        if len(m) not in (2, 3):
            raise ValueError(f"{what}: expected (name, pwm[, nsites]) tuples, got {len(m)} items")
        names.append(str(m[0]))
        pwms.append(_as_pwm(m[1], str(m[0])))
        sites.append(None if len(m) == 2 or m[2] is None else int(m[2]))
    if len(set(names)) != len(names):
        raise ValueError(f"{what}: motif names must be unique")
    return names, pwms, sites


def apply_pseudocount(pwm: np.ndarray, nsites: float, pseudocount: float = TOMTOM_PSEUDOCOUNT) -> np.ndarray:
    """MEME's motif pseudocount: ``(p * nsites + pseudocount * 0.25) / (nsites + pseudocount)``.

    This is what MEME's ``apply_pseudocount_to_motif`` does to every motif Tomtom reads (queries and
    targets, uniform background). With ``nsites`` equal to the width, a 0 in a 16-wide filter
    becomes ``0.025 / 16.1 = 0.0015528``, the value in the authors' 2018 ``tomtom.xml``.
    """
    pwm = np.asarray(pwm, dtype=np.float64)
    return (pwm * nsites + pseudocount * 0.25) / (nsites + pseudocount)


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values along the last axis (monotone, capped at 1)."""
    p = np.asarray(p, dtype=np.float64)
    m = p.shape[-1]
    order = np.argsort(p, axis=-1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=-1) * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[..., ::-1], axis=-1)[..., ::-1]
    q = np.empty_like(p)
    np.put_along_axis(q, order, np.minimum(ranked, 1.0), axis=-1)
    return q


def read_tomtom_tsv(source: str | os.PathLike | io.StringIO) -> pd.DataFrame:
    """Parse MEME Tomtom's tab-separated output into the :data:`TOMTOM_COLUMNS` table.

    The trailing ``#`` lines MEME 5 appends (version, format URL, command line) are comments, not
    rows: Koo & Eddy's ``3_match_statistics`` read them as three extra Query_IDs and subtracted 3;
    here they are skipped. MEME 4's ``#Query ID`` header is accepted as well.

    Parameters
    ----------
    source
        File path, or a StringIO holding the text.
    """
    text = source.getvalue() if isinstance(source, io.StringIO) else Path(source).read_text()
    lines = text.splitlines()
    if lines and lines[0].startswith("#Query"):
        lines[0] = lines[0][1:].replace(" ", "_")  # MEME 4: "#Query ID\tTarget ID\t..."
    where = "tomtom output" if isinstance(source, io.StringIO) else str(source)
    try:
        df = pd.read_csv(io.StringIO("\n".join(lines) + "\n"), sep="\t", comment="#")
    except pd.errors.EmptyDataError:
        raise InputError(f"{where}: expected a Tomtom TSV header line, found no data") from None
    missing = {"Query_ID", "Target_ID", "p-value", "E-value"} - set(df.columns)
    if missing:
        raise InputError(f"{where}: expected Tomtom columns {sorted(missing)} in the header")
    if "Optimal_offset" not in df.columns:
        df["Optimal_offset"] = np.nan
    for col in ("q-value", "Overlap", "Orientation"):
        if col not in df.columns:
            df[col] = np.nan
    df["Query_ID"] = df["Query_ID"].astype(str)
    df["Target_ID"] = df["Target_ID"].astype(str)
    return df[list(TOMTOM_COLUMNS)].reset_index(drop=True)


def _tomtom_memelite(
    q_names: list[str],
    q_pwms: list[np.ndarray],
    t_names: list[str],
    t_pwms: list[np.ndarray],
    evalue_threshold: float,
    n_target_bins: int | None,
    n_jobs: int,
) -> pd.DataFrame:
    from memelite import tomtom

    # memelite's tomtom is MEME Tomtom's complete-score algorithm with the Euclidean column
    # distance: each column pair scores -sqrt(sum_b (q_b - t_b)^2), as MEME's `ed_scores` (the
    # default -dist, the one recorded in the authors' tomtom.xml). Both strands are tried and the
    # better p is corrected as 1 - (1 - p)^2, as MEME does. It applies NO pseudocount; the caller
    # applies MEME's (see tomtom_matches). It returns p-values only. n_target_bins=None turns off
    # its approximate merging of similar target columns: exact, and still ~0.02 s for 30 x 519.
    p, _scores, offsets, overlaps, strands = tomtom(
        [np.asfortranarray(q) for q in q_pwms],
        [np.ascontiguousarray(t) for t in t_pwms],
        n_target_bins=n_target_bins,
        n_jobs=n_jobs,
    )
    n_targets = len(t_pwms)
    evalue = p * n_targets  # MEME's definition: p times the number of target motifs
    qvalue = benjamini_hochberg(p)
    qi, ti = np.nonzero(evalue <= evalue_threshold)
    df = pd.DataFrame(
        {
            "Query_ID": np.asarray(q_names, dtype=object)[qi],
            "Target_ID": np.asarray(t_names, dtype=object)[ti],
            # memelite's offset: the target column (of the matched strand) that query column 0
            # faces. MEME's Optimal_offset may count from the other motif; treat it as informative.
            "Optimal_offset": offsets[qi, ti].astype(np.int64),
            "p-value": p[qi, ti],
            "E-value": evalue[qi, ti],
            "q-value": qvalue[qi, ti],
            "Overlap": overlaps[qi, ti].astype(np.int64),
            "Orientation": np.where(strands[qi, ti] > 0, "-", "+"),
        }
    )
    return df


def _tomtom_meme(
    q_names: list[str],
    q_pwms: list[np.ndarray],
    q_sites: list[int | None],
    t_names: list[str],
    t_pwms: list[np.ndarray],
    t_sites: list[int | None],
    evalue_threshold: float,
    tomtom_binary: str,
    pseudocount: float,
) -> pd.DataFrame:
    exe = shutil.which(tomtom_binary)
    if exe is None:
        raise InputError(
            f"config key motifs.tomtom: 'meme' asks for the MEME suite's tomtom, but "
            f"motifs.tomtom_binary {tomtom_binary!r} was not found on PATH; install the MEME suite "
            f"(conda package 'meme') or set motifs.tomtom to 'memelite'"
        )
    with tempfile.TemporaryDirectory(prefix="seqcnn_tomtom_") as tmp:
        tmp = Path(tmp)
        query_file, target_file = tmp / "query.meme", tmp / "target.meme"
        write_meme(list(zip(q_names, q_pwms, strict=True)), query_file, nsites=q_sites)
        write_meme(list(zip(t_names, t_pwms, strict=True)), target_file, nsites=t_sites, strands="+ -")
        # The authors' call is `tomtom -evalue -thresh 0.1 -o DIR query target` with every other
        # option at its default. -text sends the same TSV to stdout; -dist ed and -motif-pseudo
        # restate defaults (ed is what their tomtom.xml records) so a different MEME build cannot
        # change them silently.
        cmd = [
            exe,
            "-no-ssc",
            "-oc",
            str(tmp / "tomtom_out"),
            "-verbosity",
            "1",
            "-dist",
            "ed",
            "-motif-pseudo",
            f"{pseudocount:g}",
            "-evalue",
            "-thresh",
            f"{evalue_threshold:g}",
            "-text",
            str(query_file),
            str(target_file),
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"tomtom exited with status {result.returncode}: {' '.join(cmd)}\n{result.stderr.strip()[-2000:]}"
        )
    df = read_tomtom_tsv(io.StringIO(result.stdout))
    return df[df["E-value"] <= evalue_threshold]


def tomtom_matches(
    queries: Sequence[tuple],
    targets: Sequence[tuple],
    evalue_threshold: float = 0.1,
    method: str = "memelite",
    tomtom_binary: str = "tomtom",
    pseudocount: float = TOMTOM_PSEUDOCOUNT,
    n_target_bins: int | None = None,
    n_jobs: int = -1,
) -> pd.DataFrame:
    """Compare query motifs with target motifs by Tomtom and keep pairs with E <= threshold.

    Both methods follow the authors' ``tomtom -evalue -thresh 0.1`` with defaults: Euclidean
    column distance, complete scores, both target strands, uniform background, and MEME's motif
    pseudocount 0.1 applied to queries and targets, each weighted by its ``nsites``.

    Parameters
    ----------
    queries
        ``(name, pwm)`` or ``(name, pwm, nsites)`` tuples, ``pwm`` ``(4, W)``. A query without
        ``nsites`` counts as having its width, as in the filter MEME files (``nsites=width``).
    targets
        Same form. A target without ``nsites`` gets MEME's default of 20.
    evalue_threshold
        Keep pairs with ``E-value <= evalue_threshold``.
    method
        ``"memelite"`` (in process, default) or ``"meme"`` (the MEME suite's ``tomtom`` binary).
    tomtom_binary
        Name or path of MEME's ``tomtom`` for ``method="meme"``.
    pseudocount
        Tomtom's ``-motif-pseudo``.
    n_target_bins
        memelite only: approximate hashing of target columns (None = exact, the default).
    n_jobs
        memelite only: numba threads (-1 = all).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TOMTOM_COLUMNS`, one row per (query, target) pair passing the threshold,
        ordered by query (input order) then p-value. ``E-value = p-value * len(targets)``;
        ``q-value`` is Benjamini-Hochberg over each query's p-values (for memelite).

    Raises
    ------
    InputError
        For ``method="meme"`` when the binary is not on PATH, or for an unknown method.
    """
    if method not in ("memelite", "meme"):
        raise InputError(f"config key motifs.tomtom: expected 'memelite' or 'meme', got {method!r}")
    q_names, q_pwms, q_sites = _split_motifs(queries, "queries")
    t_names, t_pwms, t_sites = _split_motifs(targets, "targets")
    q_sites = [p.shape[1] if s is None else s for p, s in zip(q_pwms, q_sites, strict=True)]
    if not q_names or not t_names:
        return pd.DataFrame({c: [] for c in TOMTOM_COLUMNS})
    if method == "memelite":
        # Tomtom reads every motif with its pseudocount already in; memelite applies none, so the
        # same correction is made here. Filter files carry nsites = width, which is what makes
        # a 0 in a 16-wide filter 0.0015528 in the authors' tomtom.xml.
        t_eff = [MEME_DEFAULT_NSITES if s is None else s for s in t_sites]
        df = _tomtom_memelite(
            q_names,
            [apply_pseudocount(p, n, pseudocount) for p, n in zip(q_pwms, q_sites, strict=True)],
            t_names,
            [apply_pseudocount(p, n, pseudocount) for p, n in zip(t_pwms, t_eff, strict=True)],
            evalue_threshold,
            n_target_bins,
            n_jobs,
        )
    else:
        df = _tomtom_meme(
            q_names,
            q_pwms,
            q_sites,
            t_names,
            t_pwms,
            t_sites,
            evalue_threshold,
            tomtom_binary,
            pseudocount,
        )
    rank = {name: i for i, name in enumerate(q_names)}
    df = df.assign(_q=df["Query_ID"].map(rank)).sort_values(["_q", "p-value"], kind="stable")
    return df.drop(columns="_q").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Match statistics
# --------------------------------------------------------------------------------------------------


def match_fractions(
    matches: pd.DataFrame, n_filters: int, relevant_ids: Iterable[str] = KOO_EDDY_RELEVANT_IDS
) -> dict[str, float]:
    """Koo & Eddy's "% Motif match" statistics (spec sections 5.4-5.5), as fractions.

    Parameters
    ----------
    matches
        Tomtom table (already at the E-value threshold), with ``Query_ID`` and ``Target_ID``.
    n_filters
        Denominator: the number of filters in the layer (30 in the first layer of the paper).
    relevant_ids
        Ground-truth JASPAR IDs (versioned).

    Returns
    -------
    dict
        ``jaspar_match``: distinct filters with at least one hit / ``n_filters``;
        ``relevant_match``: distinct filters with at least one hit (not necessarily the best) whose
        ``Target_ID`` is relevant / ``n_filters``.
    """
    if n_filters <= 0:
        raise ValueError(f"n_filters must be positive, got {n_filters}")
    relevant = set(relevant_ids)
    any_hit = matches["Query_ID"].nunique()
    relevant_hit = matches.loc[matches["Target_ID"].isin(relevant), "Query_ID"].nunique()
    return {"jaspar_match": any_hit / n_filters, "relevant_match": relevant_hit / n_filters}


def best_matches(matches: pd.DataFrame, target_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Best (lowest E-value) target of each query that has any hit, e.g. for figure labels.

    Parameters
    ----------
    matches
        Tomtom table.
    target_names
        Target ID -> TF name (e.g. ``MA0079.3`` -> ``SP1``); without it the name column is empty.

    Returns
    -------
    pandas.DataFrame
        ``Query_ID``, ``Target_ID``, ``Target_name``, ``E-value``, ``p-value``; one row per query,
        in order of first appearance. Ties keep the first row (lowest p-value first in
        :func:`tomtom_matches` output).
    """
    order = matches.sort_values(["E-value", "p-value"], kind="stable")
    best = order.drop_duplicates("Query_ID", keep="first")
    first_seen = {q: i for i, q in enumerate(dict.fromkeys(matches["Query_ID"]))}
    best = best.assign(_o=best["Query_ID"].map(first_seen)).sort_values("_o")
    names = target_names or {}
    return pd.DataFrame(
        {
            "Query_ID": best["Query_ID"].to_numpy(),
            "Target_ID": best["Target_ID"].to_numpy(),
            "Target_name": [names.get(t, "") for t in best["Target_ID"]],
            "E-value": best["E-value"].to_numpy(dtype=np.float64),
            "p-value": best["p-value"].to_numpy(dtype=np.float64),
        }
    )


def annotate_filters(
    model: torch.nn.Module,
    X_test: np.ndarray | torch.Tensor,
    jaspar_meme_path: str | os.PathLike,
    out_meme: str | os.PathLike,
    out_tomtom_tsv: str | os.PathLike,
    out_stats_json: str | os.PathLike,
    layer: int = 0,
    relevant_ids: Iterable[str] = KOO_EDDY_RELEVANT_IDS,
    evalue_threshold: float = 0.1,
    method: str = "memelite",
    threshold: float = 0.5,
    window: int = 19,
    clip_threshold: float = 0.5,
    clip_pad: int = 3,
    batch_size: int = 500,
    device: str | torch.device | None = None,
    tomtom_binary: str = "tomtom",
    n_jobs: int = -1,
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Filter PWMs -> clipped MEME file -> Tomtom against JASPAR -> match statistics, for one model.

    Writes the clipped filter motifs (``filter0`` ... ``filter{F-1}``, ``nsites`` = width), the
    Tomtom matches (TSV, :data:`TOMTOM_COLUMNS`) and a JSON summary: ``n_filters``, ``layer``,
    ``jaspar_match``, ``relevant_match``, ``n_targets``, ``evalue_threshold``, ``method`` and per
    filter ``n_sites``, ``clipped_width``, ``best_match_id``, ``best_match_name``,
    ``best_match_evalue`` and ``relevant_hit``. Every output is written atomically.

    A filter with no selected site (dead: it never activates on ``X_test``) has no PWM; it is
    written to the MEME file as zeros, kept out of Tomtom, and still counts in the denominator.

    Parameters
    ----------
    model, X_test, layer, threshold, window, batch_size, device
        As in :func:`activation_pwms`; ``X_test`` is the test set, ``(N, L)`` uint8 codes.
    jaspar_meme_path
        Target database, e.g. written by :func:`write_jaspar_meme`.
    out_meme, out_tomtom_tsv, out_stats_json
        Output paths.
    relevant_ids
        Ground-truth IDs for ``relevant_match``.
    evalue_threshold, method, tomtom_binary, n_jobs
        As in :func:`tomtom_matches` (give ``n_jobs`` the rule's ``threads``).
    clip_threshold, clip_pad
        As in :func:`clip_pwm`.
    metadata
        Extra keys for the JSON summary (e.g. ``model`` and ``trial``, so that tables can be built
        from the files alone).

    Returns
    -------
    dict
        The JSON summary.
    """
    relevant = list(relevant_ids)
    pwms, n_sites = activation_pwms(
        model, X_test, layer=layer, threshold=threshold, window=window,
        batch_size=batch_size, device=device,
    )  # fmt: skip
    names = [f"filter{j}" for j in range(len(pwms))]
    clipped = [clip_pwm(p, clip_threshold, clip_pad) for p in pwms]
    write_meme(list(zip(names, clipped, strict=True)), out_meme, nsites="width")

    targets = read_meme(jaspar_meme_path, nsites=True)
    target_names = {t[0]: t[1] for t in targets}
    queries = [(n, c) for n, c, s in zip(names, clipped, n_sites, strict=True) if s > 0]
    matches = tomtom_matches(
        queries,
        [(t[0], t[2], t[3]) for t in targets],
        evalue_threshold=evalue_threshold,
        method=method,
        tomtom_binary=tomtom_binary,
        n_jobs=n_jobs,
    )
    write_tsv(matches, out_tomtom_tsv)

    fractions = match_fractions(matches, len(names), relevant)
    best = best_matches(matches, target_names).set_index("Query_ID")
    # The best ground-truth hit may rank below a paralog (MAFF above MAFK); figures show both.
    best_relevant = best_matches(matches[matches["Target_ID"].isin(set(relevant))], target_names)
    best_relevant = best_relevant.set_index("Query_ID")
    per_filter = []
    for name, c, s in zip(names, clipped, n_sites, strict=True):
        row = best.loc[name] if name in best.index else None
        rel = best_relevant.loc[name] if name in best_relevant.index else None
        per_filter.append(
            {
                "filter": name,
                "n_sites": int(s),
                "clipped_width": int(c.shape[1]),
                "best_match_id": None if row is None else str(row["Target_ID"]),
                "best_match_name": None if row is None else str(row["Target_name"]),
                "best_match_evalue": None if row is None else float(row["E-value"]),
                "relevant_hit": rel is not None,
                "best_relevant_id": None if rel is None else str(rel["Target_ID"]),
                "best_relevant_name": None if rel is None else str(rel["Target_name"]),
            }
        )
    stats = {
        **(metadata or {}),
        "n_filters": len(names),
        "layer": layer,
        "jaspar_match": fractions["jaspar_match"],
        "relevant_match": fractions["relevant_match"],
        "n_targets": len(targets),
        "evalue_threshold": evalue_threshold,
        "method": method,
        "filters": per_filter,
    }
    write_json(stats, out_stats_json)
    return stats


def annotate_run(
    run_dir: str | os.PathLike,
    dataset_dir: str | os.PathLike,
    jaspar_meme_path: str | os.PathLike,
    out_meme: str | os.PathLike,
    out_tomtom_tsv: str | os.PathLike,
    out_stats_json: str | os.PathLike,
    layer: int = 0,
    split: str = "test",
    **kwargs: Any,
) -> dict[str, Any]:
    """:func:`annotate_filters` for a trained run directory on one split of its dataset.

    Works for any run whose model reads sequence only and serves ``conv_activations`` for ``layer``
    (``MODELS[name].annotatable_layers``): the Koo & Eddy models and the zoo's first-layer convs. A
    run trained on the central ``crop`` bp of each sequence (``settings.json`` key ``crop``) sees the
    same crop here. The stats JSON records the run's ``model``, ``trial`` and ``split``. ``kwargs`` are
    passed on to :func:`annotate_filters`.

    Raises
    ------
    InputError
        For a run whose model reads signal tracks, or a layer the model cannot annotate.
    """
    from .datasets import load_split

    settings = read_settings(run_dir)
    inputs = list(settings.get("inputs", ["sequence"]))
    if inputs != ["sequence"]:
        raise InputError(
            f"{Path(run_dir) / 'settings.json'}: model {settings['model']!r} reads {', '.join(inputs)}; "
            "filter annotation needs a model that reads sequence only"
        )
    model = load_run(run_dir, device=kwargs.get("device"))
    X, _ = load_split(dataset_dir, split)
    window = crop_window(X.shape[1], settings.get("crop"))
    if window is not None:
        X = X[:, window]
    metadata = {"model": settings["model"], "trial": settings["trial"], "split": split}
    return annotate_filters(
        model, X, jaspar_meme_path, out_meme, out_tomtom_tsv, out_stats_json, layer=layer,
        metadata=metadata, **kwargs,
    )  # fmt: skip
