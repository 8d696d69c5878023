"""Table 1 and the layers table built from per-trial files, against hand-computed aggregates."""

import json

import numpy as np
import pandas as pd
import pytest

from seqcnn.errors import InputError
from seqcnn.tables import TABLE1_COLUMNS, summarize_layers, summarize_table1


def _trial_files(tmp_path, model, trial, auroc, aupr, jaspar, relevant, layer=0, n_filters=30):
    metrics = tmp_path / f"{model}_{trial}.tsv"
    pd.DataFrame(
        [
            {"model": model, "trial": trial, "split": "test", "class": "SP1", "auroc": 0.5, "aupr": 0.1},
            {
                "model": model,
                "trial": trial,
                "split": "test",
                "class": "__macro__",
                "auroc": auroc,
                "aupr": aupr,
            },
        ]
    ).to_csv(metrics, sep="\t", index=False)
    stats = tmp_path / f"{model}_{trial}_{layer}.json"
    stats.write_text(
        json.dumps(
            {
                "model": model,
                "trial": trial,
                "layer": layer,
                "n_filters": n_filters,
                "jaspar_match": jaspar,
                "relevant_match": relevant,
            }
        )
    )
    return metrics, stats


def test_table1_means_and_population_std(tmp_path):
    files = [
        _trial_files(tmp_path, "cnn_25", 0, 0.97, 0.80, 1.0, 0.9),
        _trial_files(tmp_path, "cnn_25", 1, 0.98, 0.90, 0.9, 0.8),
        _trial_files(tmp_path, "cnn_2", 0, 0.96, 0.70, 0.3, 0.0),
    ]
    table = summarize_table1(
        [m for m, _ in files],
        [s for _, s in files],
        ["cnn_25", "cnn_2"],
        tmp_path / "t.tsv",
        tmp_path / "t.md",
    )
    assert list(table.columns) == TABLE1_COLUMNS
    row = table.set_index("model").loc["cnn_25"]
    assert row["n_trials"] == 2
    assert row["auroc_mean"] == pytest.approx(0.975) and row["auroc_std"] == pytest.approx(0.005)
    assert row["jaspar_match_mean"] == pytest.approx(0.95) and row["relevant_match_std"] == pytest.approx(
        0.05
    )
    assert table.set_index("model").loc["cnn_2", "auroc_std"] == 0.0
    md = (tmp_path / "t.md").read_text()
    # Reproduced beside published (CNN-25: 0.973 ± 0.001 and 0.980 ± 0.027), with the AU-ROC difference.
    assert "| cnn_25 | CNN-25 | 2 | 0.975 ± 0.005 | 0.973 ± 0.001 | +0.002 |" in md
    assert "0.850 ± 0.050 | 0.980 ± 0.027 | -0.130 |" in md
    written = pd.read_csv(tmp_path / "t.tsv", sep="\t")
    np.testing.assert_allclose(written["auroc_mean"], [0.975, 0.96])


def test_layers_table_reports_one_based_layers_beside_published(tmp_path):
    stats = [
        _trial_files(tmp_path, "cnn_1", t, 0.9, 0.9, j, r, layer=1, n_filters=128)[1]
        for t, (j, r) in enumerate([(0.9, 0.85), (0.92, 0.83)])
    ]
    table = summarize_layers(stats, {"cnn_1": [1]}, tmp_path / "layers.tsv")
    row = table.iloc[0]
    assert (row["model"], row["layer"], row["n_filters"], row["n_trials"]) == ("cnn_1", 2, 128, 2)
    assert row["jaspar_match_mean"] == pytest.approx(0.91)
    assert row["published_relevant_match"] == pytest.approx(0.847)


def test_incomplete_inputs_are_named(tmp_path):
    bad_metrics = tmp_path / "m.tsv"
    pd.DataFrame([{"model": "x", "trial": 0, "class": "SP1", "auroc": 0.5}]).to_csv(bad_metrics, sep="\t")
    _, stats = _trial_files(tmp_path, "cnn_25", 0, 0.9, 0.9, 0.5, 0.5)
    with pytest.raises(InputError, match=r"m.tsv: no __macro__ row"):
        summarize_table1([bad_metrics], [stats], ["x"], tmp_path / "t.tsv", tmp_path / "t.md")
    bad_stats = tmp_path / "s.json"
    bad_stats.write_text(json.dumps({"model": "cnn_25", "trial": 0}))
    with pytest.raises(InputError, match=r"s.json: missing key\(s\) \['layer'"):
        summarize_layers([bad_stats], {"cnn_25": [0]}, tmp_path / "l.tsv")
    assert not (tmp_path / "t.tsv").exists() and not (tmp_path / "l.tsv").exists()
