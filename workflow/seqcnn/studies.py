"""Model-zoo studies: one dataset, several architectures, one comparison table and figure.

A study (Basset-style multi-task peaks, DeepBind single-TF, DanQ, DeepSTARR, DECODE, multi-modal) trains
each of its models for a number of trials through the same engine, evaluates them on the test split, and is
summarised here: :func:`summarize_study` gathers the per-run tables into ``metrics.tsv`` (columns ``model,
task, metric, value, split``; the value is the mean over trials, ``n_trials`` rows say how many) and
:func:`plot_study` draws the figure a reader looks at first: per-task average precision (auPR) of every model
for classification, predicted against measured activity for regression.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .datasets import load_meta, load_split
from .errors import InputError
from .io import write_tsv
from .metrics import METRIC_COLUMNS, REGRESSION_COLUMNS

log = logging.getLogger("seqcnn.studies")

MACRO = "__macro__"


def summarize_study(tables: Sequence[str | os.PathLike], out_tsv: str | os.PathLike) -> pd.DataFrame:
    """Long table of every model's test metrics, averaged over trials.

    Parameters
    ----------
    tables
        Per-run ``test_metrics.tsv`` files (:func:`seqcnn.evaluate.evaluate_run`).
    out_tsv
        Output: ``model, task, metric, value, split``; ``task`` ``__macro__`` is the unweighted task mean,
        and metric ``n_trials`` counts the trials averaged.
    """
    if not tables:
        raise InputError("a study needs at least one evaluated run")
    frames = [pd.read_csv(t, sep="\t") for t in tables]
    wide = pd.concat(frames, ignore_index=True).rename(columns={"class": "task"})
    metrics = [c for c in (*METRIC_COLUMNS, *REGRESSION_COLUMNS) if c in wide]
    long = wide.melt(id_vars=["model", "trial", "split", "task"], value_vars=metrics, var_name="metric")
    keys = ["model", "task", "metric", "split"]
    mean = long.groupby(keys, sort=False)["value"].mean().reset_index()
    trials = wide.groupby(["model", "split"], sort=False)["trial"].nunique().reset_index(name="value")
    trials = trials.assign(task=MACRO, metric="n_trials")
    table = pd.concat([mean, trials], ignore_index=True)[["model", "task", "metric", "value", "split"]]
    write_tsv(table, out_tsv, float_format="%.6f")
    return table


#: Columns of a study's ``filters.tsv``.
FILTER_COLUMNS = (
    "model", "trial", "layer", "n_filters", "n_dead", "jaspar_match", "planted_match", "planted_found",
)  # fmt: skip


def summarize_filters(
    stats_files: Sequence[str | os.PathLike], out_tsv: str | os.PathLike, has_truth: bool = True
) -> pd.DataFrame:
    """One row per annotated run: how many first-layer filters match JASPAR and the planted motifs.

    Parameters
    ----------
    stats_files
        ``stats.json`` of :func:`seqcnn.motifs.annotate_run`, one per model x trial.
    out_tsv
        Output: :data:`FILTER_COLUMNS`. ``jaspar_match`` is the fraction of filters with a Tomtom hit
        (Basset reported 45% annotated); ``planted_match`` the fraction hitting a planted motif, and
        ``planted_found`` the planted motifs some filter hits (by name, best hit first). Without planted
        truth (a real genome) both are empty. A study none of whose models has a convolution over the
        sequence (DECODE reads tracks only; the seed RNN and LSTM have no filters) gets the header alone.
    has_truth
        Whether the dataset has planted motifs.
    """
    rows = []
    for path in stats_files:
        stats = json.loads(Path(path).read_text())
        filters = stats["filters"]
        found = [f["best_relevant_name"] for f in filters if f.get("relevant_hit")]
        rows.append(
            {
                "model": stats["model"],
                "trial": int(stats["trial"]),
                "layer": int(stats["layer"]),
                "n_filters": int(stats["n_filters"]),
                "n_dead": sum(int(f["n_sites"]) == 0 for f in filters),
                "jaspar_match": float(stats["jaspar_match"]),
                "planted_match": float(stats["relevant_match"]) if has_truth else np.nan,
                "planted_found": ",".join(dict.fromkeys(found)) if has_truth else "",
            }
        )
    if not rows:
        log.info("no model of this study has a convolution over the sequence: no filters to annotate")
    table = pd.DataFrame(rows, columns=list(FILTER_COLUMNS))
    write_tsv(table, out_tsv, float_format="%.4f")
    return table


def _run_of(path: str | os.PathLike) -> tuple[str, int]:
    settings = json.loads((Path(path).parent / "settings.json").read_text())
    return settings["model"], int(settings["trial"])


def plot_study(
    metrics_tsv: str | os.PathLike,
    predictions: Sequence[str | os.PathLike],
    dataset_dir: str | os.PathLike,
    out_png: str | os.PathLike,
    title: str = "",
    tasks: Sequence[str] | None = None,
) -> None:
    """The study's comparison figure.

    Classification: per-task test average precision of every model (grouped bars; macro in the legend).
    Regression: predicted against measured test values, one panel per model x task, trial 0, with Pearson r.
    """
    from .plotting import _save, plt

    table = pd.read_csv(metrics_tsv, sep="\t")
    models = list(dict.fromkeys(table["model"]))
    if "pearson" in set(table["metric"]):
        meta = load_meta(dataset_dir)
        classes = list(meta["classes"])
        _, y = load_split(dataset_dir, "test")
        cols = [classes.index(t) for t in tasks] if tasks else list(range(len(classes)))
        names = [classes[c] for c in cols]
        first = {}
        for path in predictions:
            model, trial = _run_of(path)
            if trial == 0 or model not in first:
                first[model] = np.load(path)
        fig, axes = plt.subplots(
            len(models), len(names), figsize=(3.2 * len(names), 3.0 * len(models)), squeeze=False
        )
        lo, hi = float(np.min(y[:, cols])), float(np.max(y[:, cols]))
        for i, model in enumerate(models):
            for j, (col, name) in enumerate(zip(cols, names, strict=True)):
                ax = axes[i, j]
                y_hat = first[model][:, j]
                ax.scatter(y[:, col], y_hat, s=6, alpha=0.5, color="#4575b4", linewidths=0)
                ax.plot([lo, hi], [lo, hi], color="#999999", lw=0.8, ls="--")
                r = np.corrcoef(y[:, col], y_hat)[0, 1] if np.ptp(y_hat) > 0 else float("nan")
                ax.set_title(f"{model} · {name}: r = {r:.2f}", fontsize=9)
                ax.set_xlabel("measured log2 activity" if i == len(models) - 1 else "")
                ax.set_ylabel("predicted" if j == 0 else "")
        fig.suptitle(f"{title}: test set, predicted against measured", fontsize=11)
        fig.tight_layout()
        _save(fig, out_png)
        return

    ap = table[(table["metric"] == "average_precision") & (table["split"] == "test")]
    task_names = [t for t in dict.fromkeys(ap["task"]) if t != MACRO]
    width = 0.8 / max(len(models), 1)
    fig, ax = plt.subplots(figsize=(max(5.0, 0.7 * len(task_names) * max(1, len(models) / 2) + 2), 3.8))
    x = np.arange(len(task_names))
    cmap = plt.get_cmap("tab10")
    for k, model in enumerate(models):
        rows = ap[ap["model"] == model].set_index("task")["value"]
        values = [rows.get(t, np.nan) for t in task_names]
        macro = rows.get(MACRO, np.nan)
        ax.bar(
            x + (k - (len(models) - 1) / 2) * width,
            values,
            width,
            color=cmap(k % 10),
            label=f"{model} (mean {macro:.3f})",
        )
    ax.set_xticks(
        x,
        task_names,
        rotation=45 if len(task_names) > 3 else 0,
        ha="right" if len(task_names) > 3 else "center",
    )
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("test auPR (average precision)")
    ax.set_title(f"{title}: per-task auPR by model", fontsize=11)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    _save(fig, out_png)
