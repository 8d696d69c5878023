"""Test sets and experiments: a run scored on another dataset's test split, negatives at a test-only ratio,
and an experiment's table, chance levels and figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from seqcnn.datasets import load_meta, load_split, save_dataset
from seqcnn.errors import InputError
from seqcnn.evaluate import evaluate_run
from seqcnn.experiments import chance_level, gather_scores, plot_scores, summarize_scores, write_summary
from seqcnn.labels import build_peak_dataset
from seqcnn.predict import load_run, predict
from seqcnn.toy import build_toy_genome
from seqcnn.train import train_model

SPLITS = {"valid": ["chr2"], "test": ["chr3"]}


def _dataset(root, n_classes=1, length=60, seed=0, classes=None):
    rng = np.random.default_rng(seed)

    def split(n):
        X = rng.integers(0, 4, (n, length), dtype=np.uint8)
        y = (rng.random((n, n_classes)) < 0.3).astype(np.float32)
        X[y[:, 0] == 1, 20:26] = [0, 1, 2, 3, 0, 1]  # a learnable word in the positives
        return X, y

    names = classes or [f"c{i}" for i in range(n_classes)]
    save_dataset(root, {"train": split(400), "valid": split(100), "test": split(150)}, {"classes": names})
    return root


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("exp")
    data = _dataset(root / "train", classes=["TF_cellA"])
    run = root / "run"
    train_model("cnn_50_2", data, run, max_epochs=3, patience=5, threads=1)
    return run, data, root


def test_a_run_is_scored_on_another_datasets_test_split_as_an_independent_computation_says(trained):
    run, _, root = trained
    other = _dataset(root / "cellB", seed=5, classes=["TF_cellB"])
    table = evaluate_run(
        run, other, root / "cellB.tsv", device="cpu", test_set="cellB", predictions=root / "p.npy"
    )
    X, y = load_split(other, "test")
    y_hat = predict(load_run(run, device="cpu"), X, device="cpu")
    row = table.set_index("class").loc["TF_cellB"]  # named by the test set's class, matched in order
    assert row["auroc"] == pytest.approx(roc_auc_score(y[:, 0], y_hat[:, 0]), abs=1e-6)
    assert row["average_precision"] == pytest.approx(average_precision_score(y[:, 0], y_hat[:, 0]), abs=1e-6)
    assert row["n"] == 150 and (table["test_set"] == "cellB").all()
    assert np.allclose(np.load(root / "p.npy"), y_hat)


def test_a_test_set_the_model_cannot_read_is_named(trained):
    run, _, root = trained
    longer = _dataset(root / "long", length=80, classes=["TF_cellA"])
    with pytest.raises(InputError, match=r"test set 'long' \(.*long\): 80-bp windows; the model reads 60 bp"):
        evaluate_run(run, longer, root / "x.tsv", device="cpu", test_set="long")
    two = _dataset(root / "two", n_classes=2, classes=["a", "b"])
    with pytest.raises(
        InputError, match=r"test set 'two' .*classes \['a', 'b'\]; the model predicts \['TF_cellA'\]"
    ):
        evaluate_run(run, two, root / "x.tsv", device="cpu", test_set="two")
    assert not (root / "x.tsv").exists()
    # By name where the names agree: the model's class is picked out of a wider label matrix.
    wide = _dataset(root / "wide", n_classes=2, classes=["other", "TF_cellA"], seed=9)
    table = evaluate_run(run, wide, root / "w.tsv", device="cpu", test_set="wide")
    X, y = load_split(wide, "test")
    y_hat = predict(load_run(run, device="cpu"), X, device="cpu")
    auroc = table.set_index("class").loc["TF_cellA", "auroc"]
    assert auroc == pytest.approx(roc_auc_score(y[:, 1], y_hat[:, 0]), abs=1e-6)


def test_test_neg_ratio_adds_genomic_negatives_to_the_test_split_only(tmp_path):
    toy = build_toy_genome(tmp_path / "toy", seed=1)
    common = {"splits": SPLITS, "blacklist": toy.blacklist, "experiments": ["CTCF_cellA"], "window": 101}
    common.update(center_bp=101, negatives="random", seed=2)

    def build(name, **kw):
        out = tmp_path / name
        return build_peak_dataset(
            toy.samples, toy.fasta, out / "d", out / "s.tsv", out / "w.bed", **common, **kw
        )

    even = build("even")
    skewed = build("skewed", test_neg_ratio=50)
    n_pos = skewed.n_positive_windows["test"]
    assert n_pos == even.n_positive_windows["test"] > 50
    assert skewed.n_negative_windows["test"] == 50 * n_pos
    assert skewed.n_negative_windows["train"] == skewed.n_positive_windows["train"]
    assert load_meta(skewed.out_dir)["test_neg_ratio"] == 50.0
    # The same test positives; negatives lie outside every CTCF peak.
    Xe, ye = load_split(even.out_dir, "test")
    Xs, ys = load_split(skewed.out_dir, "test")
    assert np.array_equal(Xe[:n_pos], Xs[:n_pos]) and ys[n_pos:].sum() == 0
    windows = pd.read_csv(skewed.windows_bed, sep="\t")
    negatives = windows[windows["name"].str.startswith("random_test")]
    assert len(negatives) == 50 * n_pos
    assert not negatives.duplicated(["#chrom", "start"]).any()
    with pytest.raises(
        InputError, match=r"config key test_neg_ratio: expected a number >= 0 or null, got -1"
    ):
        build("bad", test_neg_ratio=-1)


def _scored(root, study, test_set, y, y_hat, model="m", trial=0):
    """A run's evaluation table and predictions, as evaluate_run writes them."""
    run = root / study / test_set / f"t{trial}"
    run.mkdir(parents=True)
    np.save(run / "p.npy", y_hat[:, None].astype(np.float32))
    table = pd.DataFrame(
        [
            {"model": model, "trial": trial, "split": "test", "class": "TF", "n_pos": int(y.sum()),
             "auroc": roc_auc_score(y, y_hat), "aupr": np.nan,
             "average_precision": average_precision_score(y, y_hat), "recall_at_10fdr": 0.0},
        ]
    )  # fmt: skip
    macro = table.assign(**{"class": "__macro__"})
    pd.concat([table, macro]).to_csv(run / "m.tsv", sep="\t", index=False)
    return run / "m.tsv", run / "p.npy"


def test_an_imbalance_experiment_shows_auroc_flat_and_average_precision_falling_with_chance(tmp_path):
    rng = np.random.default_rng(0)
    pos = rng.normal(1.5, 1.0, 200)
    files, names = [], []
    for ratio in (1, 10, 50, 100):
        for trial in range(2):
            neg = rng.normal(0.0, 1.0, 200 * ratio)
            y = np.r_[np.ones(200), np.zeros(neg.size)]
            files.append(_scored(tmp_path, "s", f"bg_1to{ratio}", y, np.r_[pos, neg], trial=trial))
            names.append(f"bg_1to{ratio}")
    scores = gather_scores(
        ["s"] * len(files), names, [f[0] for f in files], [f[1] for f in files], tmp_path / "scores.tsv"
    )
    assert scores.loc[scores["test_set"] == "bg_1to100", "prevalence"].iloc[0] == pytest.approx(1 / 101)
    summary = summarize_scores(scores).set_index("test_set")
    assert list(summary.index) == ["bg_1to1", "bg_1to10", "bg_1to50", "bg_1to100"]
    assert summary["neg_per_pos"].tolist() == pytest.approx([1, 10, 50, 100])
    assert summary["auroc"].max() - summary["auroc"].min() < 0.03
    assert (
        summary.loc["bg_1to1", "average_precision"]
        > 0.8
        > 0.3
        > summary.loc["bg_1to100", "average_precision"]
    )
    assert summary.loc["bg_1to100", "average_precision_chance"] == pytest.approx(1 / 101)
    assert (summary["trials"] == 2).all() and (summary["auroc_std"] > 0).all()
    text = write_summary(tmp_path / "scores.tsv", tmp_path / "summary.md", title="imbalance").pipe(
        lambda _: (tmp_path / "summary.md").read_text()
    )
    assert (
        text.startswith("# imbalance")
        and "| chance | bg_1to100 | 200 | 100.0 |  | 0.500 | 0.010 | 0.000 |" in text
    )
    plot_scores(tmp_path / "scores.tsv", tmp_path / "fig.png", title="imbalance")
    assert (tmp_path / "fig.png").read_bytes()[:4] == b"\x89PNG"


def test_chance_levels():
    assert chance_level("auroc", 0.01) == 0.5
    assert chance_level("average_precision", 0.2) == 0.2
    # A random ranking reaches 90% precision only where 90% of the set is positive.
    assert chance_level("recall_at_10fdr", 0.5) == 0.0 and chance_level("recall_at_10fdr", 0.95) == 1.0


def test_a_multi_task_chance_level_is_the_mean_of_its_tasks():
    rows = [
        {"study": "s", "test_set": "t", "model": "m", "trial": 0, "class": c, "n": 100, "n_pos": k,
         "prevalence": p, "auroc": 0.9, "average_precision": 0.8, "recall_at_10fdr": 0.5}
        for c, k, p in (("a", 95, 0.95), ("b", 5, 0.05), ("__macro__", 100, 0.5))
    ]  # fmt: skip
    row = summarize_scores(pd.DataFrame(rows)).iloc[0]
    assert row["recall_at_10fdr_chance"] == pytest.approx(0.5)  # task a passes 90% precision at random
    assert row["average_precision_chance"] == pytest.approx(0.5)
    assert row["n_pos"] == 100 and row["neg_per_pos"] == pytest.approx(1.0)  # labels over both tasks
