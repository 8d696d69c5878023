"""Evaluation of a trained run on a dataset split, written as a self-describing per-task table.

Binary tasks get AU-ROC, AU-PR (trapezoid and average precision) and recall at 10% FDR; regression outputs
get Pearson r, Spearman rho and MSE. The predictions are kept beside the table (``<split>_predictions.npy``)
for figures such as predicted against measured activity.

A run can also be scored on the test split of another dataset (a study's ``test_sets``): the same
positives with other negatives, another negative-to-positive ratio, or another cell type's tracks.
:func:`match_test_set` checks that the model can read it and says which of its classes each output is.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from .datasets import load_meta, load_split, load_tracks, task_type
from .errors import InputError
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
    test_set: str | None = None,
) -> pd.DataFrame:
    """Evaluate ``run_dir``'s best checkpoint on one split of ``dataset_dir``.

    Parameters
    ----------
    device
        None or ``"auto"``: CUDA when present.
    predictions
        Where to save the predictions ``(N, T)`` float32 ``.npy`` (default: not saved).
    test_set
        The name of a test set of the run's study: ``dataset_dir`` is another dataset than the run's, its
        classes are matched to the model's outputs by :func:`match_test_set`, and the table gets the
        columns ``test_set`` and ``n`` (sequences scored).

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
    if test_set is None:
        index, classes = settings.get("task_index"), settings["classes"]
    else:
        index, classes = match_test_set(settings, dataset_dir, test_set)
    model = load_run(run_dir, device=device)
    X, y = load_split(dataset_dir, split)
    if index is not None:
        y = y[:, index]
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
        per_task = regression_metrics(y, y_hat, classes)
        macro = {"class": "__macro__", "n": int(len(y)), **macro_average(per_task)}
    else:
        per_task = classification_metrics(y, y_hat, classes)
        macro = {"class": "__macro__", "n_pos": int(per_task["n_pos"].sum()), **macro_average(per_task)}
    table = pd.concat([per_task, pd.DataFrame([macro])], ignore_index=True)
    if test_set is not None:
        if "n" not in table.columns:
            table.insert(table.columns.get_loc("class") + 1, "n", int(len(y)))
        table.insert(0, "test_set", test_set)
    table.insert(0, "split", split)
    table.insert(0, "trial", settings["trial"])
    table.insert(0, "model", settings["model"])
    if predictions is not None:
        with atomic_path(predictions) as tmp, open(tmp, "wb") as fh:
            np.save(fh, y_hat.astype(np.float32))
    write_tsv(table, out_tsv, float_format="%.6f")
    return table


def match_test_set(
    settings: dict, dataset_dir: str | os.PathLike, test_set: str
) -> tuple[list[int] | None, list[str]]:
    """Which columns of another dataset's labels a run's outputs are scored against, and their names.

    The dataset must hold what the model reads (the sequence length it was trained on, or longer when it
    crops; as many tracks of as many bins) and targets of the same kind. Its classes are matched by name
    to the run's; where every name differs (FOXA1 in cell A against FOXA1 in cell B), a dataset with as
    many classes as the model has outputs is matched in order (a partial match is refused: it would pair
    outputs with the wrong classes).

    Returns
    -------
    tuple
        Column indices into the dataset's labels (None: all, in order) and the class names scored.

    Raises
    ------
    InputError
        Naming the test set and its dataset, and what the run expects.
    """
    meta = load_meta(dataset_dir)
    where = f"test set {test_set!r} ({dataset_dir})"
    kind, want = task_type(meta), settings.get("task", "binary")
    if kind != want:
        raise InputError(f"{where}: {kind} targets, but the model was trained on {want} targets")
    inputs = settings.get("inputs", ["sequence"])
    track_meta = meta.get("tracks") or {}
    if "sequence" in inputs:
        length = int(meta["seq_len"])
        need = settings["seq_len"]
        if (settings.get("crop") is None and length != need) or length < need:
            crop = settings.get("crop")
            expected = f"at least {need} bp (it crops the central {crop})" if crop else f"{need} bp"
            raise InputError(f"{where}: {length}-bp windows; the model reads {expected}")
    if "tracks" in inputs:
        n_tracks = len(track_meta.get("names", []))
        if n_tracks != settings.get("n_tracks", 0):
            raise InputError(
                f"{where}: {n_tracks} signal tracks ({', '.join(track_meta.get('names', [])) or 'none'}); "
                f"the model reads {settings.get('n_tracks', 0)}"
            )
        if inputs == ["tracks"] and int(track_meta["bins"]) != settings["seq_len"]:
            bins = track_meta["bins"]
            raise InputError(f"{where}: {bins} track bins; the model reads {settings['seq_len']}")
    classes, wanted = list(meta["classes"]), list(settings["classes"])
    if all(c in classes for c in wanted):
        index = [classes.index(c) for c in wanted]
        return (None if index == list(range(len(classes))) else index), wanted
    if len(classes) == len(wanted) and not set(classes) & set(wanted):
        return None, classes
    raise InputError(
        f"{where}: classes {classes}; the model predicts {wanted} (expected all of those names, or as "
        "many classes sharing none of them, matched in order)"
    )
