"""Classification metrics as Koo & Eddy reported them, plus the ones the field should report.

Per class: AU-ROC (``roc_curve`` + trapezoid), AU-PR the way the paper's code computed it (trapezoid over
the precision-recall curve, which linearly interpolates precision and so overestimates the area), AU-PR
as average precision (the step-wise sum, no interpolation), and recall at 10% FDR. A trial is summarised
by the unweighted mean over classes; trials by mean and population std (``ddof=0``, as ``np.std``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_curve

METRIC_COLUMNS = ("auroc", "aupr", "average_precision", "recall_at_10fdr")


def recall_at_fdr(y: np.ndarray, y_hat: np.ndarray, fdr: float = 0.1) -> float:
    """Largest recall reachable by a score threshold whose false discovery rate is <= ``fdr``.

    Parameters
    ----------
    y
        ``(N,)`` binary labels.
    y_hat
        ``(N,)`` scores.
    fdr
        Allowed false discovery rate (1 - precision).
    """
    precision, recall, _ = precision_recall_curve(y, y_hat)
    ok = precision >= 1.0 - fdr - 1e-12
    return float(recall[ok].max()) if ok.any() else 0.0


def class_metrics(y: np.ndarray, y_hat: np.ndarray) -> dict[str, float]:
    """All metrics for one binary task; NaN when the task has only one label value."""
    y = np.asarray(y).astype(int)
    y_hat = np.asarray(y_hat, dtype=np.float64)
    n_pos = int(y.sum())
    if n_pos == 0 or n_pos == len(y):
        return {c: float("nan") for c in METRIC_COLUMNS} | {"n_pos": n_pos}
    fpr, tpr, _ = roc_curve(y, y_hat)
    precision, recall, _ = precision_recall_curve(y, y_hat)
    return {
        "auroc": float(auc(fpr, tpr)),
        "aupr": float(auc(recall, precision)),
        "average_precision": float(average_precision_score(y, y_hat)),
        "recall_at_10fdr": recall_at_fdr(y, y_hat, 0.1),
        "n_pos": n_pos,
    }


def classification_metrics(
    y: np.ndarray, y_hat: np.ndarray, classes: Sequence[str] | None = None
) -> pd.DataFrame:
    """Per-class metrics table.

    Parameters
    ----------
    y
        ``(N, T)`` binary labels.
    y_hat
        ``(N, T)`` predicted probabilities (or any monotone scores).
    classes
        ``T`` class names (default ``"0"..``).

    Returns
    -------
    pandas.DataFrame
        One row per class: ``class, n_pos, auroc, aupr, average_precision, recall_at_10fdr``.
    """
    y = np.asarray(y)
    y_hat = np.asarray(y_hat)
    if y.shape != y_hat.shape or y.ndim != 2:
        raise ValueError(f"labels {y.shape} and predictions {y_hat.shape} must both be (N, T)")
    classes = list(classes) if classes is not None else [str(i) for i in range(y.shape[1])]
    rows = [{"class": c, **class_metrics(y[:, t], y_hat[:, t])} for t, c in enumerate(classes)]
    return pd.DataFrame(rows, columns=["class", "n_pos", *METRIC_COLUMNS])


def macro_average(per_class: pd.DataFrame) -> dict[str, float]:
    """Unweighted mean over classes of each metric (classes with NaN are skipped)."""
    return {c: float(np.nanmean(per_class[c].to_numpy(dtype=float))) for c in METRIC_COLUMNS}


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and population standard deviation (ddof=0) over trials; NaNs are ignored."""
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return float("nan"), float("nan")
    return float(arr.mean()), float(arr.std(ddof=0))
