"""CUDA paths of the engine (skipped on machines without a GPU)."""

import json

import numpy as np
import pytest
import torch

from seqcnn.datasets import load_split, save_dataset
from seqcnn.predict import load_run, predict
from seqcnn.train import BatchSource, train_model

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("gpu")

    def split(n):
        return rng.integers(0, 4, (n, 200), dtype=np.uint8), (rng.random((n, 3)) < 0.3).astype(np.float32)

    save_dataset(
        root, {"train": split(500), "valid": split(200), "test": split(200)}, {"classes": list("abc")}
    )
    return root


def test_data_stay_resident_on_the_gpu(dataset):
    X, y = load_split(dataset, "train", mmap=True)
    src = BatchSource(X, y, torch.device("cuda"))
    xb, yb = next(src.batches(100, torch.Generator().manual_seed(0)))
    xb = xb["sequence"]
    assert src.resident and src.arrays["X"].is_cuda and xb.is_cuda and xb.shape == (100, 4, 200)


def test_gpu_training_and_cpu_gpu_predictions_agree(dataset, tmp_path):
    train_model("cnn_25", dataset, tmp_path, max_epochs=2, device="auto")
    assert json.loads((tmp_path / "settings.json").read_text())["device"].startswith("cuda")
    X, _ = load_split(dataset, "test")
    gpu = predict(load_run(tmp_path, device="cuda"), X, device="cuda")
    cpu = predict(load_run(tmp_path, device="cpu"), X, device="cpu")
    np.testing.assert_allclose(gpu, cpu, atol=2e-3)


def test_zoo_first_layer_pwms_agree_on_cpu_and_gpu():
    from seqcnn.models import build_model
    from seqcnn.motifs import activation_pwms

    torch.manual_seed(0)
    model = build_model(
        "basset",
        n_classes=1,
        seq_len=200,
        filters=(8, 8, 8),
        widths=(19, 3, 3),
        pools=(2, 2, 2),
        hidden=(16, 16),
    )
    X = np.random.default_rng(0).integers(0, 4, (300, 200)).astype(np.uint8)
    cpu, sites_cpu = activation_pwms(model, X, device="cpu")
    gpu, sites_gpu = activation_pwms(model, X, device="cuda")
    # Rounding may move an activation lying on the cut across it; the PWMs barely notice.
    assert np.abs(sites_cpu - sites_gpu).max() <= max(2, int(0.01 * sites_cpu.max()))
    np.testing.assert_allclose(cpu, gpu, atol=1e-2)


def test_trials_trained_together_on_the_gpu_load_on_the_cpu(dataset, tmp_path):
    from seqcnn.stacked import train_trials

    summaries = train_trials("cnn_25", dataset, [tmp_path / "t0", tmp_path / "t1"], [0, 1], max_epochs=2)
    assert [s["epochs"] for s in summaries] == [2, 2]
    for t in ("t0", "t1"):
        assert json.loads((tmp_path / t / "settings.json").read_text())["device"].startswith("cuda")
        X, _ = load_split(dataset, "test")
        gpu = predict(load_run(tmp_path / t, device="cuda"), X, device="cuda")
        cpu = predict(load_run(tmp_path / t, device="cpu"), X, device="cpu")
        np.testing.assert_allclose(gpu, cpu, atol=2e-3)
