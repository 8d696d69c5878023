"""Evaluation of a trained run on a dataset split, written as a self-describing per-task table.

Binary tasks get AU-ROC, AU-PR (trapezoid and average precision) and recall at 10% FDR; regression outputs
get Pearson r, Spearman rho and MSE. The predictions are kept beside the table (``<split>_predictions.npy``)
for figures such as predicted against measured activity.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from .datasets import load_split, load_tracks
from .io import atomic_path, write_tsv
from .metrics import classification_metrics, macro_average, regression_metrics
from .predict import load_run, predict, read_settings


def evaluate_run(
    run_dir: str | os.PathLike,
    dataset_dir: str | os.PathLike,
    out_tsv: str | os.PathLike,
    split: str = "test",
    device: str | None = None,
    predictions: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Evaluate ``run_dir``'s best checkpoint on one split of ``dataset_dir``.

    Parameters
    ----------
    device
        None or ``"auto"``: CUDA when present.
    predictions
        Where to save the predictions ``(N, T)`` float32 ``.npy`` (default: not saved).

    Returns
    -------
    pandas.DataFrame
        Binary tasks: columns ``model, trial, split, class, n_pos, auroc, aupr, average_precision,
        recall_at_10fdr``. Regression: ``model, trial, split, class, n, pearson, spearman, mse``. One row
        per task plus a ``__macro__`` row (unweighted task mean).
    """
    settings = read_settings(run_dir)
    task = settings.get("task", "binary")
    inputs = settings.get("inputs", ["sequence"])
    model = load_run(run_dir, device=device)
    X, y = load_split(dataset_dir, split)
    if settings.get("task_index") is not None:
        y = y[:, settings["task_index"]]
    tracks = load_tracks(dataset_dir, split) if "tracks" in inputs else None
    y_hat = predict(
        model,
        X if "sequence" in inputs else None,
        device=device,
        tracks=tracks,
        task=task,
        crop=settings.get("crop"),
    )
    if task == "regression":
        per_task = regression_metrics(y, y_hat, settings["classes"])
        macro = {"class": "__macro__", "n": int(len(y)), **macro_average(per_task)}
    else:
        per_task = classification_metrics(y, y_hat, settings["classes"])
        macro = {"class": "__macro__", "n_pos": int(per_task["n_pos"].sum()), **macro_average(per_task)}
    table = pd.concat([per_task, pd.DataFrame([macro])], ignore_index=True)
    table.insert(0, "split", split)
    table.insert(0, "trial", settings["trial"])
    table.insert(0, "model", settings["model"])
    if predictions is not None:
        with atomic_path(predictions) as tmp, open(tmp, "wb") as fh:
            np.save(fh, y_hat.astype(np.float32))
    write_tsv(table, out_tsv, float_format="%.6f")
    return table
