"""Test-set evaluation of a trained run, written as a self-describing per-class table."""

from __future__ import annotations

import os

import pandas as pd

from .datasets import load_meta, load_split
from .io import write_tsv
from .metrics import classification_metrics, macro_average
from .train import load_trained, predict


def evaluate_run(
    run_dir: str | os.PathLike,
    dataset_dir: str | os.PathLike,
    out_tsv: str | os.PathLike,
    split: str = "test",
    device: str | None = "auto",
) -> pd.DataFrame:
    """Evaluate ``run_dir``'s best checkpoint on one split of ``dataset_dir``.

    Returns
    -------
    pandas.DataFrame
        Columns ``model, trial, split, class, n_pos, auroc, aupr, average_precision,
        recall_at_10fdr``; one row per class plus a ``__macro__`` row (unweighted class mean).
    """
    import json
    from pathlib import Path

    settings = json.loads((Path(run_dir) / "settings.json").read_text())
    model = load_trained(run_dir, device=device)
    X, y = load_split(dataset_dir, split)
    y_hat = predict(model, X, device=device)
    per_class = classification_metrics(y, y_hat, load_meta(dataset_dir)["classes"])
    macro = {
        "class": "__macro__",
        "n_pos": int(per_class["n_pos"].sum()),
        **macro_average(per_class),
    }
    table = pd.concat([per_class, pd.DataFrame([macro])], ignore_index=True)
    table.insert(0, "split", split)
    table.insert(0, "trial", settings["trial"])
    table.insert(0, "model", settings["model"])
    write_tsv(table, out_tsv, float_format="%.6f")
    return table
