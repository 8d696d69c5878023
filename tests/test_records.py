"""Run records: a study's finished trials copied apart from the models, and Table 1 assembled from them."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from seqcnn.errors import InputError
from seqcnn.records import collect, finished_trials, main, table1_from_records


def _trial(study, model, trial, auroc, relevant, annotated=True, layers=(0,)):
    run = study / "runs" / model / f"trial{trial}"
    run.mkdir(parents=True)
    (run / "settings.json").write_text(json.dumps({"model": model, "trial": trial, "seed": 2019000 + trial}))
    (run / "model.pt").write_bytes(b"weights")  # large in a real run; not recorded
    rows = [
        {"model": model, "trial": trial, "split": "test", "class": c, "n_pos": 10, "auroc": auroc,
         "aupr": auroc - 0.1, "average_precision": auroc - 0.1, "recall_at_10fdr": 0.5}
        for c in ("a", "__macro__")
    ]  # fmt: skip
    pd.DataFrame(rows).to_csv(run / "test_metrics.tsv", sep="\t", index=False)
    if annotated:
        for layer in layers:
            ann = study / "motifs" / model / f"trial{trial}" / f"layer{layer}"
            ann.mkdir(parents=True)
            stats = {"model": model, "trial": trial, "layer": layer, "n_filters": 30, "jaspar_match": 0.9,
                     "relevant_match": relevant}  # fmt: skip
            (ann / "stats.json").write_text(json.dumps(stats))


def test_collect_keeps_finished_trials_only_and_table1_averages_them_beside_the_paper(tmp_path):
    study, records = tmp_path / "results/koo_eddy", tmp_path / "records"
    _trial(study, "cnn_25", 0, 0.98, 0.90)
    _trial(study, "cnn_25", 1, 0.96, 0.80)
    _trial(study, "cnn_4", 0, 0.97, 0.10, annotated=False)  # evaluated, filters not yet annotated
    _trial(study, "cnn_1_3", 0, 0.90, 0.0, layers=(0, 1, 2))
    assert finished_trials(study) == [("cnn_1_3", 0), ("cnn_25", 0), ("cnn_25", 1)]
    # A trial being retrained (its model newer than its metrics) is not finished.
    weights = study / "runs/cnn_25/trial1/model.pt"
    os.utime(weights, (weights.stat().st_atime, weights.stat().st_mtime + 60))
    assert ("cnn_25", 1) not in finished_trials(study)
    os.utime(weights, (weights.stat().st_atime, weights.stat().st_mtime - 120))
    collect(study, records)
    assert not (records / "runs/cnn_4").exists() and not list(records.rglob("model.pt"))
    assert (records / "runs/cnn_25/trial1/settings.json").is_file()
    assert (records / "motifs/cnn_1_3/trial0/layer2/stats.json").is_file()
    # A second collect after more trials finished adds them (and rewrites those it had).
    _trial(study, "cnn_25", 2, 0.97, 0.85)
    collect(study, records)
    table = table1_from_records(records, tmp_path / "table1.md", tmp_path / "pool.png").set_index("model")
    assert table.loc["cnn_25", "n_trials"] == 3
    assert table.loc["cnn_25", "auroc_mean"] == pytest.approx(0.97)
    assert table.loc["cnn_25", "relevant_match_mean"] == pytest.approx(0.85)
    assert table.loc["cnn_4", "n_trials"] == 0 and len(table) == 16  # every published row, in its order
    md = (tmp_path / "table1.md").read_text()
    cnn25 = next(line for line in md.splitlines() if line.startswith("| cnn_25 |"))
    assert "| 3 | 0.970 ± 0.008 |" in cnn25 and "0.850 ± 0.041" in cnn25
    layers = pd.read_csv(records / "layers.tsv", sep="\t").set_index(["model", "layer"])
    # The deeper-layer table as the study configures it: CNN-1-3's three layers (1-based there).
    assert list(layers.index) == [("cnn_1_3", 1), ("cnn_1_3", 2), ("cnn_1_3", 3)]
    assert layers.loc[("cnn_1_3", 3), "n_trials"] == 1
    assert (tmp_path / "pool.png").read_bytes()[:4] == b"\x89PNG"


def test_records_name_what_is_missing(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    with pytest.raises(
        InputError, match=r"empty: no finished trial \(expected runs/<model>/trial<t>/test_metrics"
    ):
        collect(tmp_path / "empty", tmp_path / "records")
    assert main(["table1", str(tmp_path / "empty"), "--md", str(tmp_path / "t.md")]) == 1
    assert "no recorded trial" in capsys.readouterr().err and not (tmp_path / "t.md").exists()
