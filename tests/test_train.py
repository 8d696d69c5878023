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
from seqcnn.models import build_model
from seqcnn.predict import load_run, predict
from seqcnn.synthetic import generate_koo_eddy
from seqcnn.train import BatchSource, train_model


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
    model = load_run(tmp_path, device="cpu")
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
    assert (killed / "checkpoint.pt").exists() and (killed / "metrics.partial.tsv").exists()
    # Nothing that looks finished: the run's outputs are written only when training ends.
    assert not any((killed / f).exists() for f in ("model.pt", "metrics.tsv", "settings.json"))
    monkeypatch.setattr(train_mod, "write_tsv", real_write_tsv)

    train_model("cnn_25", random_dataset, killed, max_epochs=4, threads=1)
    assert "resumed cnn_25 trial 0 from its checkpoint: 3 epoch(s) done" in caplog.text
    a = pd.read_csv(straight / "metrics.tsv", sep="\t")
    b = pd.read_csv(killed / "metrics.tsv", sep="\t")
    assert list(b["epoch"]) == [0, 1, 2, 3]
    np.testing.assert_allclose(b["train_loss"], a["train_loss"], rtol=1e-6)
    np.testing.assert_allclose(b["valid_loss"], a["valid_loss"], rtol=1e-6)
    assert sorted(p.name for p in killed.iterdir()) == ["metrics.tsv", "model.pt", "settings.json"]


def _kill_after_epochs(monkeypatch, run, dataset, epochs, max_epochs=4):
    """Train until ``epochs`` epochs are checkpointed, then die as a killed job would."""
    calls = {"n": 0}
    real = train_mod.write_tsv

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] >= epochs:  # during the write after epoch `epochs - 1` was checkpointed
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(train_mod, "write_tsv", dying)
    with pytest.raises(KeyboardInterrupt):
        train_model("cnn_25", dataset, run, max_epochs=max_epochs, threads=1)
    monkeypatch.setattr(train_mod, "write_tsv", real)


@pytest.mark.parametrize("damaged", [["checkpoint.pt"], ["checkpoint.pt", "checkpoint.prev.pt"]])
def test_truncated_checkpoint_is_set_aside_and_training_recovers(
    random_dataset, tmp_path, monkeypatch, caplog, damaged
):
    caplog.set_level("INFO", logger="seqcnn")
    straight = tmp_path / "straight"
    train_model("cnn_25", random_dataset, straight, max_epochs=4, threads=1)
    run = tmp_path / "run"
    _kill_after_epochs(monkeypatch, run, random_dataset, epochs=3)
    for name in damaged:
        data = (run / name).read_bytes()
        (run / name).write_bytes(data[: len(data) // 3])
    train_model("cnn_25", random_dataset, run, max_epochs=4, threads=1)
    for name in damaged:
        assert f"{run / name} cannot be read" in caplog.text and (run / f"{name}.corrupt").exists()
    # Resumed from the epoch before (the previous checkpoint) or, with both damaged, from scratch.
    if len(damaged) == 1:
        assert "from its checkpoint: 2 epoch(s) done" in caplog.text
    else:
        assert "resumed" not in caplog.text
    a = pd.read_csv(straight / "metrics.tsv", sep="\t")
    b = pd.read_csv(run / "metrics.tsv", sep="\t")
    np.testing.assert_allclose(b["valid_loss"], a["valid_loss"], rtol=1e-6)


def test_a_batch_that_cannot_fit_in_memory_is_refused_before_training(random_dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(train_mod, "available_memory", lambda: 20 * 2**20)
    with pytest.raises(train_mod.InputError) as err:
        train_model("cnn_25", random_dataset, tmp_path, batch_size=5000, max_epochs=1)
    message = str(err.value)
    assert message.startswith(
        "config key training.batch_size: one training step of 'cnn_25' on 5000 sequences"
    )
    assert "20 MiB are available to this job; expected a batch_size of at most" in message
    assert not any(tmp_path.iterdir())


def test_truncated_dataset_arrays_are_named(random_dataset, tmp_path):
    import shutil

    broken = tmp_path / "ds"
    shutil.copytree(random_dataset, broken)
    data = (broken / "train.x.npy").read_bytes()
    (broken / "train.x.npy").write_bytes(data[:200])
    with pytest.raises(train_mod.InputError, match=rf"{broken / 'train.x.npy'}: truncated or not a NumPy"):
        load_split(broken, "train")
    (broken / "meta.json").write_text("{not json")
    with pytest.raises(train_mod.InputError, match=r"meta.json: cannot be read as JSON.*delete the dataset"):
        train_model("cnn_25", broken, tmp_path / "run")


def test_streaming_and_resident_batches_agree(random_dataset):
    X, y = load_split(random_dataset, "train", mmap=True)
    cpu = torch.device("cpu")
    resident = BatchSource(X, y, cpu, resident=True)
    streamed = BatchSource(X, y, cpu, resident=False)
    (xr, yr), (xs, ys) = next(resident.batches(300)), next(streamed.batches(300))
    xr, xs = xr["sequence"], xs["sequence"]
    assert xr.shape == (300, 4, 60) and torch.equal(xr, xs) and torch.equal(yr, ys)
    assert torch.all(xr.sum(1) == 1)  # one-hot, no N in this data


def test_predict_is_in_unit_interval_and_batch_invariant(random_dataset):
    X, _ = load_split(random_dataset, "test")
    model = build_model("cnn_25", n_classes=2, seq_len=60)
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


# --- one engine for every task: regression, track inputs, task subsets, crops, RC augmentation ---


def _kmer_regression(tmp_path_factory):
    """Targets = counts of AGATAAGG and of its reverse complement (so RC augmentation is harmless)."""
    rng = np.random.default_rng(1)
    root = tmp_path_factory.mktemp("reg")
    gata = np.array([0, 2, 0, 3, 0, 0, 2, 2])
    tatc = 3 - gata[::-1]

    def split(n):
        X = rng.integers(0, 4, (n, 80), dtype=np.uint8)
        for i in range(n):
            for _ in range(rng.integers(0, 4)):
                pos = rng.integers(0, 72)
                X[i, pos : pos + 8] = gata if rng.random() < 0.5 else tatc
        win = np.lib.stride_tricks.sliding_window_view(X, 8, axis=1)
        count = ((win == gata).all(-1) | (win == tatc).all(-1)).sum(1)
        y = np.stack([count, -0.5 * count], axis=1).astype(np.float32)
        return X, y + rng.normal(0, 0.1, y.shape).astype(np.float32)

    save_dataset(
        root, {"train": split(1500), "valid": split(300), "test": split(300)},
        {"classes": ["up", "down"], "task": "regression"},
    )  # fmt: skip
    return root


@pytest.fixture(scope="module")
def regression_dataset(tmp_path_factory):
    return _kmer_regression(tmp_path_factory)


def test_regression_task_trains_with_mse_and_reports_pearson(regression_dataset, tmp_path):
    train_model(
        "deepstarr", regression_dataset, tmp_path, max_epochs=20, patience=20, lr=0.005, l2=0.0, threads=1,
        rc_augment=True, model_options={"filters": [32, 32, 32, 32], "hidden": [64, 64]},
    )  # fmt: skip
    settings = json.loads((tmp_path / "settings.json").read_text())
    assert settings["task"] == "regression" and settings["rc_augment"] is True
    assert "valid_pearson" in pd.read_csv(tmp_path / "metrics.tsv", sep="\t")
    table = evaluate_run(
        tmp_path, regression_dataset, tmp_path / "t.tsv", device="cpu", predictions=tmp_path / "p.npy"
    )
    rows = table.set_index("class")
    assert list(table.columns[-4:]) == ["n", "pearson", "spearman", "mse"]
    assert rows.loc["up", "pearson"] > 0.7 and rows.loc["down", "pearson"] > 0.7
    y_hat = np.load(tmp_path / "p.npy")
    assert y_hat.shape == (300, 2) and (y_hat < 0).any()  # values, not sigmoid outputs


def test_reverse_complement_of_one_hot_and_tracks():
    from seqcnn.sequence import encode, one_hot

    x = one_hot(torch.as_tensor(np.stack([encode("AACGT"), encode("GGGTA")])))
    tracks = torch.arange(10, dtype=torch.float32).view(2, 1, 5)
    out = train_mod.reverse_complement({"sequence": x, "tracks": tracks}, torch.tensor([True, False]))
    assert torch.equal(out["sequence"][0], one_hot(torch.as_tensor(encode("ACGTT"))[None])[0])
    assert torch.equal(out["sequence"][1], x[1])
    assert out["tracks"][0, 0].tolist() == [4, 3, 2, 1, 0] and out["tracks"][1, 0].tolist() == [5, 6, 7, 8, 9]


def test_task_subset_and_crop_reach_the_model(random_dataset, tmp_path):
    train_model("deepbind", random_dataset, tmp_path, max_epochs=2, tasks=["b"], crop=21, threads=1)
    settings = json.loads((tmp_path / "settings.json").read_text())
    assert settings["classes"] == ["b"] and settings["task_index"] == [1] and settings["seq_len"] == 21
    X, y = load_split(random_dataset, "train")
    src = BatchSource(X, y[:, [1]], torch.device("cpu"), crop=21)
    xb, yb = next(src.batches(5))
    assert xb["sequence"].shape == (5, 4, 21) and yb.shape == (5, 1)
    # The crop is the central window: codes 19..39 of the 60-bp sequences.
    assert torch.equal(xb["sequence"].argmax(1), torch.as_tensor(X[:5, 19:40]).long())
    table = evaluate_run(tmp_path, random_dataset, tmp_path / "t.tsv", device="cpu")
    assert table["class"].tolist() == ["b", "__macro__"]


def test_monitoring_the_score_keeps_the_best_score_epoch(random_dataset, tmp_path, monkeypatch):
    # A scripted validation score that peaks at epoch 3, whatever the loss does: the run keeps epoch 3 and
    # stops `patience` epochs later.
    scores = iter([0.50, 0.60, 0.55, 0.70, 0.65, 0.69, 0.9])
    monkeypatch.setattr(train_mod, "_monitor", lambda task, y, y_hat: ("auroc", next(scores)))
    summary = train_model(
        "cnn_50_2", random_dataset, tmp_path, max_epochs=30, patience=2, lr=0.01, monitor="score", threads=1
    )
    history = pd.read_csv(tmp_path / "metrics.tsv", sep="\t")
    assert summary["best_epoch"] == 3 and len(history) == 6
    assert history["best"].tolist() == [True, True, False, True, False, False]
    assert summary["best_valid_loss"] == pytest.approx(history["valid_loss"][3])
    # The saved model is epoch 3's: it reproduces that epoch's validation loss.
    model = load_run(tmp_path, device="cpu")
    X, y = load_split(random_dataset, "valid")
    src = BatchSource(X, y, torch.device("cpu"))
    loss, _, _ = train_mod.evaluate_loss(model, src, train_mod.TrainSettings())
    assert loss == pytest.approx(history["valid_loss"][3], rel=1e-5)


def test_bad_run_requests_name_what_was_expected(random_dataset, tmp_path):
    from seqcnn.errors import InputError

    with pytest.raises(InputError, match=r"config key tasks: \['zzz'\] not in dataset .* \(it has a, b\)"):
        train_model("deepbind", random_dataset, tmp_path, tasks=["zzz"])
    with pytest.raises(InputError, match="model 'decode' reads signal tracks, but dataset .* has none"):
        train_model("decode", random_dataset, tmp_path)
    with pytest.raises(InputError, match=r"config key crop: expected a length in \[1, 60\], got 61"):
        train_model("deepbind", random_dataset, tmp_path, crop=61)
    with pytest.raises(InputError, match="config key training.optimizer: expected 'adam' or 'rmsprop'"):
        train_model("deepbind", random_dataset, tmp_path, optimizer="sgd")
    with pytest.raises(InputError, match="training.monitor: expected one of loss, score, got 'auc'"):
        train_model("deepbind", random_dataset, tmp_path, monitor="auc")


def test_track_models_learn_from_tracks_and_sequence(tmp_path_factory, tmp_path):
    """Label = motif present AND signal high: only a model reading both can be right on all four cases."""
    rng = np.random.default_rng(2)
    root = tmp_path_factory.mktemp("mm")
    motif = np.array([0, 1, 2, 3, 3, 2])  # ACGTTG

    def split(n):
        X = rng.integers(0, 4, (n, 120), dtype=np.uint8)
        has = rng.random(n) < 0.5
        X[has, 57:63] = motif
        open_ = rng.random(n) < 0.5
        F = rng.normal(0, 0.3, (n, 1, 120)).astype(np.float32)
        F[open_, 0, 45:75] += 2.0
        return (X, (has & open_).astype(np.float32)[:, None]), F

    parts = {s: split(n) for s, n in (("train", 1500), ("valid", 300), ("test", 300))}
    save_dataset(
        root,
        {s: p[0] for s, p in parts.items()},
        {"classes": ["bound"], "tracks": {"names": ["atac"], "bins": 120}},
    )
    for s, (_, F) in parts.items():
        np.save(root / f"{s}.tracks.npy", F)
    scores = {}
    for name in ("multimodal", "multimodal_seq", "multimodal_track"):
        run = tmp_path / name
        train_model(name, root, run, max_epochs=15, patience=15, lr=0.003, l2=0.0, threads=1, rc_augment=True)
        table = evaluate_run(run, root, run / "t.tsv", device="cpu")
        scores[name] = table.set_index("class").loc["bound", "average_precision"]
    assert json.loads((tmp_path / "multimodal/settings.json").read_text())["inputs"] == ["sequence", "tracks"]
    assert scores["multimodal"] > 0.9
    assert scores["multimodal"] > scores["multimodal_seq"] + 0.2
    assert scores["multimodal"] > scores["multimodal_track"] + 0.2
