"""Job sizes (mem_mb, runtime) derived from a job's dataset, model and training settings."""

import copy
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml

from seqcnn import resources
from seqcnn.config import check_config
from seqcnn.datasets import save_dataset

ROOT = Path(__file__).resolve().parents[1]
DATASET = "results/datasets/ke_synthetic/dataset"


@pytest.fixture(scope="module")
def config():
    cfg = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    return check_config(cfg, ROOT / "workflow/schemas/config.schema.yaml")


def write_dataset(root, n_train, seq_len=200):
    rng = np.random.default_rng(0)

    def split(n):
        return rng.integers(0, 4, (n, seq_len), dtype=np.uint8), np.zeros((n, 12), np.float32)

    save_dataset(root, {"train": split(n_train), "valid": split(200), "test": split(300)},
                 {"classes": [f"c{i}" for i in range(12)]})  # fmt: skip


def job(model, study="koo_eddy"):
    return SimpleNamespace(study=study, model=model, trial="0", layer="0")


def test_size_is_to_be_determined_until_the_dataset_exists(config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as err:
        resources.mem_mb(config, "train_model", job("cnn_25"))
    # Snakemake marks a resource "<TBD>" only for a missing file that is one of the job's inputs.
    assert err.value.filename == DATASET


def test_sizes_grow_with_data_model_and_epochs(config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_dataset(DATASET, 1000)
    small = {m: resources.estimate(config, "train_model", job(m)) for m in ("cnn_25", "cnn_1_3")}
    # CNN-1-3 keeps full-length activations through three layers; CNN-25 pools them away at once.
    assert small["cnn_1_3"]["mem_mb"] > small["cnn_25"]["mem_mb"]
    assert small["cnn_1_3"]["runtime"] > small["cnn_25"]["runtime"]
    fewer = copy.deepcopy(config)
    fewer["studies"]["koo_eddy"]["training"]["max_epochs"] = 10
    assert resources.runtime(fewer, "train_model", job("cnn_1_3")) < small["cnn_1_3"]["runtime"]
    write_dataset(DATASET, 20000)  # a rebuilt dataset is measured again
    large = resources.estimate(config, "train_model", job("cnn_1_3"))
    assert large["runtime"] > small["cnn_1_3"]["runtime"]
    # Analysis passes over the test split once: far less time than 100 epochs of training.
    for rule in ("evaluate_model", "match_filters_to_jaspar"):
        size = resources.estimate(config, rule, job("cnn_1_3"))
        assert size["runtime"] < large["runtime"] and size["mem_mb"] >= resources.BASE_MB
    assert large["mem_mb"] < 8000
    # A second try (after the scheduler ended the first) asks for twice the memory and time.
    retry = resources.estimate(config, "train_model", job("cnn_1_3"), attempt=2)
    assert retry == {k: 2 * v for k, v in large.items()}
    # Five trials trained together: five trials' time, and the data held once, not five times.
    stacked = resources.estimate(config, "train_trials", job("cnn_1_3"))
    assert 4.5 * large["runtime"] < stacked["runtime"] <= 5 * large["runtime"]
    assert large["mem_mb"] < stacked["mem_mb"] < 5 * large["mem_mb"]


def test_rnn_steps_cost_more_than_their_weights(config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = {"task": "binary", "classes": ["a"], "task_index": None, "inputs": ["sequence"], "seq_len": 1000,
            "crop": None, "n_tracks": 0, "model_options": {}}  # fmt: skip
    lstm, rnn = resources.model_size("lstm", spec), resources.model_size("rnn", spec)
    assert lstm.macs > rnn.macs and lstm.activations > rnn.activations


def test_unknown_rule_is_refused(config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_dataset(DATASET, 500)
    with pytest.raises(ValueError, match="no size estimate for rule 'plot_study'"):
        resources.estimate(config, "plot_study", job("cnn_25"))
