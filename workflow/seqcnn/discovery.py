"""Motif discovery from attributions: TF-MoDISco patterns matched to JASPAR by Tomtom.

TF-MoDISco (modisco-lite) clusters seqlets of high DeepLIFT-SHAP contribution into patterns; each pattern's
position frequency matrix, trimmed to the span its contribution weight matrix (CWM) carries, is written
as a MEME motif and compared with the configured JASPAR collection by Tomtom (memelite, in process, via
:func:`seqcnn.motifs.tomtom_matches`). Where the dataset has planted truth (a toy genome), each pattern is
also named by the planted motif among its top JASPAR hits.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .attribution import load_attributions
from .errors import InputError
from .io import atomic_dir, write_tsv
from .motifs import read_meme, tomtom_matches, write_meme

log = logging.getLogger(__name__)

#: Columns of ``motifs_discovered.tsv``.
COLUMNS = (
    "model",
    "trial",
    "task",
    "pattern",
    "seqlets",
    "width",
    "best_match",
    "best_name",
    "best_evalue",
    "best_orientation",
    "top_matches",
    "planted",
    "planted_rank",
    "planted_evalue",
)


def trim_span(cwm: np.ndarray, threshold: float = 0.3) -> tuple[int, int]:
    """``[start, end)`` of the positions whose total absolute contribution reaches ``threshold`` of the
    largest (TF-MoDISco's own trimming rule); ``cwm`` is ``(W, 4)``."""
    score = np.abs(cwm).sum(axis=1)
    keep = np.flatnonzero(score >= threshold * score.max())
    return int(keep[0]), int(keep[-1]) + 1


def run_modisco(
    X: np.ndarray,
    hypothetical: np.ndarray,
    max_seqlets: int = 2000,
    window: int = 400,
    flank: int = 10,
    sliding_window: int = 21,
    n_leiden_runs: int = 50,
    target_fdr: float = 0.2,
    min_metacluster_size: int = 100,
    final_min_cluster_size: int = 20,
) -> tuple[list, list]:
    """TF-MoDISco on one task: ``X`` and ``hypothetical`` are ``(N, 4, L)``.

    Parameters
    ----------
    window
        Central bp of each sequence searched for seqlets (the whole sequence when it is shorter).
    target_fdr, min_metacluster_size, final_min_cluster_size
        TF-MoDISco's seqlet FDR and the fewest seqlets of a metacluster and of a final pattern.

    Returns
    -------
    positive, negative
        modisco-lite pattern objects (``sequence`` and ``contrib_scores`` are ``(W, 4)``).
    """
    from modiscolite.tfmodisco import TFMoDISco

    length = X.shape[-1]
    start = max((length - window) // 2, 0)
    span = slice(start, start + min(window, length))
    one_hot = np.ascontiguousarray(X[..., span].transpose(0, 2, 1), dtype=np.float32)
    hyp = np.ascontiguousarray(hypothetical[..., span].transpose(0, 2, 1), dtype=np.float32)
    pos, neg = TFMoDISco(
        one_hot=one_hot,
        hypothetical_contribs=hyp,
        sliding_window_size=sliding_window,
        flank_size=flank,
        max_seqlets_per_metacluster=max_seqlets,
        target_seqlet_fdr=target_fdr,
        n_leiden_runs=n_leiden_runs,
        min_metacluster_size=min_metacluster_size,
        final_min_cluster_size=final_min_cluster_size,
    )
    return list(pos or []), list(neg or [])


def planted_motifs(truth_files: Sequence[str | os.PathLike]) -> dict[str, str]:
    """JASPAR ID -> planted motif name, from toy ``truth.json`` files (empty without truth)."""
    out: dict[str, str] = {}
    for path in truth_files:
        truth = json.loads(Path(path).read_text())
        out.update({m["matrix_id"]: name for name, m in truth["motifs"].items()})
    return out


def discover_motifs(
    attributions: str | os.PathLike,
    jaspar_meme: str | os.PathLike,
    out_dir: str | os.PathLike,
    model: str,
    trial: int,
    tasks: Sequence[str] | None = None,
    planted: Mapping[str, str] | None = None,
    max_seqlets: int = 2000,
    window: int = 400,
    n_leiden_runs: int = 50,
    target_fdr: float = 0.2,
    min_metacluster_size: int = 100,
    final_min_cluster_size: int = 20,
    trim_threshold: float = 0.3,
    evalue_threshold: float = 0.01,
    top: int = 3,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """TF-MoDISco per task on one run's hypothetical contributions; every pattern matched to JASPAR.

    Parameters
    ----------
    attributions
        An :func:`seqcnn.attribution.attribute_run` file with ``deep_lift_shap`` maps.
    jaspar_meme
        JASPAR motifs as MEME.
    out_dir
        Written (atomically) with ``{task}.h5`` (modisco-lite's results file, readable by ``modisco
        report``), ``patterns.meme`` (trimmed pattern PFMs, named ``{task}/pos_{i}``) and ``patterns.tsv``
        (:data:`COLUMNS`).
    tasks
        Tasks to search (None: every task in ``attributions``).
    planted
        JASPAR ID -> planted motif name (:func:`planted_motifs`); the ``planted`` column names the first
        planted motif among a pattern's top hits.
    max_seqlets, window, n_leiden_runs, target_fdr, min_metacluster_size, final_min_cluster_size
        TF-MoDISco settings (:func:`run_modisco`).
    trim_threshold
        Pattern ends are trimmed to the span carrying this fraction of the CWM's peak (:func:`trim_span`).
    evalue_threshold
        Tomtom hits kept.
    top
        Hits listed per pattern (``top_matches``) and searched for a planted motif.

    Returns
    -------
    pandas.DataFrame
        One row per positive pattern (a task with none gets one row with ``pattern`` empty).
    """
    from modiscolite.io import save_hdf5

    jaspar = read_meme(jaspar_meme)
    names = {motif_id: alt for motif_id, alt, _ in jaspar}
    targets = [(motif_id, probs) for motif_id, _, probs in jaspar]
    planted = dict(planted or {})
    if tasks is None:
        with np.load(attributions) as data:
            tasks = [k.split(":", 1)[1] for k in data.files if k.startswith("X:")]
    rows: list[dict[str, Any]] = []
    motifs: list[tuple[str, np.ndarray, int]] = []
    with atomic_dir(out_dir) as tmp:
        for task in tasks:
            arrays = load_attributions(attributions, task)
            if "deep_lift_shap" not in arrays:
                raise InputError(
                    f"{attributions}: no DeepLIFT-SHAP maps of task {task!r}; expected "
                    "interpret.attributions.methods to include deep_lift_shap"
                )
            start = time.perf_counter()
            pos, neg = run_modisco(
                arrays["X"].astype(np.float32),
                arrays["deep_lift_shap"],
                max_seqlets=max_seqlets,
                window=window,
                n_leiden_runs=n_leiden_runs,
                target_fdr=target_fdr,
                min_metacluster_size=min_metacluster_size,
                final_min_cluster_size=final_min_cluster_size,
            )
            log.info(
                "%s task %s: %d positive and %d negative patterns in %.1f s",
                model,
                task,
                len(pos),
                len(neg),
                time.perf_counter() - start,
            )
            save_hdf5(tmp / f"{task}.h5", pos, neg, min(window, arrays["X"].shape[-1]))
            if not pos:
                rows.append({"model": model, "trial": trial, "task": task, "pattern": "", "seqlets": 0})
            for i, pattern in enumerate(pos):
                lo, hi = trim_span(pattern.contrib_scores, trim_threshold)
                pfm = np.asarray(pattern.sequence[lo:hi], dtype=np.float64).T
                pfm = pfm / pfm.sum(axis=0, keepdims=True)
                name = f"{task}/pos_{i}"
                motifs.append((name, pfm, len(pattern.seqlets)))
                rows.append(
                    {
                        "model": model,
                        "trial": trial,
                        "task": task,
                        "pattern": name,
                        "seqlets": len(pattern.seqlets),
                        "width": hi - lo,
                    }
                )
        write_meme([(n, p) for n, p, _ in motifs], tmp / "patterns.meme", nsites=[s for *_, s in motifs])
        matches = tomtom_matches(motifs, targets, evalue_threshold=evalue_threshold, n_jobs=n_jobs)
        table = pd.DataFrame(rows).reindex(columns=COLUMNS).astype(object)
        for k, row in table.iterrows():
            hits = matches[matches["Query_ID"] == row["pattern"]].sort_values("E-value", kind="stable")
            hits = hits.head(top)
            if hits.empty:
                continue
            best = hits.iloc[0]
            table.loc[k, ["best_match", "best_name", "best_evalue", "best_orientation"]] = [
                best["Target_ID"],
                names.get(best["Target_ID"], ""),
                float(best["E-value"]),
                best["Orientation"],
            ]
            table.loc[k, "top_matches"] = ",".join(
                f"{t}:{names.get(t, '')}:{e:.2g}"
                for t, e in zip(hits["Target_ID"], hits["E-value"], strict=True)
            )
            for rank, (t, e) in enumerate(zip(hits["Target_ID"], hits["E-value"], strict=True), start=1):
                if t in planted:
                    table.loc[k, ["planted", "planted_rank", "planted_evalue"]] = [planted[t], rank, float(e)]
                    break
        write_tsv(table, tmp / "patterns.tsv", float_format="%.4g")
    return table


def summarize_discovered(tables: Sequence[str | os.PathLike], out_tsv: str | os.PathLike) -> pd.DataFrame:
    """Every run's ``patterns.tsv`` in one table (``results/{study}/motifs_discovered.tsv``)."""
    frames = [pd.read_csv(t, sep="\t", keep_default_na=False) for t in tables]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    write_tsv(table, out_tsv, float_format="%.4g")
    return table


def report_discovered(
    tables: Sequence[str | os.PathLike],
    memes: Sequence[str | os.PathLike],
    jaspar_meme: str | os.PathLike,
    out_tsv: str | os.PathLike,
    out_png: str | os.PathLike,
) -> pd.DataFrame:
    """:func:`summarize_discovered` and the figure of each pattern beside its best JASPAR match."""
    from .plotting import plot_discovered_motifs

    table = summarize_discovered(tables, out_tsv)
    plot_discovered_motifs(table, list(memes), jaspar_meme, out_png)
    return table
