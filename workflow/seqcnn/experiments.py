"""Experiments: the test-set scores of some studies' models side by side, beside what chance scores.

An experiment (``experiments.<name>`` in the config) names studies, optionally a subset of their models,
and test sets each study scores its runs on (``studies.<name>.test_sets``; ``test`` is a study's own test
split). The seeds' lessons are such experiments on the toy genome:

* which negatives a binding model trains on (dinucleotide-shuffled, GC-matched or random genomic), scored
  on genomic background at a realistic ratio and on shuffled negatives;
* one model scored at 1, 10, 50 and 100 negatives per positive: AU-ROC hardly moves while the precision
  metrics fall, as the chance level of average precision (the positive fraction) does;
* a sequence + accessibility net trained in one cell type and scored in another with that cell type's
  accessibility, beside its sequence-only and accessibility-only ablations.

:func:`gather_scores` writes one row per study, model, trial, test set and class; :func:`summarize_scores`
the mean and spread over trials beside each test set's chance level; :func:`plot_scores` the figure.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .errors import InputError
from .io import atomic_path, write_tsv
from .studies import MACRO

#: Metrics an experiment reports, binary tasks (average precision is its auPR) and regression.
BINARY_METRICS = ("auroc", "average_precision", "recall_at_10fdr")
REGRESSION_METRICS = ("pearson", "spearman")
LABELS = {
    "auroc": "AU-ROC",
    "average_precision": "auPR (average precision)",
    "recall_at_10fdr": "recall at 10% FDR",
    "pearson": "Pearson r",
    "spearman": "Spearman rho",
}
#: Precision a ranking must reach for recall at 10% FDR to count (one minus the FDR).
PRECISION_AT_10FDR = 0.9


def gather_scores(
    studies: Sequence[str],
    test_sets: Sequence[str],
    metrics: Sequence[str | os.PathLike],
    predictions: Sequence[str | os.PathLike],
    out_tsv: str | os.PathLike,
) -> pd.DataFrame:
    """One table of per-run test-set scores.

    Parameters
    ----------
    studies, test_sets
        The study and test set of each run's files, aligned with ``metrics`` and ``predictions``.
    metrics
        Per-run tables of :func:`seqcnn.evaluate.evaluate_run` (the study's own test split or a test set).
    predictions
        The predictions beside each table: their rows are the sequences scored.
    out_tsv
        Output: ``study, test_set, model, trial, class, n, n_pos, prevalence`` and the metrics; ``class``
        ``__macro__`` is the unweighted task mean (its prevalence, the mean of the tasks').
    """
    if not len(studies) == len(test_sets) == len(metrics) == len(predictions):
        raise ValueError("studies, test_sets, metrics and predictions must be aligned")
    if not metrics:
        raise InputError("an experiment needs at least one scored run")
    frames = []
    for study, test_set, table_path, pred_path in zip(studies, test_sets, metrics, predictions, strict=True):
        table = pd.read_csv(table_path, sep="\t")
        n = int(np.load(pred_path, mmap_mode="r").shape[0])
        table = table.drop(columns=[c for c in ("split", "test_set", "n") if c in table.columns])
        table.insert(0, "test_set", test_set)
        table.insert(0, "study", study)
        table.insert(table.columns.get_loc("class") + 1, "n", n)
        if "n_pos" in table.columns:
            per_class = table["class"] != MACRO
            prevalence = table["n_pos"] / n
            prevalence[~per_class] = prevalence[per_class].mean()
            table.insert(table.columns.get_loc("n_pos") + 1, "prevalence", prevalence)
        frames.append(table)
    out = pd.concat(frames, ignore_index=True)
    write_tsv(out, out_tsv, float_format="%.6f")
    return out


def chance_level(metric: str, prevalence: float) -> float:
    """What a random ranking scores: AU-ROC 0.5; average precision the positive fraction; recall at 10% FDR
    0 unless positives are at least 90% of the set (then every threshold passes); correlations 0."""
    if metric == "auroc":
        return 0.5
    if metric == "average_precision":
        return float(prevalence)
    if metric == "recall_at_10fdr":
        return 1.0 if prevalence >= PRECISION_AT_10FDR else 0.0
    return 0.0


def experiment_metrics(scores: pd.DataFrame) -> tuple[str, ...]:
    """The metrics reported for a score table: binary or regression."""
    return BINARY_METRICS if "auroc" in scores.columns else REGRESSION_METRICS


def summarize_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean and population std over trials of the ``__macro__`` rows, per study, model and test set, with
    the test set's positive labels, negative labels per positive and each metric's chance level (for
    several tasks, the mean of the tasks' chance levels, over the tasks with positives, as the macro mean
    of the metric is).

    The series keep the order they first appear in (the config's), the test sets theirs.
    """
    metrics = experiment_metrics(scores)
    macro = scores[scores["class"] == MACRO]
    rows = []
    for (study, model, test_set), group in macro.groupby(["study", "model", "test_set"], sort=False):
        row = {"study": study, "model": model, "test_set": test_set, "trials": int(group["trial"].nunique())}
        row["n"] = int(group["n"].iat[0])
        prevalences: list[float] = []
        if "n_pos" in group.columns:
            tasks = scores[
                (scores["study"] == study)
                & (scores["test_set"] == test_set)
                & (scores["model"] == model)
                & (scores["class"] != MACRO)
                & (scores["trial"] == group["trial"].iat[0])
            ]
            n_pos = int(tasks["n_pos"].sum())
            row.update(n_pos=n_pos, prevalence=float(group["prevalence"].iat[0]))
            row["neg_per_pos"] = (row["n"] * len(tasks) - n_pos) / n_pos if n_pos else float("nan")
            prevalences = [float(p) for p in tasks.loc[tasks["n_pos"] > 0, "prevalence"]]
        for metric in metrics:
            values = group[metric].to_numpy(dtype=np.float64)
            finite = np.isfinite(values).any()
            row[metric] = float(np.nanmean(values)) if finite else float("nan")
            row[f"{metric}_std"] = float(np.nanstd(values)) if finite else float("nan")
            chances = [chance_level(metric, p) for p in prevalences] or [chance_level(metric, 0.0)]
            row[f"{metric}_chance"] = float(np.mean(chances))
        rows.append(row)
    return pd.DataFrame(rows)


def _series(summary: pd.DataFrame) -> list[tuple[str, str]]:
    return list(dict.fromkeys(zip(summary["study"], summary["model"], strict=True)))


def series_label(study: str, model: str, several_studies: bool) -> str:
    return f"{study}: {model}" if several_studies else model


def summary_markdown(summary: pd.DataFrame, title: str = "") -> str:
    """The summary as a Markdown table: one row per series and test set, then one chance row per test set."""
    metrics = [m for m in (*BINARY_METRICS, *REGRESSION_METRICS) if m in summary.columns]
    binary = "n_pos" in summary.columns
    head = ["series", "test set", *(["positives", "negatives per positive"] if binary else ["n"]), "trials"]
    # (positive and negative labels, summed over tasks: windows, for a single task)
    head += [LABELS[m] for m in metrics]
    lines = [f"# {title}", ""] if title else []
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    several = summary["study"].nunique() > 1
    for row in summary.itertuples(index=False):
        cells = [series_label(row.study, row.model, several), row.test_set]
        cells += [str(row.n_pos), f"{row.neg_per_pos:.1f}"] if binary else [str(row.n)]
        cells.append(str(row.trials))
        for m in metrics:
            mean, std = getattr(row, m), getattr(row, f"{m}_std")
            cells.append(f"{mean:.3f}" + (f" ± {std:.3f}" if row.trials > 1 else ""))
        lines.append("| " + " | ".join(cells) + " |")
    chance = summary.drop_duplicates("test_set")
    for row in chance.itertuples(index=False):
        cells = ["chance", row.test_set]
        cells += [str(row.n_pos), f"{row.neg_per_pos:.1f}"] if binary else [str(row.n)]
        cells.append("")
        cells += [f"{getattr(row, f'{m}_chance'):.3f}" for m in metrics]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Mean ± population standard deviation over trials; chance: a random ranking's score."]
    return "\n".join(lines) + "\n"


def write_summary(scores_tsv: str | os.PathLike, out_md: str | os.PathLike, title: str = "") -> pd.DataFrame:
    """:func:`summarize_scores` of a :func:`gather_scores` table, written as Markdown."""
    summary = summarize_scores(pd.read_csv(scores_tsv, sep="\t"))
    with atomic_path(out_md) as tmp:
        tmp.write_text(summary_markdown(summary, title))
    return summary


def plot_scores(scores_tsv: str | os.PathLike, out_png: str | os.PathLike, title: str = "") -> None:
    """One panel per metric: each series (study and model) across the test sets, with the spread over
    trials and each test set's chance level (dashed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import _save

    summary = summarize_scores(pd.read_csv(scores_tsv, sep="\t"))
    metrics = experiment_metrics(summary)
    test_sets = list(dict.fromkeys(summary["test_set"]))
    x = np.arange(len(test_sets))
    ticks = []
    for name in test_sets:
        row = summary[summary["test_set"] == name].iloc[0]
        ticks.append(f"{name}\n1:{row.neg_per_pos:.0f}" if "neg_per_pos" in summary else name)
    series = _series(summary)
    several = summary["study"].nunique() > 1
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.8), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        for k, (study, model) in enumerate(series):
            part = summary[(summary["study"] == study) & (summary["model"] == model)].set_index("test_set")
            part = part.reindex(test_sets)
            ax.errorbar(
                x + (k - (len(series) - 1) / 2) * 0.04,
                part[metric],
                yerr=part[f"{metric}_std"].fillna(0),
                marker="o",
                capsize=3,
                label=series_label(study, model, several),
            )
        chance = summary.drop_duplicates("test_set").set_index("test_set").reindex(test_sets)
        ax.plot(x, chance[f"{metric}_chance"], "k--", lw=1, marker="_", ms=14, label="chance")
        ax.set_xticks(x, ticks, fontsize=8, rotation=25, ha="right", rotation_mode="anchor")
        ax.set_xlim(-0.5, len(test_sets) - 0.5)
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(LABELS[metric])
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="lower left")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    _save(fig, out_png)
