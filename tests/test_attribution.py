"""Attribution maps: saturation mutagenesis against a naive loop, DeepLIFT-SHAP's summation property for
every model it explains, refusals and the operations that break DeepLIFT."""

import json
import logging

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seqcnn.attribution import (
    attribute_run,
    deep_lift_refusal,
    deep_lift_shap_map,
    ism_map,
    ism_naive,
    load_attributions,
    saliency_map,
    top_positives,
    unsupported_ops,
)
from seqcnn.datasets import save_dataset
from seqcnn.errors import InputError
from seqcnn.models import MODELS, build_model

#: Sequence lengths small enough for every model's geometry (DanQ pools 13 after a 26-wide conv).
LENGTHS = {"danq": 120, "factornet": 120, "basset": 600, "deepstarr": 64}
#: Narrower layers where the published ones would make the test slow.
OPTIONS = {"basset": {"filters": [32, 32, 32], "hidden": [32, 32]}, "danq": {"filters": 32, "lstm_units": 8}}


def random_one_hot(n: int, length: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    X = torch.zeros(n, 4, length)
    X[torch.arange(n)[:, None], torch.randint(0, 4, (n, length), generator=g), torch.arange(length)[None]] = 1
    return X


def built(name: str, length: int = 100, n_tracks: int = 0, outputs: int = 2) -> nn.Module:
    torch.manual_seed(1)
    options = OPTIONS.get(name, {})
    model = build_model(name, n_classes=outputs, seq_len=length, n_tracks=n_tracks, **options).eval()
    # BatchNorm at its initial statistics passes activations unchanged; random statistics exercise it.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    return model


@pytest.mark.parametrize(
    "name,fast", [("cnn_25", True), ("cnn_25", False), ("deepbind", True), ("rescnn", True)]
)
def test_saturation_mutagenesis_equals_a_naive_loop(name, fast):
    model = built(name, length=60)
    X = random_one_hot(3, 60)
    got = ism_map(model, X, target=1, fast=fast)
    want = ism_naive(model, X, target=1)
    assert got.shape == X.shape
    assert float((got - want).abs().max()) <= 1e-5
    # Substituting the observed base changes nothing; other substitutions do.
    assert float((got * X).abs().max()) == 0.0 and float(got.abs().max()) > 1e-4


def _sequence_models() -> list[str]:
    return [n for n, info in MODELS.items() if "sequence" in info.inputs]


@pytest.mark.parametrize("name", _sequence_models())
def test_deep_lift_shap_sums_to_the_output_difference_or_is_refused(name):
    """Summed contributions equal f(X) minus the mean output of the references, to 1e-3, for every
    registered model DeepLIFT can explain; the others are refused with the reason."""
    length = LENGTHS.get(name, 100)
    n_tracks = 1 if "tracks" in MODELS[name].inputs else 0
    model = built(name, length=length, n_tracks=n_tracks)
    X = random_one_hot(3, length)
    args = (torch.rand(3, 1, length),) if n_tracks else ()
    reason = deep_lift_refusal(model)
    if any(isinstance(m, nn.RNNBase) for m in model.modules()):
        assert reason is not None and "recurrent layer" in reason
        with pytest.raises(InputError, match="DeepLIFT-SHAP cannot explain .*recurrent layer"):
            deep_lift_shap_map(model, X, 0, args)
        return
    assert reason is None
    # Any reference works for the summation property; these are built here, not by the wrapper.
    refs = torch.stack([random_one_hot(4, length, seed=10 + i) for i in range(3)])
    hyp, deltas = deep_lift_shap_map(model, X, 0, args, references=refs)
    with torch.no_grad():
        f_x = model(X, *args)[:, 0]
        f_ref = torch.stack(
            [model(refs[i], *(a[i : i + 1].expand(4, -1, -1) for a in args))[:, 0] for i in range(3)]
        )
    expected = f_x - f_ref.mean(dim=1)
    total = (hyp * X).sum(dim=(1, 2))
    assert float((total - expected).abs().max()) <= 1e-3
    assert float((deltas - (total - expected)).abs().max()) <= 1e-5
    assert float(expected.abs().max()) > 1e-4  # a non-trivial difference was explained


def test_track_only_and_squeeze_excite_models_are_refused():
    decode = build_model("decode", n_classes=1, seq_len=40, n_tracks=3)
    assert "reads tracks only" in deep_lift_refusal(decode)
    track = build_model("multimodal_track", n_classes=1, seq_len=200, n_tracks=1)
    assert "reads tracks only" in deep_lift_refusal(track)


class _Functional(nn.Module):
    """A net DeepLIFT misreads: a functional relu, a bare amax and a ReLU module used twice."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 5)
        self.act = nn.ReLU()
        self.out = nn.Linear(8, 1)

    def forward(self, x):
        h = self.act(self.act(self.conv(x)) - 0.1)
        return self.out(F.relu(h - 0.05).amax(dim=2))


def test_unsupported_operations_are_named_and_break_convergence():
    torch.manual_seed(0)
    model = _Functional().eval()
    X = random_one_hot(4, 50)
    ops = unsupported_ops(model, (X,))
    assert "F.relu in _Functional" in ops and "amax in _Functional" in ops
    assert "module 'act' called 2 times" in ops
    assert unsupported_ops(built("cnn_25"), (random_one_hot(2, 100),)) == []
    _, deltas = deep_lift_shap_map(model, X, 0, n_shuffles=4)
    assert float(deltas.abs().max()) > 1e-3


def test_saliency_is_gradient_times_input_with_gradient_correction():
    model = built("cnn_25", length=60)
    X = random_one_hot(2, 60).requires_grad_(True)
    model(X)[:, 1].sum().backward()
    g = X.grad - X.grad.mean(dim=1, keepdim=True)
    got = saliency_map(model, X.detach(), target=1)
    assert float((got - g * X.detach()).abs().max()) <= 1e-6


def test_top_positives_ranks_positives_by_score():
    y = np.array([1, 0, 1, 1, 0, 1])
    y_hat = np.array([0.2, 0.99, 0.9, 0.5, 0.8, 0.7])
    rows, short = top_positives(y, y_hat, 3)
    assert rows.tolist() == [2, 5, 3] and not short
    rows, short = top_positives(y, y_hat, 5)
    assert short and len(rows) == 4
    assert top_positives(np.zeros(3), np.array([0.1, 0.3, 0.2]), 2, task="regression")[0].tolist() == [1, 2]


@pytest.fixture
def trained_run(tmp_path):
    """A cnn_25 run directory (untrained weights) over a small dataset with two tasks."""
    rng = np.random.default_rng(0)
    data = tmp_path / "dataset"
    X = rng.integers(0, 4, size=(40, 100), dtype=np.uint8)
    y = (rng.random((40, 2)) < 0.5).astype(np.float32)
    save_dataset(data, {s: (X, y) for s in ("train", "valid", "test")}, {"classes": ["a", "b"]})
    run = tmp_path / "run"
    run.mkdir()
    model = built("cnn_25", length=100)
    torch.save(model.state_dict(), run / "model.pt")
    settings = {"model": "cnn_25", "trial": 0, "classes": ["a", "b"], "seq_len": 100, "model_options": {}}
    (run / "settings.json").write_text(json.dumps(settings))
    return run, data, int(y[:, 1].sum())


def test_attribute_run_writes_every_method_and_records_convergence(trained_run, tmp_path):
    run, data, _ = trained_run
    table = attribute_run(
        run,
        data,
        tmp_path / "a.npz",
        tmp_path / "a.tsv",
        tasks=["b"],
        n_sequences=5,
        ism_sequences=2,
        n_shuffles=3,
    )
    arrays = load_attributions(tmp_path / "a.npz", "b")
    assert arrays["X"].shape == (5, 4, 100) and arrays["ism"].shape == (2, 4, 100)
    assert arrays["deep_lift_shap"].shape == (5, 4, 100) and arrays["deltas"].shape == (5,)
    assert np.all(np.diff(arrays["y_hat"]) <= 0)  # best-scoring first
    dls = table[table["method"] == "deep_lift_shap"].iloc[0]
    assert dls["converged"] and dls["max_abs_delta"] <= 1e-3


def test_attribute_run_names_the_key_of_a_bad_request(trained_run, tmp_path):
    run, data, n_pos = trained_run
    out = (tmp_path / "a.npz", tmp_path / "a.tsv")
    with pytest.raises(
        InputError, match=r"config key tasks: 'c' is not a task of run .*expected some of: a, b"
    ):
        attribute_run(run, data, *out, tasks=["c"])
    with pytest.raises(
        InputError, match=rf"config key n_sequences: {n_pos + 1} but the test split holds {n_pos} "
    ):
        attribute_run(run, data, *out, tasks=["b"], n_sequences=n_pos + 1)
    with pytest.raises(InputError, match="config key methods: unknown method 'shap'"):
        attribute_run(run, data, *out, methods=["shap"])
    assert not out[0].exists() and not out[1].exists()


def test_a_large_delta_is_logged_with_the_model_and_op(trained_run, tmp_path, caplog, monkeypatch):
    import seqcnn.attribution as attribution

    run, data, _ = trained_run
    monkeypatch.setattr(attribution, "unsupported_ops", lambda model, inputs: ["F.relu in forward"])
    with caplog.at_level(logging.WARNING, logger="seqcnn.attribution"):
        table = attribute_run(
            run,
            data,
            tmp_path / "a.npz",
            tmp_path / "a.tsv",
            tasks=["a"],
            n_sequences=3,
            methods=["deep_lift_shap"],
            n_shuffles=2,
            delta_threshold=1e-12,
        )
    assert not table["converged"].iloc[0] and table["unsupported_ops"].iloc[0] == "F.relu in forward"
    assert "cnn_25: DeepLIFT-SHAP convergence deltas" in caplog.text and "F.relu in forward" in caplog.text
