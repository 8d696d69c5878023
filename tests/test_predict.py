"""Post-training module: loading a run, predicting with it, device choice, and what analysis imports."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import seqcnn
import seqcnn.train as train_mod
from seqcnn.datasets import load_split, save_dataset
from seqcnn.errors import InputError
from seqcnn.models import build_model
from seqcnn.predict import crop_window, load_run, pick_device, predict, read_settings
from seqcnn.sequence import one_hot
from seqcnn.train import train_model


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


def test_analysis_modules_do_not_import_the_training_engine():
    package_root = str(Path(next(iter(seqcnn.__path__))).parent)
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import seqcnn.evaluate, seqcnn.motifs; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('seqcnn'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, package_root], capture_output=True, text=True, check=True
    ).stdout
    loaded = json.loads(out)
    assert "seqcnn.predict" in loaded and "seqcnn.evaluate" in loaded and "seqcnn.motifs" in loaded
    assert "seqcnn.train" not in loaded


@pytest.mark.parametrize(
    ("name", "extra"),
    [("cnn_25", {}), ("deepbind", {"tasks": ["b"], "crop": 21, "model_options": {"filters": 6}})],
)
def test_trained_run_round_trips_through_load_run_and_predict(
    random_dataset, tmp_path, monkeypatch, name, extra
):
    saved = {}
    real_save = torch.save

    def spy(obj, f, *args, **kwargs):
        # model.pt is written through a temporary ".model.pt.*.tmp" beside it.
        if str(f).split("/")[-1].startswith(".model.pt."):
            saved["state"] = {k: v.detach().clone() for k, v in obj.items()}
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(train_mod.torch, "save", spy)
    train_model(name, random_dataset, tmp_path, max_epochs=2, threads=1, **extra)
    monkeypatch.undo()

    settings = read_settings(tmp_path)
    at_save = build_model(
        name,
        n_classes=len(settings["classes"]),
        seq_len=settings["seq_len"],
        **extra.get("model_options", {}),
    )
    at_save.load_state_dict(saved["state"])
    X, _ = load_split(random_dataset, "test")
    window = crop_window(X.shape[1], settings["crop"]) or slice(None)
    with torch.no_grad():
        want = torch.sigmoid(at_save.eval()(one_hot(torch.as_tensor(X[:, window])))).numpy()

    model = load_run(tmp_path, device="cpu")
    assert not model.training
    got = predict(model, X, batch_size=33, device="cpu", crop=settings["crop"])
    assert got.shape == (100, len(settings["classes"])) == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    # The weights themselves came back unchanged.
    for key, value in model.state_dict().items():
        assert torch.equal(value, saved["state"][key])


def _fake_run(run_dir, name="cnn_25", seq_len=40):
    run_dir.mkdir(parents=True, exist_ok=True)
    settings = {"model": name, "trial": 0, "classes": ["a", "b"], "seq_len": seq_len, "n_tracks": 0}
    (run_dir / "settings.json").write_text(json.dumps(settings))
    torch.manual_seed(0)
    model = build_model(name, n_classes=2, seq_len=seq_len)
    torch.save(model.state_dict(), run_dir / "model.pt")
    return model


@pytest.mark.parametrize("damage", ["truncate", "empty", "text"])
def test_corrupt_checkpoint_names_the_file(tmp_path, damage):
    _fake_run(tmp_path)
    path = tmp_path / "model.pt"
    data = path.read_bytes()
    path.write_bytes(
        {"truncate": data[: len(data) // 2], "empty": b"", "text": b"not a checkpoint\n" * 20}[damage]
    )
    message = f"{path}: cannot be read (truncated or not a torch checkpoint); delete it and rerun training"
    with pytest.raises(InputError, match=re.escape(message)):
        load_run(tmp_path, device="cpu")


def test_missing_or_mismatched_run_files_are_named(tmp_path):
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'settings.json'}: no such file")):
        load_run(tmp_path, device="cpu")
    _fake_run(tmp_path)
    (tmp_path / "model.pt").unlink()
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'model.pt'}: no such file")):
        load_run(tmp_path, device="cpu")
    # A checkpoint of another architecture than settings.json describes.
    torch.save(build_model("cnn_50_2", n_classes=2, seq_len=40).state_dict(), tmp_path / "model.pt")
    (tmp_path / "settings.json").write_text(
        json.dumps({"model": "cnn_25", "trial": 0, "classes": ["a", "b"], "seq_len": 40})
    )
    with pytest.raises(InputError, match=r"model.pt: does not fit the 'cnn_25' model of settings.json"):
        load_run(tmp_path, device="cpu")


def test_predict_takes_codes_or_one_hot_and_crops_the_centre(tmp_path):
    model = _fake_run(tmp_path, name="deepbind", seq_len=20)
    rng = np.random.default_rng(1)
    X = rng.integers(0, 4, (9, 30), dtype=np.uint8)
    from_codes = predict(model, X, batch_size=4, device="cpu", crop=20)
    from_one_hot = predict(model, one_hot(torch.as_tensor(X)).numpy(), device="cpu", crop=20)
    pre_cropped = predict(model, X[:, 5:25], device="cpu")
    np.testing.assert_array_equal(from_codes, from_one_hot)
    np.testing.assert_array_equal(from_codes, pre_cropped)
    assert from_codes.dtype == np.float32 and ((from_codes > 0) & (from_codes < 1)).all()
    regression = predict(model, X[:, 5:25], device="cpu", task="regression")
    np.testing.assert_allclose(1 / (1 + np.exp(-regression)), from_codes, rtol=1e-5)
    with pytest.raises(InputError, match=r"crop: expected a length in \[1, 30\], got 31"):
        predict(model, X, device="cpu", crop=31)


def test_pick_device():
    assert pick_device(None).type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert pick_device("auto") == pick_device(None)
    assert pick_device("cpu") == torch.device("cpu")
