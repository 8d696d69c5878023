"""Tables a reviewer reads: Koo & Eddy's Tables 1 and 2, the deeper-layer table and DeepSTARR's test
Pearson, each beside the published values.

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
from .published import DEEPSTARR_PEARSON, KOO_EDDY_TABLES, LAYERS

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


def table1_markdown(
    table: pd.DataFrame, metrics: pd.DataFrame | None = None, published: str = "koo_eddy_table1"
) -> str:
    """Markdown: each reproduced row beside the published one (Table 1 or Table 2), with the differences."""
    title, rows, aupr = KOO_EDDY_TABLES[published]
    pub_aupr = ["published"] if aupr else []
    header = ["model", "paper name", "trials", "AU-ROC", "published", "Δ", "AU-PR", *pub_aupr, "% JASPAR"]
    header += ["published", "% relevant", "published", "Δ"]
    aupr_note = (
        "AU-PR is the paper's trapezoid over the PR curve."
        if aupr
        else "AU-PR is the paper's trapezoid over the PR curve (not printed in the paper)."
    )
    lines = [
        f"# {title}: reproduced vs published",
        "",
        "Mean ± population std over trials. Match columns are fractions of first-layer filters with a "
        f"Tomtom hit (E ≤ 0.1) to any JASPAR motif / to a ground-truth motif. {aupr_note}",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for _, r in table.iterrows():
        pub = rows.get(r["model"])
        name = pub[0] if pub else ""
        d_auc = r["auroc_mean"] - pub[2] if pub else float("nan")
        d_rel = r["relevant_match_mean"] - pub[6] if pub else float("nan")
        cells = [
            r["model"],
            name,
            str(int(r["n_trials"])),
            _fmt(r["auroc_mean"], r["auroc_std"]),
            _fmt(pub[2], pub[3]) if pub else "–",
            f"{d_auc:+.3f}" if not math.isnan(d_auc) else "–",
            _fmt(r["aupr_mean"], r["aupr_std"]),
        ]
        if aupr:
            cells.append(_fmt(*aupr[r["model"]]) if r["model"] in aupr else "–")
        cells += [
            _fmt(r["jaspar_match_mean"], r["jaspar_match_std"]),
            _fmt(pub[4], pub[5]) if pub else "–",
            _fmt(r["relevant_match_mean"], r["relevant_match_std"]),
            _fmt(pub[6], pub[7]) if pub else "–",
            f"{d_rel:+.3f}" if not math.isnan(d_rel) else "–",
        ]
        lines.append("| " + " | ".join(cells) + " |")
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
    published: str = "koo_eddy_table1",
) -> pd.DataFrame:
    """Write ``table1.tsv`` and ``table1.md`` (or Table 2's, with ``published="koo_eddy_table2"``) from
    per-trial files; returns the table."""
    metrics = read_macro_metrics(metrics_paths)
    stats = read_match_stats(stats_paths)
    table = table1(metrics, stats, models)
    write_tsv(table, out_tsv, float_format="%.4f")
    with atomic_path(out_md) as tmp:
        tmp.write_text(table1_markdown(table, published=published))
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


def summarize_pearson(
    metrics_paths: Sequence[str | os.PathLike], out_tsv: str | os.PathLike, out_md: str | os.PathLike
) -> pd.DataFrame:
    """Test Pearson per model and task over trials, beside DeepSTARR's published values.

    Parameters
    ----------
    metrics_paths
        Per-run ``test_metrics.tsv`` files of a regression study.
    out_tsv, out_md
        ``model, task, n_trials, pearson_mean, pearson_std, published`` and a markdown rendering.
    """
    runs = pd.concat([pd.read_csv(p, sep="\t") for p in metrics_paths], ignore_index=True)
    if "pearson" not in runs:
        raise InputError(f"{metrics_paths[0]}: no pearson column; expected a regression study's test metrics")
    rows = []
    for (model, task), group in runs.groupby(["model", "class"], sort=False):
        mean, std = mean_std(group["pearson"].to_numpy(dtype=float))
        published = DEEPSTARR_PEARSON.get(task, float("nan")) if model == "deepstarr" else float("nan")
        rows.append(
            {"model": model, "task": task, "n_trials": int(group["trial"].nunique()), "pearson_mean": mean,
             "pearson_std": std, "published": published}
        )  # fmt: skip
    table = pd.DataFrame(rows)
    write_tsv(table, out_tsv, float_format="%.4f")
    lines = [
        "# DeepSTARR (de Almeida et al. 2022): test Pearson, reproduced vs published",
        "",
        "Mean ± population std over trials on the released test set; published: the DeepSTARR model.",
        "",
        "| model | task | trials | Pearson | published | Δ |",
        "|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        delta = r["pearson_mean"] - r["published"]
        lines.append(
            f"| {r['model']} | {r['task']} | {r['n_trials']} | {_fmt(r['pearson_mean'], r['pearson_std'])} | "
            f"{_fmt(r['published'], float('nan'), 2)} | {'–' if math.isnan(delta) else f'{delta:+.3f}'} |"
        )
    with atomic_path(out_md) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    return table
