"""Trials trained together (seqcnn.stacked) against the same trials trained apart (seqcnn.train)."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

import seqcnn.stacked as stacked_mod
from seqcnn.datasets import save_dataset
from seqcnn.models import build_model
from seqcnn.predict import load_run
from seqcnn.stacked import TrialStack, train_trials
from seqcnn.train import TrainSettings, _source, evaluate_loss, make_optimizer, resolve_run, train_model


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Random 100-bp sequences with two labels that follow a base count (learnable, quick)."""
    rng = np.random.default_rng(3)
    root = tmp_path_factory.mktemp("stacked")

    def split(n):
        X = rng.integers(0, 4, (n, 100), dtype=np.uint8)
        gc = ((X == 1) | (X == 2)).mean(1)
        y = np.stack([gc > 0.5, (X[:, 40:60] == 0).mean(1) > 0.3], axis=1).astype(np.float32)
        return X, y

    save_dataset(
        root, {"train": split(2000), "valid": split(500), "test": split(200)}, {"classes": ["gc", "a"]}
    )
    return root


@pytest.fixture
def no_dropout(monkeypatch):
    """Dropout off in both engines: their masks are the one thing trials trained together do not share."""
    monkeypatch.setattr(nn.Dropout, "forward", lambda self, x: x)


KW = {"threads": 1, "batch_size": 50}


def _apart(dataset, root, trials, **kw):
    return [train_model("cnn_25", dataset, root / f"trial{t}", trial=t, **{**KW, **kw}) for t in trials]


def _together(dataset, root, trials, **kw):
    return train_trials("cnn_25", dataset, [root / f"trial{t}" for t in trials], trials, **{**KW, **kw})


def _metrics(root, trial):
    return pd.read_csv(root / f"trial{trial}" / "metrics.tsv", sep="\t")


def _weights(root, trial):
    return torch.load(root / f"trial{trial}" / "model.pt", weights_only=True)


def test_trials_together_take_the_steps_they_take_apart(dataset, tmp_path, no_dropout):
    apart, together = tmp_path / "apart", tmp_path / "together"
    _apart(dataset, apart, [0, 1, 2], max_epochs=3)
    summaries = _together(dataset, together, [0, 1, 2], max_epochs=3)
    assert [s["trial"] for s in summaries] == [0, 1, 2]
    # Grouped convolutions sum in another order; Adam magnifies the rounding where a gradient is near 0,
    # so the trials drift apart slowly: after one epoch far less than one trial differs from the next,
    # after three a few percent (up to 4.7% in validation loss on one CPU, 1% on another).
    epoch1 = {k: [_metrics(apart, t)[k][0] for t in (0, 1, 2)] for k in ("train_loss", "valid_loss")}
    for t in (0, 1, 2):
        a, b = _metrics(apart, t), _metrics(together, t)
        for key, spread in ((k, np.ptp(v)) for k, v in epoch1.items()):
            assert abs(b[key][0] - a[key][0]) < 0.15 * spread, (key, t)
        np.testing.assert_allclose(b["valid_loss"], a["valid_loss"], rtol=0.1)
        wa, wb = _weights(apart, t), _weights(together, t)
        assert wa.keys() == wb.keys()
        weight = "convs.0.conv.weight"
        assert (wb[weight] - wa[weight]).abs().max() < 0.1 * (
            wa[weight] - _weights(apart, (t + 1) % 3)[weight]
        ).abs().max()
    # Each trial has its own seed: their first-epoch losses differ.
    first = [_metrics(together, t)["train_loss"][0] for t in (0, 1, 2)]
    assert len(set(np.round(first, 6))) == 3
    settings = json.loads((together / "trial1" / "settings.json").read_text())
    assert settings["seed"] == 2019 * 1000 + 1 and settings["stacked_trials"] == 3
    assert not list(together.rglob("checkpoint*.pt"))


def test_first_epoch_losses_with_dropout_match_a_separate_run(dataset, tmp_path):
    # Dropout masks differ between the engines; the losses still agree closely.
    _apart(dataset, tmp_path / "apart", [0, 1], max_epochs=1)
    _together(dataset, tmp_path / "together", [0, 1], max_epochs=1)
    for t in (0, 1):
        a, b = _metrics(tmp_path / "apart", t), _metrics(tmp_path / "together", t)
        assert abs(b["train_loss"][0] - a["train_loss"][0]) < 0.05 * a["train_loss"][0]
        assert abs(b["valid_loss"][0] - a["valid_loss"][0]) < 0.05 * a["valid_loss"][0]


def test_each_trial_stops_early_on_its_own(tmp_path):
    # Random labels and patience 2: validation loss soon stops improving, at each trial's own epoch.
    rng = np.random.default_rng(0)
    data = tmp_path / "random"

    def split(n):
        return rng.integers(0, 4, (n, 60), dtype=np.uint8), (rng.random((n, 2)) < 0.3).astype(np.float32)

    save_dataset(
        data, {"train": split(300), "valid": split(100), "test": split(100)}, {"classes": ["a", "b"]}
    )
    settings = {"max_epochs": 30, "patience": 2, "lr": 0.01}
    runs = tmp_path / "runs"
    summaries = train_trials("cnn_50_2", data, [runs / f"t{t}" for t in range(4)], list(range(4)), **settings)
    epochs = [s["epochs"] for s in summaries]
    assert len(set(epochs)) > 1, f"the trials should stop at different epochs: {epochs}"
    source = _source(data, "valid", resolve_run("cnn_50_2", data), torch.device("cpu"), None)
    for t, s in enumerate(summaries):
        m = pd.read_csv(runs / f"t{t}" / "metrics.tsv", sep="\t")
        best = int(m["valid_loss"].idxmin())
        assert s["best_epoch"] == best and len(m) == min(best + 1 + settings["patience"], 30)
        # The stack shrinks as trials stop: the longest trial ends alone.
        assert m["stacked_trials"].iloc[0] == 4
        assert m["stacked_trials"].iloc[-1] == sum(e >= len(m) for e in epochs)
        # model.pt is the best epoch's state.
        model = load_run(runs / f"t{t}")
        loss, _, _ = evaluate_loss(model, source, TrainSettings(**settings))
        assert loss == pytest.approx(m["valid_loss"][best], rel=1e-5)


def test_killed_stack_resumes_each_trial(dataset, tmp_path, monkeypatch, no_dropout):
    whole = tmp_path / "whole"
    _together(dataset, whole, [0, 1], max_epochs=4)

    killed = tmp_path / "killed"
    calls = {"n": 0}
    real = stacked_mod.stacked_evaluate

    def dies_in_epoch_3(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(stacked_mod, "stacked_evaluate", dies_in_epoch_3)
    with pytest.raises(KeyboardInterrupt):
        _together(dataset, killed, [0, 1], max_epochs=4)
    monkeypatch.setattr(stacked_mod, "stacked_evaluate", real)
    for t in (0, 1):
        assert len(pd.read_csv(killed / f"trial{t}" / "metrics.partial.tsv", sep="\t")) == 2
        assert not (killed / f"trial{t}" / "model.pt").exists()
    # Trial 0 finishes together; trial 1 apart, from the same stacked checkpoint.
    _together(dataset, killed, [0], max_epochs=4)
    _apart(dataset, killed, [1], max_epochs=4)
    for t in (0, 1):
        np.testing.assert_allclose(
            _metrics(killed, t)["valid_loss"], _metrics(whole, t)["valid_loss"], rtol=1e-2
        )
        assert len(_metrics(killed, t)) == 4


def test_optimizer_state_of_one_trial_is_a_separate_runs(no_dropout):
    torch.manual_seed(0)
    models = [build_model("cnn_25", n_classes=2, seq_len=100) for _ in range(2)]
    settings = TrainSettings(lr=0.01)
    stack = TrialStack(models[0], [m.state_dict() for m in models], [None, None], settings)
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (2, 8, 100)), 4).float().transpose(2, 3)
    y = (torch.rand(2, 8, 2) < 0.5).float()
    out = stack.forward({"sequence": x}, train=True)
    torch.nn.functional.binary_cross_entropy_with_logits(out, y, reduction="none").mean(
        (1, 2)
    ).sum().backward()
    stack.optimizer.step()
    # Trial 1 alone, one step on its batch: the same gradients and optimiser moments.
    alone = models[1]
    opt = make_optimizer(alone, settings)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(alone(x[1]), y[1])
    loss.backward()
    opt.step()
    for name, p in alone.named_parameters():
        torch.testing.assert_close(stack.params[name].grad[1], p.grad, rtol=1e-4, atol=1e-6)
    for k, v in alone.state_dict().items():
        if "running" in k:
            torch.testing.assert_close(stack.state(1)[k], v, rtol=1e-4, atol=1e-6)
    mine, theirs = stack.optimizer_state(1)["state"], opt.state_dict()["state"]
    assert mine.keys() == theirs.keys()
    for k in theirs:
        torch.testing.assert_close(mine[k]["exp_avg"], theirs[k]["exp_avg"], rtol=1e-4, atol=1e-7)
        torch.testing.assert_close(mine[k]["exp_avg_sq"], theirs[k]["exp_avg_sq"], rtol=1e-3, atol=1e-10)
        assert float(mine[k]["step"]) == float(theirs[k]["step"]) == 1.0
