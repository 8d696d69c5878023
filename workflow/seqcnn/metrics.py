"""Classification metrics as Koo & Eddy reported them, plus the ones the field should report.

Per class: AU-ROC (``roc_curve`` + trapezoid), AU-PR the way the paper's code computed it (trapezoid over
the precision-recall curve, which linearly interpolates precision and so overestimates the area), AU-PR
as average precision (the step-wise sum, no interpolation), and recall at 10% FDR. A trial is summarised
by the unweighted mean over classes; trials by mean and population std (``ddof=0``, as ``np.std``).
Regression outputs (DeepSTARR) get Pearson r, Spearman rho and mean squared error per output.

Why the trapezoid overestimates AU-PR: precision is not a linear function of recall between two operating
points, so joining them with a straight line (``sklearn.metrics.auc`` over the PR curve) credits precision
that no threshold reaches, most where scores tie or positives are rare. Average precision sums the
precision at each recall step instead and is the number to compare across models.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_curve

METRIC_COLUMNS = ("auroc", "aupr", "average_precision", "recall_at_10fdr")
REGRESSION_COLUMNS = ("pearson", "spearman", "mse")


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
    """Unweighted mean over classes of each metric column present (classes with NaN are skipped)."""
    columns = [c for c in (*METRIC_COLUMNS, *REGRESSION_COLUMNS) if c in per_class]
    out = {}
    for c in columns:
        values = per_class[c].to_numpy(dtype=float)
        out[c] = float(values[~np.isnan(values)].mean()) if (~np.isnan(values)).any() else float("nan")
    return out


def regression_metrics(
    y: np.ndarray, y_hat: np.ndarray, classes: Sequence[str] | None = None
) -> pd.DataFrame:
    """Per-output Pearson r, Spearman rho and mean squared error (DeepSTARR's evaluation).

    Parameters
    ----------
    y, y_hat
        ``(N, T)`` measured and predicted values.
    classes
        ``T`` output names (default ``"0"..``).

    Returns
    -------
    pandas.DataFrame
        One row per output: ``class, n, pearson, spearman, mse``; r and rho are NaN for a constant column.
    """
    from scipy.stats import pearsonr, spearmanr

    y = np.asarray(y, dtype=np.float64)
    y_hat = np.asarray(y_hat, dtype=np.float64)
    if y.shape != y_hat.shape or y.ndim != 2:
        raise ValueError(f"targets {y.shape} and predictions {y_hat.shape} must both be (N, T)")
    classes = list(classes) if classes is not None else [str(i) for i in range(y.shape[1])]
    rows = []
    for t, name in enumerate(classes):
        a, b = y[:, t], y_hat[:, t]
        varied = len(a) > 1 and np.ptp(a) > 0 and np.ptp(b) > 0
        rows.append(
            {
                "class": name,
                "n": len(a),
                "pearson": float(pearsonr(a, b)[0]) if varied else float("nan"),
                "spearman": float(spearmanr(a, b)[0]) if varied else float("nan"),
                "mse": float(np.mean((a - b) ** 2)) if len(a) else float("nan"),
            }
        )
    return pd.DataFrame(rows, columns=["class", "n", *REGRESSION_COLUMNS])


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and population standard deviation (ddof=0) over trials; NaNs are ignored."""
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return float("nan"), float("nan")
    return float(arr.mean()), float(arr.std(ddof=0))
