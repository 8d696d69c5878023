"""Tables a reviewer reads: Table 1 and the deeper-layer table, each beside the published values.

Inputs are the self-describing per-trial files (``test_metrics.tsv`` from :mod:`seqcnn.evaluate`,
``stats.json`` from :mod:`seqcnn.motifs`), so the summaries do not depend on the directory layout.
Spreads are population standard deviations over trials, as in the paper.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .errors import InputError
from .io import atomic_path, write_tsv
from .metrics import mean_std
from .published import LAYERS, TABLE1

TABLE1_COLUMNS = [
    "model",
    "n_trials",
    "auroc_mean",
    "auroc_std",
    "aupr_mean",
    "aupr_std",
    "jaspar_match_mean",
    "jaspar_match_std",
    "relevant_match_mean",
    "relevant_match_std",
]


def read_macro_metrics(paths: Sequence[str | os.PathLike]) -> pd.DataFrame:
    """Macro rows of per-trial ``test_metrics.tsv`` files: one row per (model, trial)."""
    rows = []
    for p in paths:
        df = pd.read_csv(p, sep="\t")
        macro = df[df["class"] == "__macro__"]
        if macro.empty:
            raise InputError(f"{p}: no __macro__ row; expected a test_metrics.tsv from evaluate_run")
        rows.append(macro.iloc[0])
    return pd.DataFrame(rows).reset_index(drop=True)


def read_match_stats(paths: Sequence[str | os.PathLike]) -> pd.DataFrame:
    """``stats.json`` files as one row per (model, trial, layer)."""
    keys = ("model", "trial", "layer", "n_filters", "jaspar_match", "relevant_match")
    rows = []
    for p in paths:
        stats = json.loads(open(p).read())
        missing = [k for k in keys if k not in stats]
        if missing:
            raise InputError(f"{p}: missing key(s) {missing}; expected a filter-annotation stats file")
        rows.append({k: stats[k] for k in keys})
    return pd.DataFrame(rows, columns=list(keys))


def _fmt(mean: float, std: float, digits: int = 3) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "–"
    if std is None or (isinstance(std, float) and math.isnan(std)):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def table1(metrics: pd.DataFrame, stats: pd.DataFrame, models: Sequence[str]) -> pd.DataFrame:
    """Aggregate per-trial results into Table 1 (one row per model, in ``models`` order)."""
    rows = []
    for m in models:
        met = metrics[metrics["model"] == m]
        st = stats[(stats["model"] == m) & (stats["layer"] == 0)]
        row = {"model": m, "n_trials": int(met["trial"].nunique())}
        for col, values in (
            ("auroc", met["auroc"]),
            ("aupr", met["aupr"]),
            ("jaspar_match", st["jaspar_match"]),
            ("relevant_match", st["relevant_match"]),
        ):
            row[f"{col}_mean"], row[f"{col}_std"] = mean_std(values.to_numpy(dtype=float))
        rows.append(row)
    return pd.DataFrame(rows, columns=TABLE1_COLUMNS)


def table1_markdown(table: pd.DataFrame, metrics: pd.DataFrame | None = None) -> str:
    """Markdown: each reproduced row beside the published one, with the differences."""
    lines = [
        "# Koo & Eddy (2019) Table 1: reproduced vs published",
        "",
        "Mean ± population std over trials. Match columns are fractions of first-layer filters with a "
        "Tomtom hit (E ≤ 0.1) to any JASPAR motif / to a ground-truth motif. AU-PR is the paper's "
        "trapezoid over the PR curve (not printed in the paper).",
        "",
        "| model | paper name | trials | AU-ROC | published | Δ | AU-PR | % JASPAR | published | "
        "% relevant | published | Δ |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        pub = TABLE1.get(r["model"])
        name = pub[0] if pub else ""
        d_auc = r["auroc_mean"] - pub[2] if pub else float("nan")
        d_rel = r["relevant_match_mean"] - pub[6] if pub else float("nan")
        lines.append(
            "| "
            + " | ".join(
                [
                    r["model"],
                    name,
                    str(int(r["n_trials"])),
                    _fmt(r["auroc_mean"], r["auroc_std"]),
                    _fmt(pub[2], pub[3]) if pub else "–",
                    f"{d_auc:+.3f}" if not math.isnan(d_auc) else "–",
                    _fmt(r["aupr_mean"], r["aupr_std"]),
                    _fmt(r["jaspar_match_mean"], r["jaspar_match_std"]),
                    _fmt(pub[4], pub[5]) if pub else "–",
                    _fmt(r["relevant_match_mean"], r["relevant_match_std"]),
                    _fmt(pub[6], pub[7]) if pub else "–",
                    f"{d_rel:+.3f}" if not math.isnan(d_rel) else "–",
                ]
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def layers_table(stats: pd.DataFrame, deeper: dict[str, Sequence[int]]) -> pd.DataFrame:
    """Match fractions of every configured (model, layer), beside the published values."""
    rows = []
    for m, layers in deeper.items():
        for layer in layers:
            st = stats[(stats["model"] == m) & (stats["layer"] == layer)]
            pub = LAYERS.get((m, layer), (np.nan,) * 4)
            jm, js = mean_std(st["jaspar_match"].to_numpy(dtype=float))
            rm, rs = mean_std(st["relevant_match"].to_numpy(dtype=float))
            rows.append(
                {
                    "model": m,
                    "layer": layer + 1,
                    "n_filters": int(st["n_filters"].iloc[0]) if len(st) else 0,
                    "n_trials": len(st),
                    "jaspar_match_mean": jm,
                    "jaspar_match_std": js,
                    "relevant_match_mean": rm,
                    "relevant_match_std": rs,
                    "published_jaspar_match": pub[0],
                    "published_relevant_match": pub[2],
                }
            )
    return pd.DataFrame(rows)


def summarize_table1(
    metrics_paths: Sequence[str | os.PathLike],
    stats_paths: Sequence[str | os.PathLike],
    models: Sequence[str],
    out_tsv: str | os.PathLike,
    out_md: str | os.PathLike,
) -> pd.DataFrame:
    """Write ``table1.tsv`` and ``table1.md`` from per-trial files; returns the table."""
    metrics = read_macro_metrics(metrics_paths)
    stats = read_match_stats(stats_paths)
    table = table1(metrics, stats, models)
    write_tsv(table, out_tsv, float_format="%.4f")
    with atomic_path(out_md) as tmp:
        tmp.write_text(table1_markdown(table))
    return table


def summarize_layers(
    stats_paths: Sequence[str | os.PathLike],
    deeper: dict[str, Sequence[int]],
    out_tsv: str | os.PathLike,
) -> pd.DataFrame:
    """Write ``layers.tsv`` (layers are 1-based there, as in the paper)."""
    table = layers_table(read_match_stats(stats_paths), deeper)
    write_tsv(table, out_tsv, float_format="%.4f")
    return table
