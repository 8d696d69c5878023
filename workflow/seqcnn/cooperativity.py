"""DeepSTARR's in-silico motif-distance experiment: how two motifs cooperate as their gap grows.

De Almeida et al. (2022, Fig. 5) embedded motif 1 at the centre of neutral backbones and motif 2 at every
distance upstream and downstream, and asked how the predicted activity of the pair compares with what the
two motifs give alone. :func:`measure_cooperativity` runs that experiment on any sequence regression model
``(N, 4, L) -> (N, T)`` of log2 activity:

* backbones are dinucleotide-shuffled copies of the lowest-activity test sequences (tangermeme's
  ``dinucleotide_shuffle``), kept when their predicted activity is in the bottom ``keep_fraction``;
* per backbone the model predicts ``B0`` (backbone), ``A`` (motif 1 at the centre), ``B_d`` (motif 2 alone
  at gap ``d``) and ``AB_d`` (both); motifs are written in with tangermeme's ``substitute``;
* two nulls give the cooperativity: additive ``2^AB / (2^A + 2^B - 2^B0)`` (as SeqExplainer's
  re-implementation) and multiplicative ``2^(AB - A - B + B0)``; 1 means no interaction, > 1 synergy;
* the curve is the median over backbones per (task, pair, orientation, side, gap), and each curve is
  given one of the spec's three modes from its medians in distance bins (:func:`classify_mode`).

tangermeme's ``space`` is not used: it places the whole arrangement (not motif 1) at the centre, puts the
motifs in list order only, and predicts the backbones again for every spacing; here motif 1 stays put,
motif 2 goes on both sides, and predictions of a motif alone are shared by every pair that places it
there. Predictions go through :func:`seqcnn.predict.predict`, as every analysis of a trained run does.

The gap is the toy genome's: bp between the end of the upstream motif and the start of the downstream one,
so a toy's planted cooperative range (``truth.json``) lines up with the curves. Placements where the motifs
would overlap (gap < 0) or run off the window are skipped.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from .datasets import load_meta, load_split
from .errors import InputError
from .io import write_tsv
from .predict import crop_window, load_run, predict, read_settings
from .sequence import one_hot

log = logging.getLogger("seqcnn.cooperativity")

#: Strand of motif 1 then motif 2 ("+-": motif 1 forward, motif 2 reverse-complemented).
ORIENTATIONS = ("++", "+-", "-+", "--")
#: The two nulls against which cooperativity is measured.
NULLS = ("additive", "multiplicative")
#: Mode 0 means none of the three modes fits.
MODE_NAMES = {0: "none", 1: "close-range only", 2: "decays with distance", 3: "distance-independent"}
_COMPLEMENT = str.maketrans("ACGT", "TGCA")


def reverse_complement(seq: str) -> str:
    return seq.translate(_COMPLEMENT)[::-1]


def consensus(probs: np.ndarray) -> str:
    """The most likely base of each column of a ``(4, W)`` ACGT probability (or count) matrix."""
    return "".join("ACGT"[i] for i in np.asarray(probs).argmax(axis=0))


def truth_motifs(truth_path: str | os.PathLike) -> list[dict[str, str]]:
    """The STARR-seq motifs a toy genome planted, as ``{name, sequence, task}`` (JASPAR consensus).

    Parameters
    ----------
    truth_path
        The toy genome's ``truth.json``.
    """
    from .jaspar import fetch_motifs, select_motifs

    truth = json.loads(Path(truth_path).read_text())
    tasks = truth.get("starr", {}).get("tasks", {})
    if not tasks:
        raise InputError(f"{truth_path}: no STARR-seq tasks; expected a toy genome with planted motif pairs")
    release = next(iter(truth["motifs"].values()))["release"]
    entries = [
        (task, name, mid)
        for task, t in tasks.items()
        for name, mid in zip(t["motifs"], t["matrix_ids"], strict=True)
    ]
    found = select_motifs(fetch_motifs(release=release), [e[2] for e in entries], str(truth_path))
    return [
        {"name": name, "sequence": consensus(m.counts), "task": task}
        for (task, name, _), m in zip(entries, found, strict=True)
    ]


def planted_rule(truth_path: str | os.PathLike | None) -> dict[str, Any] | None:
    """``{"pairs": {task: [motif, motif]}, "pair_gap": [lo, hi]}`` from a toy's ``truth.json``, or None."""
    if truth_path is None:
        return None
    truth = json.loads(Path(truth_path).read_text())
    starr = truth.get("starr")
    if not starr:
        return None
    return {
        "pairs": {task: list(t["cooperative_pair"]) for task, t in starr["tasks"].items()},
        "pair_gap": list(starr["rule"]["pair_gap"]),
    }


def check_motifs(motifs: Sequence[Mapping[str, str]], tasks: Sequence[str], length: int, key: str) -> None:
    """Motifs are ``{name, sequence, task}`` with unique names, ACGT sequences and tasks the model
    predicts, and every same-task pair (homotypic ones included) fits side by side in the window.

    Raises
    ------
    InputError
        Naming ``key`` (e.g. ``motifs[2].task``) and what was expected.
    """
    if not motifs:
        raise InputError(f"config key {key}: no motifs; expected a list of {{name, sequence, task}}")
    names = [m["name"] for m in motifs]
    for i, m in enumerate(motifs):
        if m["task"] not in tasks:
            raise InputError(
                f"config key {key}[{i}].task: {m['task']!r} is not a task of the model; expected one of "
                f"{', '.join(tasks)}"
            )
        seq = str(m["sequence"]).upper()
        if not seq or set(seq) - set("ACGT"):
            raise InputError(
                f"config key {key}[{i}].sequence: {m['sequence']!r}; expected a non-empty A/C/G/T sequence"
            )
        if m["name"] in names[:i]:
            raise InputError(f"config key {key}[{i}].name: {m['name']!r} given twice; expected unique names")
        # Homotypic pairs are measured too: two copies of the longest motif must fit side by side.
        if 2 * len(seq) > length:
            raise InputError(
                f"config key {key}[{i}].sequence: {len(seq)} bp, so two copies (its homotypic pair) do not "
                f"fit the {length}-bp window; expected at most {length // 2} bp"
            )


def motif_pairs(motifs: Sequence[Mapping[str, str]]) -> list[tuple[dict, dict]]:
    """Every (motif 1, motif 2) of the same task, homotypic pairs included, in the order given."""
    return [(dict(a), dict(b)) for a in motifs for b in motifs if a["task"] == b["task"]]


def placements(length: int, width1: int, width2: int, max_distance: int) -> pd.DataFrame:
    """Where motif 2 goes around motif 1 at the window centre.

    Motif 1 starts at ``(length - width1) // 2``. Motif 2 goes upstream and downstream at every gap
    ``0 .. max_distance`` (bp between the end of the upstream motif and the start of the downstream one);
    overlapping placements (gap < 0) are never made and those running off the window are skipped.

    Returns
    -------
    DataFrame
        ``side`` (upstream / downstream), ``gap``, ``offset`` (signed: negative upstream), ``start1``,
        ``start2``.
    """
    start1 = (length - width1) // 2
    rows = []
    for gap in range(max_distance + 1):
        up = start1 - gap - width2
        if up >= 0:
            rows.append(("upstream", gap, -gap, start1, up))
        down = start1 + width1 + gap
        if down + width2 <= length:
            rows.append(("downstream", gap, gap, start1, down))
    return pd.DataFrame(rows, columns=["side", "gap", "offset", "start1", "start2"])


def embed(X: torch.Tensor, seq: str, start: int) -> torch.Tensor:
    """A copy of one-hot ``X`` ``(N, 4, L)`` with ``seq`` written at ``start`` (tangermeme's substitute)."""
    from tangermeme.ersatz import substitute

    return substitute(X, seq, start=start)


def make_backbones(
    model: nn.Module,
    X: np.ndarray,
    y: np.ndarray,
    n_backbones: int = 100,
    keep_fraction: float = 0.5,
    seed: int = 0,
    batch_size: int = 1024,
    device: str | torch.device | None = None,
) -> tuple[torch.Tensor, np.ndarray]:
    """Neutral backbones: dinucleotide-shuffled low-activity sequences the model predicts low.

    The ``n_backbones`` sequences without N with the lowest mean measured activity are shuffled once each
    (more shuffles of each when there are fewer sequences), and the shuffles whose mean predicted activity
    is in the bottom ``keep_fraction`` are kept.

    Parameters
    ----------
    model
        A regression model ``(N, 4, L) -> (N, T)``.
    X, y
        ``(N, L)`` codes and ``(N, T)`` measured activity (a test split).

    Returns
    -------
    backbones : Tensor
        ``(K, 4, L)`` float one-hot, ``K = ceil(n_backbones * keep_fraction)``.
    predicted : ndarray
        ``(K, T)`` predicted activity of each backbone.
    """
    from tangermeme.ersatz import dinucleotide_shuffle

    clean = np.flatnonzero((np.asarray(X) < 4).all(axis=1))
    if len(clean) == 0:
        raise InputError("no test sequence without N to shuffle into backbones")
    lowest = clean[np.argsort(np.asarray(y)[clean].mean(axis=1), kind="stable")[:n_backbones]]
    per = math.ceil(n_backbones / len(lowest))
    source = one_hot(torch.as_tensor(np.asarray(X)[lowest].astype(np.int64)))
    shuffled = dinucleotide_shuffle(source, n=per, random_state=seed)  # (S, per, 4, L)
    shuffled = shuffled.transpose(0, 1).reshape(-1, *source.shape[1:])[:n_backbones].float()
    pred = predict(model, shuffled, batch_size=batch_size, device=device, task="regression")
    keep = max(1, math.ceil(n_backbones * keep_fraction))
    order = np.argsort(pred.mean(axis=1), kind="stable")[:keep]
    return shuffled[order], pred[order]


def cooperativity_nulls(
    B0: np.ndarray, A: np.ndarray, B: np.ndarray, AB: np.ndarray
) -> dict[str, np.ndarray]:
    """Cooperativity of log2 activities against the two nulls (broadcasting; NaN where the additive
    denominator ``2^A + 2^B - 2^B0`` is not positive)."""
    denom = 2.0**A + 2.0**B - 2.0**B0
    with np.errstate(divide="ignore", invalid="ignore"):
        additive = np.where(denom > 0, 2.0**AB / np.where(denom > 0, denom, 1.0), np.nan)
    return {"additive": additive, "multiplicative": 2.0 ** (AB - A - B + B0)}


def measure_pairs(
    model: nn.Module,
    backbones: torch.Tensor,
    motifs: Sequence[Mapping[str, str]],
    tasks: Sequence[str],
    max_distance: int = 125,
    orientations: Sequence[str] = ORIENTATIONS,
    batch_size: int = 1024,
    device: str | torch.device | None = None,
) -> pd.DataFrame:
    """Median cooperativity curves of every same-task motif pair on ``backbones``.

    Parameters
    ----------
    model
        A regression model ``(N, 4, L) -> (N, T)`` of log2 activity, outputs in the order of ``tasks``.
    backbones
        ``(K, 4, L)`` float one-hot.
    motifs
        ``{name, sequence, task}``; pairs are :func:`motif_pairs` of them.
    tasks
        The model's output names.
    max_distance
        Largest gap in bp.
    orientations
        Strand pairs of :data:`ORIENTATIONS`.

    Returns
    -------
    DataFrame
        One row per (task, motif1, motif2, orientation, side, gap): ``offset``, ``n_backbones``, medians
        of ``B0``, ``A``, ``B``, ``AB`` and of ``coop_additive`` and ``coop_multiplicative``.
    """
    K, length = backbones.shape[0], backbones.shape[-1]

    def run(X: torch.Tensor) -> np.ndarray:
        return predict(model, X, batch_size=batch_size, device=device, task="regression")

    B0 = run(backbones)  # (K, T)
    single: dict[tuple[str, int], np.ndarray] = {}

    def alone(seq: str, starts: Sequence[int]) -> np.ndarray:
        """``(len(starts), K, T)``: one motif alone at each start, predicted once for every pair that
        places it there, in one batch."""
        missing = [s for s in dict.fromkeys(starts) if (seq, s) not in single]
        if missing:
            out = run(torch.cat([embed(backbones, seq, s) for s in missing])).reshape(len(missing), K, -1)
            single.update({(seq, s): o for s, o in zip(missing, out, strict=True)})
        return np.stack([single[(seq, s)] for s in starts])

    rows = []
    for m1, m2 in motif_pairs(motifs):
        t = list(tasks).index(m1["task"])
        seq1_fwd, seq2_fwd = m1["sequence"].upper(), m2["sequence"].upper()
        places = placements(length, len(seq1_fwd), len(seq2_fwd), max_distance)
        if places.empty:
            continue
        starts2 = [int(s) for s in places["start2"]]
        start1 = int(places["start1"].iloc[0])
        for orientation in orientations:
            seq1 = seq1_fwd if orientation[0] == "+" else reverse_complement(seq1_fwd)
            seq2 = seq2_fwd if orientation[1] == "+" else reverse_complement(seq2_fwd)
            A = alone(seq1, [start1])[0]
            B = alone(seq2, starts2)
            with_a = embed(backbones, seq1, start1)
            AB = run(torch.cat([embed(with_a, seq2, s) for s in starts2])).reshape(len(starts2), K, -1)
            nulls = cooperativity_nulls(B0[None, :, t], A[None, :, t], B[:, :, t], AB[:, :, t])
            for i, place in enumerate(places.itertuples(index=False)):
                rows.append(
                    {
                        "task": m1["task"],
                        "motif1": m1["name"],
                        "motif2": m2["name"],
                        "orientation": orientation,
                        "side": place.side,
                        "gap": place.gap,
                        "offset": place.offset,
                        "n_backbones": K,
                        "B0": float(np.median(B0[:, t])),
                        "A": float(np.median(A[:, t])),
                        "B": float(np.median(B[i, :, t])),
                        "AB": float(np.median(AB[i, :, t])),
                        "coop_additive": float(np.nanmedian(nulls["additive"][i])),
                        "coop_multiplicative": float(np.median(nulls["multiplicative"][i])),
                    }
                )
    return pd.DataFrame(rows)


def bin_labels(bins: Sequence[int]) -> list[str]:
    return [f"bin_{lo}_{hi}" for lo, hi in zip(bins[:-1], bins[1:], strict=False)]


def classify_mode(
    values: Sequence[float], strong: float = 1.2, weak: float = 1.1, flat_ratio: float = 1.25
) -> int:
    """The spec's cooperativity mode of median cooperativity per distance bin (first bin = closest).

    Mode 1 (close-range only): the first bin reaches ``strong`` and every later bin is below ``weak``.
    Mode 3 (distance-independent): every bin reaches ``weak`` and max / min is at most ``flat_ratio``.
    Mode 2 (decays with distance): the first bin reaches ``strong``, the bins never increase, and every
    later bin stays at or above ``weak``. Mode 3 is tried before mode 2, since a flat curve that happens
    to decrease is both. Empty bins (NaN: no gap of the bin fits the window) are left out; 0 means none.
    """
    v = np.asarray(values, dtype=float)
    first, later = v[0], v[1:][~np.isnan(v[1:])]
    if np.isnan(first) or len(later) == 0:
        return 0
    every = np.concatenate([[first], later])
    if first >= strong and (later < weak).all():
        return 1
    if (every >= weak).all() and every.max() / every.min() <= flat_ratio:
        return 3
    if first >= strong and (np.diff(every) <= 0).all() and (later >= weak).all():
        return 2
    return 0


def curve_modes(
    curves: pd.DataFrame,
    bins: Sequence[int] = (0, 25, 50, 75, 100, 125),
    strong: float = 1.2,
    weak: float = 1.1,
    flat_ratio: float = 1.25,
) -> pd.DataFrame:
    """Median cooperativity per distance bin (both sides pooled) and mode, per (task, motif1, motif2,
    orientation, null), with the curves' ``homotypic`` and ``planted`` columns when they have them.
    Bins are ``[lo, hi)``, the last one closed."""
    labels = bin_labels(bins)
    rows = []
    keys = [k for k in ("task", "motif1", "motif2", "homotypic", "planted", "orientation") if k in curves]
    for key, group in curves.groupby(keys, sort=False):
        cut = pd.cut(group["gap"], list(bins), labels=labels, right=False, include_lowest=True)
        cut[group["gap"] == bins[-1]] = labels[-1]
        for null in NULLS:
            per_bin = group[f"coop_{null}"].groupby(cut, observed=False).median().reindex(labels)
            mode = classify_mode(per_bin.to_numpy(), strong, weak, flat_ratio)
            rows.append(
                {
                    **dict(zip(keys, key, strict=True)),
                    "null": null,
                    **per_bin.to_dict(),
                    "mode": mode,
                    "mode_name": MODE_NAMES[mode],
                }
            )
    return pd.DataFrame(rows)


def measure_cooperativity(
    run_dir: str | os.PathLike,
    dataset_dir: str | os.PathLike,
    curves_path: str | os.PathLike,
    modes_path: str | os.PathLike,
    truth_path: str | os.PathLike | None = None,
    motifs: Sequence[Mapping[str, str]] | None = None,
    backbones: int = 100,
    keep_fraction: float = 0.5,
    max_distance: int = 125,
    orientations: Sequence[str] = ORIENTATIONS,
    bins: Sequence[int] = (0, 25, 50, 75, 100, 125),
    strong: float = 1.2,
    weak: float = 1.1,
    flat_ratio: float = 1.25,
    seed: int = 0,
    batch_size: int = 1024,
    device: str | torch.device | None = None,
) -> pd.DataFrame:
    """Run the motif-distance experiment on one trained run; write ``curves.tsv`` and ``modes.tsv``.

    Parameters
    ----------
    run_dir
        A trained regression run (``settings.json``, ``model.pt``).
    dataset_dir
        The dataset it was trained on (the test split gives the backbones).
    curves_path, modes_path
        Outputs: :func:`measure_pairs`'s curves with ``homotypic`` and ``planted`` columns, and
        :func:`curve_modes`'s bins and modes.
    truth_path
        A toy genome's ``truth.json``: the default motifs (its STARR-seq motifs' JASPAR consensus) and
        which pairs are the planted cooperative ones.
    motifs
        ``{name, sequence, task}`` to use instead of the toy's.
    backbones, keep_fraction
        Backbones made, and the fraction with the lowest predicted activity kept.
    max_distance
        Largest gap in bp.
    orientations
        Strand pairs (motif 1, motif 2) of :data:`ORIENTATIONS`.
    bins, strong, weak, flat_ratio
        Distance bins and thresholds of :func:`classify_mode`.
    seed
        Seed of the dinucleotide shuffles.
    """
    settings = read_settings(run_dir)
    meta = load_meta(dataset_dir)
    if meta.get("task") != "regression":
        raise InputError(
            f"{dataset_dir}: a {meta.get('task', 'binary')} dataset; expected log2 activity regression"
        )
    tasks = list(settings["classes"])
    if motifs is None:
        if truth_path is None:
            raise InputError(
                "config key motifs: none given and the dataset has no toy truth; expected a list"
            )
        motifs = truth_motifs(truth_path)
        motifs = [m for m in motifs if m["task"] in tasks]
    motifs = [{**m, "sequence": str(m["sequence"]).upper()} for m in motifs]
    X, y = load_split(dataset_dir, "test")
    window = crop_window(X.shape[-1], settings.get("crop"))
    if window is not None:
        X = X[:, window]
    check_motifs(motifs, tasks, X.shape[-1], "motifs")
    y = y[:, [list(meta["classes"]).index(t) for t in tasks]]
    model = load_run(run_dir, device=device)
    bb, pred = make_backbones(model, X, y, backbones, keep_fraction, seed, batch_size, device)
    log.info("%d backbones, predicted activity %s", len(bb), np.round(pred.mean(axis=0), 3).tolist())
    curves = measure_pairs(model, bb, motifs, tasks, max_distance, orientations, batch_size, device)
    curves.insert(3, "homotypic", curves["motif1"] == curves["motif2"])
    rule = planted_rule(truth_path)
    if rule is not None:
        planted = {(t, a, b) for t, pair in rule["pairs"].items() for a in pair for b in pair if a != b}
        curves.insert(
            4,
            "planted",
            [k in planted for k in zip(curves["task"], curves["motif1"], curves["motif2"], strict=True)],
        )
    modes = curve_modes(curves, bins, strong, weak, flat_ratio)
    write_tsv(curves, curves_path, float_format="%.5g")
    write_tsv(modes, modes_path, float_format="%.5g")
    return modes


def summarize_cooperativity(
    modes_paths: Sequence[str | os.PathLike], models: Sequence[str], out_tsv: str | os.PathLike
) -> pd.DataFrame:
    """The study table: every measured model's ``modes.tsv``, with a ``model`` column first."""
    tables = [pd.read_csv(p, sep="\t").assign(model=m) for p, m in zip(modes_paths, models, strict=True)]
    table = pd.concat(tables, ignore_index=True)
    table = table[["model", *[c for c in table.columns if c != "model"]]]
    write_tsv(table, out_tsv, float_format="%.4g")
    return table
