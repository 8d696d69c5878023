"""Training engine: learning, early stopping with best-checkpoint restore, resume after a kill."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

import seqcnn.train as train_mod
from seqcnn.datasets import load_split, save_dataset
from seqcnn.evaluate import evaluate_run
from seqcnn.jaspar import fetch_motifs, select_motifs
from seqcnn.synthetic import generate_koo_eddy
from seqcnn.train import BatchSource, load_trained, predict, train_model


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    """6,000 synthetic sequences carrying 3 JASPAR motifs (real, learnable signal)."""
    motifs = select_motifs(fetch_motifs(), ["MA0079.3", "MA0083.3", "MA0095.2"], "test")
    splits = generate_koo_eddy([m.probs for m in motifs], n_seqs=6000, seq_len=200, seed=1)
    root = tmp_path_factory.mktemp("ds")
    save_dataset(root, {k: (v.X, v.y) for k, v in splits.items()}, {"classes": [m.name for m in motifs]})
    return root


@pytest.fixture(scope="module")
def random_dataset(tmp_path_factory):
    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("rnd")

    def split(n):
        return rng.integers(0, 4, (n, 60), dtype=np.uint8), (rng.random((n, 2)) < 0.3).astype(np.float32)

    save_dataset(
        root, {"train": split(300), "valid": split(100), "test": split(100)}, {"classes": ["a", "b"]}
    )
    return root


def test_cnn_25_learns_planted_motifs(small_dataset, tmp_path):
    summary = train_model("cnn_25", small_dataset, tmp_path, max_epochs=15, patience=20, threads=1)
    table = evaluate_run(tmp_path, small_dataset, tmp_path / "test.tsv", device="cpu")
    macro = table.set_index("class").loc["__macro__"]
    assert macro["auroc"] > 0.85
    assert summary["epochs"] == 15
    settings = json.loads((tmp_path / "settings.json").read_text())
    assert settings["seed"] == 2019 * 1000 and settings["beta1"] == 0.95 and settings["model"] == "cnn_25"
    assert not (tmp_path / "checkpoint.pt").exists()


def test_early_stopping_restores_best_checkpoint(random_dataset, tmp_path):
    # Random labels: validation loss soon stops improving; patience 2 ends the run early.
    summary = train_model("cnn_50_2", random_dataset, tmp_path, max_epochs=60, patience=2, lr=0.01)
    history = pd.read_csv(tmp_path / "metrics.tsv", sep="\t")
    best = int(history["valid_loss"].idxmin())
    assert summary["epochs"] < 60
    assert len(history) - 1 - best == 2  # stopped exactly `patience` epochs after the best
    assert summary["best_epoch"] == best
    # The saved model is the best epoch's: its validation loss reproduces the recorded minimum.
    model = load_trained(tmp_path, device="cpu")
    X, y = load_split(random_dataset, "valid")
    src = BatchSource(X, y, torch.device("cpu"))
    loss, _, _ = train_mod.evaluate_loss(model, src, train_mod.TrainSettings())
    assert loss == pytest.approx(history["valid_loss"].min(), rel=1e-5)


def test_killed_run_resumes_from_last_epoch(random_dataset, tmp_path, monkeypatch, caplog):
    caplog.set_level("INFO", logger="seqcnn")
    straight = tmp_path / "straight"
    train_model("cnn_25", random_dataset, straight, max_epochs=4, threads=1)

    killed = tmp_path / "killed"
    calls = {"n": 0}
    real_write_tsv = train_mod.write_tsv

    def dying_write_tsv(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # during epoch 2, after its checkpoint was written
            raise KeyboardInterrupt
        return real_write_tsv(*args, **kwargs)

    monkeypatch.setattr(train_mod, "write_tsv", dying_write_tsv)
    with pytest.raises(KeyboardInterrupt):
        train_model("cnn_25", random_dataset, killed, max_epochs=4, threads=1)
    assert (killed / "checkpoint.pt").exists() and not (killed / "model.pt").exists()
    monkeypatch.setattr(train_mod, "write_tsv", real_write_tsv)

    train_model("cnn_25", random_dataset, killed, max_epochs=4, threads=1)
    assert "resumed cnn_25 trial 0 from its checkpoint: 3 epoch(s) done" in caplog.text
    a = pd.read_csv(straight / "metrics.tsv", sep="\t")
    b = pd.read_csv(killed / "metrics.tsv", sep="\t")
    assert list(b["epoch"]) == [0, 1, 2, 3]
    np.testing.assert_allclose(b["train_loss"], a["train_loss"], rtol=1e-6)
    np.testing.assert_allclose(b["valid_loss"], a["valid_loss"], rtol=1e-6)


def test_streaming_and_resident_batches_agree(random_dataset):
    X, y = load_split(random_dataset, "train", mmap=True)
    cpu = torch.device("cpu")
    resident = BatchSource(X, y, cpu, resident=True)
    streamed = BatchSource(X, y, cpu, resident=False)
    (xr, yr), (xs, ys) = next(resident.batches(300)), next(streamed.batches(300))
    assert xr.shape == (300, 4, 60) and torch.equal(xr, xs) and torch.equal(yr, ys)
    assert torch.all(xr.sum(1) == 1)  # one-hot, no N in this data


def test_predict_is_in_unit_interval_and_batch_invariant(random_dataset):
    X, _ = load_split(random_dataset, "test")
    model = train_mod.build_model("cnn_25", n_classes=2, seq_len=60)
    a = predict(model, X, batch_size=7, device="cpu")
    b = predict(model, X, batch_size=100, device="cpu")
    assert a.shape == (100, 2) and (a > 0).all() and (a < 1).all()
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_checkpoint_from_other_settings_is_not_resumed(random_dataset, tmp_path, monkeypatch, caplog):
    caplog.set_level("INFO", logger="seqcnn")

    def die(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_mod, "write_tsv", die)
    with pytest.raises(KeyboardInterrupt):
        train_model("cnn_25", random_dataset, tmp_path, max_epochs=3, lr=0.01)
    monkeypatch.undo()
    train_model("cnn_25", random_dataset, tmp_path, max_epochs=3, lr=0.001)
    assert "written under other settings" in caplog.text and "resumed" not in caplog.text
    assert len(pd.read_csv(tmp_path / "metrics.tsv", sep="\t")) == 3
