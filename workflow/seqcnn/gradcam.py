"""Grad-CAM maps of a CNN and DECODE's core-enhancer calling from them (spec section f).

:func:`gradcam` computes Selvaraju et al.'s class activation map from one conv layer: the gradient of the
score with respect to the layer's feature maps ``A^k``, averaged over positions, weights the channels,
``cam = ReLU(sum_k alpha_k A^k)``, and the map is resized linearly to the input's positions (the bins of a
track window). The layer is one of :func:`conv_layers`, by default the last, which for DECODE is
``conv2d_7`` taken as DECODE does, after its ReLU and before the squeeze-excite rescaling. DECODE targets
the sigmoid probability and divides the gradients by their root mean square over a whole batch of 1,000
windows, so its maps depend on which windows share a batch; ``normalize="per_window"`` (the default) takes
the root mean square over each window's own gradients instead.

:func:`call_core_enhancers` follows DECODE's calling: windows predicted positive (p > 0.5) are merged into
the "original" annotation; every bin of a predicted window gets its Grad-CAM value; bins above the mean over
all bins of all predicted windows are kept and adjacent kept bins merged (score = their mean), which gives
the "refined" core enhancers at bin resolution. :func:`call_run_core_enhancers` runs both on one trained
run's test windows and checks the maps against what a toy genome planted: the fraction of base pairs inside
planted STARR-seq elements (refined against original), Grad-CAM on negatives, and the same maps from a
re-initialised model (an Adebayo-style randomisation test).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from scipy.stats import spearmanr
from torch import nn

from .datasets import load_meta, load_split, load_tracks
from .errors import InputError
from .genome import merge_intervals
from .io import atomic_path, write_tsv
from .predict import call_model, input_batches, load_run, model_from_settings, pick_device, read_settings
from .zoo import Conv2dSE

log = logging.getLogger("seqcnn.gradcam")

TARGETS = ("probability", "logit")
NORMALIZATIONS = ("none", "per_window", "decode_batch")
#: Guards the gradient normalisation of a window (or batch) whose gradients are all zero.
_EPS = 1e-12


def conv_layers(model: nn.Module) -> list[tuple[str, nn.Module, bool]]:
    """The conv layers Grad-CAM can read, in the order the model defines them.

    Returns
    -------
    list of tuple
        ``(name, module, use_input)``: the feature maps are the output of ``module`` or, when
        ``use_input``, its input. A DECODE :class:`~seqcnn.zoo.Conv2dSE` layer is read at the input of
        its squeeze-excite block (after the ReLU, before the rescaling, as DECODE's ``conv2d_7``); any
        other ``Conv1d`` or ``Conv2d`` at its output.
    """
    layers: list[tuple[str, nn.Module, bool]] = []
    inside: set[int] = set()
    for name, module in model.named_modules():
        if isinstance(module, Conv2dSE):
            layers.append((f"{name}.se", module.se, True))
            inside.update(id(m) for m in module.modules())
        elif isinstance(module, nn.Conv1d | nn.Conv2d) and id(module) not in inside:
            layers.append((name, module, False))
    return layers


def pick_layer(
    model: nn.Module, layer: int | None = None, name: str = "model"
) -> tuple[str, nn.Module, bool]:
    """One of :func:`conv_layers` (0-based; None or -1: the last).

    Raises
    ------
    InputError
        When the model has no conv layer, or ``layer`` is past its conv layers.
    """
    layers = conv_layers(model)
    if not layers:
        raise InputError(
            f"config key models: {name} has no conv layer over its input; Grad-CAM needs a CNN "
            "(expected a model such as decode)"
        )
    if layer is None or layer == -1:
        return layers[-1]
    if not 0 <= layer < len(layers):
        raise InputError(
            f"config key layer: {layer} is past {name}'s conv layers; expected 0..{len(layers) - 1} "
            "(or null for the last)"
        )
    return layers[layer]


def _check_choice(key: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise InputError(f"config key {key}: {value!r}; expected one of: {', '.join(allowed)}")


def _resize(cam: torch.Tensor, length: int) -> torch.Tensor:
    """``(N, P)`` or ``(N, H, P)`` maps -> ``(N, length)``, linear with half-pixel centres.

    A 2-D map is resized bilinearly to one row, as DECODE's ``cv2.resize(cam, (length, 1), INTER_LINEAR)``
    and captum's ``LayerAttribution.interpolate``: the row sampled is the map's middle, which is the mean
    of the rows for H = 2 (the 2-kb model) and the middle row for odd H; DECODE v8's ``conv2d_7`` has
    H = 1. The map's positions are spread over the whole window, as DECODE does, although a valid conv
    before the layer leaves its edge positions' receptive fields a few bins inside the window.
    """
    if cam.dim() == 2:
        return F.interpolate(cam[:, None], size=length, mode="linear", align_corners=False)[:, 0]
    return F.interpolate(cam[:, None], size=(1, length), mode="bilinear", align_corners=False)[:, 0, 0]


def gradcam(
    model: nn.Module,
    X: np.ndarray | torch.Tensor | None = None,
    tracks: np.ndarray | torch.Tensor | None = None,
    *,
    layer: int | None = None,
    target: str = "probability",
    normalize: str = "per_window",
    output: int = 0,
    length: int | None = None,
    batch_size: int = 1000,
    device: str | torch.device | None = None,
) -> np.ndarray:
    """Grad-CAM maps of ``model`` from one conv layer, resized to the input's positions.

    Parameters
    ----------
    model
        Any module with a conv layer (:func:`conv_layers`); its ``inputs`` attribute says what it reads.
        It is put in eval mode.
    X
        ``(N, L)`` codes or ``(N, 4, L)`` one-hot, for a model that reads sequence.
    tracks
        ``(N, K, B)`` binned (or ``(N, K, L)`` per-base) tracks, for a model that reads them.
    layer
        0-based index into :func:`conv_layers` (None: the last).
    target
        ``"probability"`` (the sigmoid of the output, as DECODE) or ``"logit"``.
    normalize
        ``"none"``; ``"per_window"``: each window's gradients divided by their root mean square over the
        layer; ``"decode_batch"``: divided by the root mean square over the whole batch (DECODE), so maps
        depend on ``batch_size`` and on which windows share a batch.
    output
        Output column ``T`` whose score is explained.
    length
        Positions of the returned maps (default: the input's last axis, the sequence for a model that
        reads both).
    batch_size
        Windows per backward pass.
    device
        None or ``"auto"``: CUDA when present.

    Returns
    -------
    numpy.ndarray
        ``(N, length)`` float32, non-negative.

    Raises
    ------
    InputError
        For a model without conv layers, a layer past them, or an unknown ``target`` / ``normalize``.
    """
    _check_choice("target", target, TARGETS)
    _check_choice("normalize", normalize, NORMALIZATIONS)
    dev = pick_device(device)
    model = model.to(dev).eval()
    name = type(model).__name__
    _, module, use_input = pick_layer(model, layer, name)
    wanted = getattr(model, "inputs", ("sequence",))
    source = X if "sequence" in wanted else tracks
    if source is None:
        raise ValueError(f"{name} reads {' and '.join(wanted)}; pass them")
    length = int(length or np.shape(source)[-1])
    captured: list[torch.Tensor] = []

    def keep(_module, args, out=None):
        captured.append(args[0] if use_input else out)

    hook = module.register_forward_pre_hook(keep) if use_input else module.register_forward_hook(keep)
    maps = []
    try:
        batches = input_batches(
            X if "sequence" in wanted else None,
            tracks if "tracks" in wanted else None,
            batch_size=batch_size,
            device=dev,
        )
        for batch in batches:
            captured.clear()
            with torch.enable_grad():
                score = call_model(model, batch)[:, output]
                if target == "probability":
                    score = torch.sigmoid(score)
                A = captured[-1]
                # Windows do not interact in eval mode, so the gradient of the sum is each window's own.
                (grads,) = torch.autograd.grad(score.sum(), A)
            A, grads = A.detach(), grads.detach()
            spatial = tuple(range(2, A.dim()))
            if normalize == "per_window":
                grads = grads / (grads.pow(2).mean(dim=(1, *spatial), keepdim=True).sqrt() + _EPS)
            elif normalize == "decode_batch":
                grads = grads / (grads.pow(2).mean().sqrt() + _EPS)
            alpha = grads.mean(dim=spatial, keepdim=True)
            cam = F.relu((alpha * A).sum(dim=1))
            maps.append(_resize(cam, length).float().cpu())
    finally:
        hook.remove()
    return torch.cat(maps).numpy() if maps else np.zeros((0, length), np.float32)


# --- core-enhancer calling -------------------------------------------------------------------------------


def _merge_frame(chroms: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> pd.DataFrame:
    """Merged (overlapping or book-ended) intervals, ``chrom, start, end``, sorted."""
    rows = []
    for chrom in sorted(set(chroms)):
        on = chroms == chrom
        s, e = merge_intervals(starts[on], ends[on])
        rows.append(pd.DataFrame({"chrom": chrom, "start": s, "end": e}))
    if not rows:
        return pd.DataFrame({"chrom": pd.Series(dtype=str), "start": [], "end": []}).astype(
            {"start": np.int64, "end": np.int64}
        )
    return pd.concat(rows, ignore_index=True)


def _merge_scored(chroms, starts, ends, scores) -> pd.DataFrame:
    """Merged intervals with the mean score of the intervals merged into each (``bedtools merge -o mean``)."""
    merged = _merge_frame(chroms, starts, ends)
    score = np.zeros(len(merged))
    for i, (chrom, start, end) in enumerate(merged[["chrom", "start", "end"]].itertuples(index=False)):
        inside = (chroms == chrom) & (starts >= start) & (ends <= end)
        score[i] = float(np.mean(scores[inside]))
    merged["score"] = score
    return merged


def interval_bp(frame: pd.DataFrame) -> int:
    """Base pairs covered by a frame of ``chrom, start, end`` intervals (overlaps counted once)."""
    if len(frame) == 0:
        return 0
    merged = _merge_frame(frame["chrom"].to_numpy(), frame["start"].to_numpy(), frame["end"].to_numpy())
    return int((merged["end"] - merged["start"]).sum())


def overlap_bp(regions: pd.DataFrame, elements: pd.DataFrame) -> int:
    """Base pairs of ``regions`` that lie inside ``elements`` (each set's overlaps counted once)."""
    total = 0
    for chrom in set(regions["chrom"]) & set(elements["chrom"]):
        r = regions[regions["chrom"] == chrom]
        e = elements[elements["chrom"] == chrom]
        rs, re_ = merge_intervals(r["start"].to_numpy(), r["end"].to_numpy())
        es, ee = merge_intervals(e["start"].to_numpy(), e["end"].to_numpy())
        for s, t in zip(rs, re_, strict=True):
            lo = np.maximum(es, s)
            hi = np.minimum(ee, t)
            total += int(np.clip(hi - lo, 0, None).sum())
    return total


def call_core_enhancers(
    windows: pd.DataFrame, p: np.ndarray, cams: np.ndarray, *, threshold: float = 0.5
) -> dict[str, Any]:
    """DECODE's core enhancers: the bins of predicted windows whose Grad-CAM is above the global mean.

    Parameters
    ----------
    windows
        ``chrom, start, end`` of ``N`` windows of equal length, divisible into the maps' ``B`` bins.
    p
        ``(N,)`` predicted probabilities.
    cams
        ``(N, B)`` Grad-CAM per bin.
    threshold
        Windows with ``p > threshold`` are predicted positive.

    Returns
    -------
    dict
        ``original``: merged predicted windows (``chrom, start, end``); ``refined``: merged kept bins
        (``chrom, start, end, score`` = mean Grad-CAM of the bins merged); ``cam_threshold``: the mean
        Grad-CAM over all bins of all predicted windows; ``predicted``: ``(N,)`` bool; ``original_bp``,
        ``refined_bp`` and ``compression`` (refined bp / original bp, NaN with no predicted window).

    Raises
    ------
    InputError
        When the windows and maps do not match, or a window does not divide into ``B`` bins.
    """
    p = np.asarray(p, dtype=float).reshape(-1)
    cams = np.asarray(cams, dtype=float)
    n_bins = cams.shape[1] if cams.ndim == 2 else 0
    if cams.ndim != 2 or len(cams) != len(windows) or len(p) != len(windows):
        raise InputError(
            f"core-enhancer calling: {len(windows)} windows, {len(p)} probabilities and maps of shape "
            f"{cams.shape}; expected one probability and one (B,) map per window"
        )
    chroms = windows["chrom"].to_numpy().astype(str)
    starts = windows["start"].to_numpy(dtype=np.int64)
    ends = windows["end"].to_numpy(dtype=np.int64)
    sizes = ends - starts
    if len(windows) and (np.any(sizes % max(n_bins, 1)) or np.any(sizes <= 0)):
        raise InputError(
            f"core-enhancer calling: window lengths {sorted(set(sizes.tolist()))[:3]} do not divide into "
            f"{n_bins} bins; expected the dataset's windows"
        )
    predicted = p > threshold
    original = _merge_frame(chroms[predicted], starts[predicted], ends[predicted])
    result: dict[str, Any] = {"predicted": predicted, "original": original}
    if not predicted.any():
        empty = original.assign(score=np.zeros(0))
        result.update(refined=empty, cam_threshold=float("nan"), original_bp=0, refined_bp=0)
        result["compression"] = float("nan")
        return result
    bin_bp = sizes[predicted] // n_bins
    pc = cams[predicted]
    cam_threshold = float(pc.mean())
    rows, cols = np.nonzero(pc > cam_threshold)
    b_start = starts[predicted][rows] + cols * bin_bp[rows]
    refined = _merge_scored(chroms[predicted][rows], b_start, b_start + bin_bp[rows], pc[rows, cols])
    original_bp = interval_bp(original)
    refined_bp = interval_bp(refined)
    result.update(
        refined=refined,
        cam_threshold=cam_threshold,
        original_bp=original_bp,
        refined_bp=refined_bp,
        compression=refined_bp / original_bp,
    )
    return result


def read_planted_elements(truth: str | os.PathLike, kind: str = "starr") -> pd.DataFrame:
    """Spans of a toy genome's planted elements of one ``kind`` (``truth/elements.tsv`` by ``truth.json``).

    Raises
    ------
    InputError
        When the table is missing or lacks the ``chrom, start, end, kind`` columns.
    """
    path = Path(truth).parent / "truth" / "elements.tsv"
    if not path.exists():
        raise InputError(f"{path}: no such file; expected the planted elements of a toy genome")
    table = pd.read_csv(path, sep="\t", dtype={"chrom": str})
    missing = [c for c in ("chrom", "start", "end", "kind") if c not in table.columns]
    if missing:
        raise InputError(f"{path}: no column(s) {', '.join(missing)}; rebuild the toy genome")
    return table.loc[table["kind"] == kind, ["chrom", "start", "end"]].reset_index(drop=True)


def _write_bed(frame: pd.DataFrame, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, sep="\t", index=False, header=False, float_format="%.6g")


def _spearman_per_window(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman rho of each row of ``a`` with the same row of ``b`` (NaN where either is constant)."""
    out = np.full(len(a), np.nan)
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if np.ptp(x) > 0 and np.ptp(y) > 0:
            out[i] = spearmanr(x, y).statistic
    return out


def call_run_core_enhancers(
    run_dir: str | os.PathLike,
    dataset_dir: str | os.PathLike,
    out_maps: str | os.PathLike,
    out_original: str | os.PathLike,
    out_refined: str | os.PathLike,
    out_summary: str | os.PathLike,
    *,
    truth: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
    layer: int | None = None,
    target: str = "probability",
    normalize: str = "per_window",
    threshold: float = 0.5,
    split: str = "test",
    batch_size: int = 1000,
    seed: int = 0,
    device: str | None = None,
) -> pd.DataFrame:
    """Grad-CAM core enhancers of one trained track model on one split, with their sanity checks.

    Parameters
    ----------
    run_dir, dataset_dir
        A trained run and the dataset it was trained on (windows in ``windows.bed``).
    out_maps
        ``.npz``: ``cam`` ``(N, B)``, ``cam_random`` (a re-initialised model's maps), ``p``, ``label``,
        ``predicted``, ``chrom``, ``start``, ``end`` of the split's windows in ``windows.bed`` order.
    out_original, out_refined
        BED files: merged predicted windows; merged kept bins with their mean Grad-CAM (column 4).
    out_summary
        ``metric, value`` table (see Returns).
    truth
        A toy genome's ``truth.json`` (or a list holding one, or None for real data): the planted
        STARR-seq elements localisation is scored against.
    layer, target, normalize, batch_size
        As :func:`gradcam`.
    threshold
        Windows with ``p > threshold`` are predicted positive.
    split
        Dataset split whose windows are called.
    seed
        Seed of the re-initialised model.
    device
        None or ``"auto"``: CUDA when present.

    Returns
    -------
    pandas.DataFrame
        ``metric, value``: windows, predicted windows, ``cam_threshold``, ``original_bp``, ``refined_bp``,
        ``compression``; mean Grad-CAM of predicted positives (label 1, p > threshold) and of negatives
        (label 0, p <= threshold) and their ratio; with truth, ``planted_fraction_original``,
        ``planted_fraction_refined``, ``localisation_gain`` (their ratio), the same for the
        re-initialised model's maps (``random_*``); Spearman rho of the
        trained and re-initialised maps (median per predicted window, and over all their bins).
    """
    settings = read_settings(run_dir)
    inputs = settings.get("inputs", ["sequence"])
    if settings.get("task", "binary") != "binary":
        raise InputError(
            f"config key models: {settings['model']!r} is a regression run; DECODE's core-enhancer calling "
            "needs a binary classifier (p > threshold)"
        )
    model = load_run(run_dir, device=device)
    pick_layer(model, layer, repr(settings["model"]))
    meta = load_meta(dataset_dir)
    X, y = load_split(dataset_dir, split)
    tracks = load_tracks(dataset_dir, split) if "tracks" in inputs else None
    label = y[:, settings.get("task_index") or 0] if y.ndim == 2 else y
    windows = pd.read_csv(Path(dataset_dir) / "windows.bed", sep="\t", dtype={"#chrom": str})
    windows = windows.rename(columns={"#chrom": "chrom"})
    windows = windows[windows["split"] == split].sort_values("index").reset_index(drop=True)
    if len(windows) != len(label):
        raise InputError(
            f"{Path(dataset_dir) / 'windows.bed'}: {len(windows)} {split} windows for {len(label)} "
            f"{split} examples; rebuild the dataset"
        )
    seq = X if "sequence" in inputs else None
    common = {"layer": layer, "target": target, "normalize": normalize, "batch_size": batch_size}
    with torch.no_grad():
        logits = torch.cat([call_model(model, b) for b in input_batches(seq, tracks, batch_size, device)])
    p = torch.sigmoid(logits[:, settings.get("task_index") or 0]).cpu().numpy()
    cams = gradcam(model, seq, tracks, device=device, **common)
    torch.manual_seed(seed)
    random_model = model_from_settings(settings)
    cams_random = gradcam(random_model, seq, tracks, device=device, **common)

    called = call_core_enhancers(windows, p, cams, threshold=threshold)
    predicted = called["predicted"]
    rows: list[tuple[str, float]] = [
        ("windows", len(windows)),
        ("predicted_windows", int(predicted.sum())),
        ("bins_per_window", cams.shape[1]),
        ("cam_threshold", called["cam_threshold"]),
        ("original_bp", called["original_bp"]),
        ("refined_bp", called["refined_bp"]),
        ("refined_regions", len(called["refined"])),
        ("compression", called["compression"]),
    ]
    pos = (label == 1) & predicted
    neg = (label == 0) & ~predicted
    mean_pos = float(cams[pos].mean()) if pos.any() else float("nan")
    mean_neg = float(cams[neg].mean()) if neg.any() else float("nan")
    rows += [
        ("mean_cam_positives", mean_pos),
        ("mean_cam_negatives", mean_neg),
        ("negative_to_positive_cam", mean_neg / mean_pos if mean_pos > 0 else float("nan")),
    ]
    rho = _spearman_per_window(cams[predicted], cams_random[predicted])
    pooled = (
        spearmanr(cams[predicted].ravel(), cams_random[predicted].ravel()).statistic
        if predicted.any()
        else np.nan
    )
    rows += [
        ("random_spearman_median", float(np.nanmedian(rho)) if np.isfinite(rho).any() else float("nan")),
        ("random_spearman_pooled", float(pooled)),
        ("random_mean_cam_predicted", float(cams_random[predicted].mean()) if predicted.any() else np.nan),
    ]
    truth_paths = [truth] if isinstance(truth, str | os.PathLike) else list(truth or [])
    if truth_paths:
        elements = read_planted_elements(truth_paths[0])
        original = called["original"]
        fraction_original = overlap_bp(original, elements) / max(called["original_bp"], 1)
        fraction_refined = overlap_bp(called["refined"], elements) / max(called["refined_bp"], 1)
        random_called = call_core_enhancers(windows, p, cams_random, threshold=threshold)
        fraction_random = overlap_bp(random_called["refined"], elements) / max(random_called["refined_bp"], 1)
        rows += [
            ("planted_elements", len(elements)),
            ("planted_fraction_original", fraction_original),
            ("planted_fraction_refined", fraction_refined),
            ("localisation_gain", fraction_refined / fraction_original if fraction_original else np.nan),
            ("random_compression", random_called["compression"]),
            ("random_planted_fraction_refined", fraction_random),
            (
                "random_localisation_gain",
                fraction_random / fraction_original if fraction_original else np.nan,
            ),
        ]
    summary = pd.DataFrame(rows, columns=["metric", "value"])
    with atomic_path(out_maps) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(
            fh,
            cam=cams.astype(np.float32),
            cam_random=cams_random.astype(np.float32),
            p=p.astype(np.float32),
            label=label.astype(np.float32),
            predicted=predicted,
            chrom=windows["chrom"].to_numpy().astype(str),
            start=windows["start"].to_numpy(dtype=np.int64),
            end=windows["end"].to_numpy(dtype=np.int64),
            cam_threshold=np.float64(called["cam_threshold"]),
            bin_size=np.int64(meta.get("tracks", {}).get("bin_size", 1)),
        )
    _write_bed(called["original"], out_original)
    _write_bed(called["refined"], out_refined)
    write_tsv(summary, out_summary, float_format="%.6g")
    log.info(
        "%s: %d of %d %s windows predicted; refined %d of %d bp (%.3f)",
        run_dir,
        int(predicted.sum()),
        len(windows),
        split,
        called["refined_bp"],
        called["original_bp"],
        called["compression"],
    )
    return summary
