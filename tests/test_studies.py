"""Model-zoo studies: per-run tables gathered into one long metrics table, and the comparison figure."""

import json

import numpy as np
import pandas as pd
import pytest

from seqcnn.datasets import save_dataset
from seqcnn.errors import InputError
from seqcnn.studies import plot_study, summarize_study


def _run(root, model, trial, rows, columns):
    run = root / model / f"trial{trial}"
    run.mkdir(parents=True)
    (run / "settings.json").write_text(json.dumps({"model": model, "trial": trial}))
    table = pd.DataFrame(rows, columns=["class", *columns])
    table.insert(0, "split", "test")
    table.insert(0, "trial", trial)
    table.insert(0, "model", model)
    table.to_csv(run / "test_metrics.tsv", sep="\t", index=False)
    return run


def test_classification_runs_average_over_trials_in_long_format(tmp_path):
    cols = ["n_pos", "auroc", "aupr", "average_precision", "recall_at_10fdr"]
    values = {
        ("basset", 0): [0.9, 0.8, 0.7, 0.5],
        ("basset", 1): [0.8, 0.6, 0.5, 0.3],
        ("rescnn", 0): [0.7, 0.5, 0.4, 0.1],
    }
    runs = [
        _run(tmp_path, m, t, [["CTCF", 10, *v], ["__macro__", 10, *v]], cols) for (m, t), v in values.items()
    ]
    table = summarize_study([r / "test_metrics.tsv" for r in runs], tmp_path / "metrics.tsv")
    assert list(table.columns) == ["model", "task", "metric", "value", "split"]
    written = pd.read_csv(tmp_path / "metrics.tsv", sep="\t")
    pick = written.set_index(["model", "task", "metric"])["value"]
    assert pick["basset", "CTCF", "average_precision"] == pytest.approx(0.6)
    assert pick["rescnn", "__macro__", "auroc"] == pytest.approx(0.7)
    assert pick["basset", "__macro__", "n_trials"] == 2 and pick["rescnn", "__macro__", "n_trials"] == 1
    assert set(written["metric"]) == {"auroc", "aupr", "average_precision", "recall_at_10fdr", "n_trials"}

    preds = []
    plot_study(tmp_path / "metrics.tsv", preds, tmp_path, tmp_path / "fig.png", title="basset")
    assert (tmp_path / "fig.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(InputError, match="at least one evaluated run"):
        summarize_study([], tmp_path / "none.tsv")


def test_regression_figure_reads_each_models_predictions(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.normal(size=(50, 2)).astype(np.float32)
    X = np.zeros((50, 10), dtype=np.uint8)
    data = tmp_path / "data"
    save_dataset(data, {"test": (X, y)}, {"classes": ["dev", "hk"], "task": "regression"})
    cols = ["n", "pearson", "spearman", "mse"]
    run = _run(
        tmp_path / "runs", "deepstarr", 0, [["dev", 50, 0.9, 0.9, 0.1], ["hk", 50, 0.8, 0.8, 0.2]], cols
    )
    np.save(run / "test_predictions.npy", y + rng.normal(0, 0.3, y.shape).astype(np.float32))
    summarize_study([run / "test_metrics.tsv"], tmp_path / "metrics.tsv")
    plot_study(
        tmp_path / "metrics.tsv", [run / "test_predictions.npy"], data, tmp_path / "fig.png", title="s"
    )
    assert (tmp_path / "fig.png").stat().st_size > 10_000


def _stats(path, model, trial, hits, n_filters=4, jaspar=0.75):
    """A stats.json as seqcnn.motifs.annotate_run writes it: ``hits`` maps filter index -> planted name."""
    filters = [
        {
            "filter": f"filter{j}",
            "n_sites": 0 if j == n_filters - 1 else 10,
            "relevant_hit": j in hits,
            "best_relevant_name": hits.get(j),
        }
        for j in range(n_filters)
    ]
    stats = {"model": model, "trial": trial, "layer": 0, "n_filters": n_filters, "jaspar_match": jaspar,
             "relevant_match": len(hits) / n_filters, "filters": filters}  # fmt: skip
    path.write_text(json.dumps(stats))
    return path


def test_filter_table_counts_jaspar_and_planted_matches(tmp_path):
    from seqcnn.studies import summarize_filters

    files = [
        _stats(tmp_path / "a.json", "cnn_25", 0, {0: "CTCF", 1: "GATA1", 2: "CTCF"}),
        _stats(tmp_path / "b.json", "deepbind", 0, {}, jaspar=0.25),
    ]
    table = summarize_filters(files, tmp_path / "filters.tsv")
    row = table.set_index("model").loc["cnn_25"]
    assert row["planted_match"] == pytest.approx(0.75) and row["jaspar_match"] == pytest.approx(0.75)
    assert row["planted_found"] == "CTCF,GATA1" and row["n_dead"] == 1
    assert table.set_index("model").loc["deepbind", "planted_found"] == ""
    written = pd.read_csv(tmp_path / "filters.tsv", sep="\t")
    assert list(written.columns) == ["model", "trial", "layer", "n_filters", "n_dead", "jaspar_match",
                                     "planted_match", "planted_found"]  # fmt: skip
    # Without planted truth (a real genome) the planted columns are empty, not zero.
    real = summarize_filters(files, tmp_path / "real.tsv", has_truth=False)
    assert real["planted_match"].isna().all() and (real["planted_found"] == "").all()
    # A study without a sequence convolution (DECODE) still writes the table, empty.
    assert summarize_filters([], tmp_path / "none.tsv").empty
    assert (tmp_path / "none.tsv").read_text().split() == list(written.columns)


def test_planted_ids_come_from_the_config_or_the_toy_truth(tmp_path):
    from seqcnn.toy import planted_ids

    truth = tmp_path / "truth.json"
    truth.write_text(
        json.dumps({"motifs": {"CTCF": {"matrix_id": "MA0139.1"}, "SPI1": {"matrix_id": "MA0080.4"}}})
    )
    assert planted_ids(["MA0079.3"], [truth]) == ["MA0079.3"]
    assert planted_ids(None, [truth]) == ["MA0139.1", "MA0080.4"]
    assert planted_ids(None, []) == []
