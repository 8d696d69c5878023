"""Config validation: each bad input gives one message naming the key and what was expected."""

import copy
from pathlib import Path

import pytest
import yaml

from seqcnn.config import check_config
from seqcnn.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"


@pytest.fixture(scope="module")
def default_config():
    return yaml.safe_load((ROOT / "config/config.yaml").read_text())


def _with(config, path, value):
    cfg = copy.deepcopy(config)
    node = cfg
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return cfg


def test_default_and_quick_configs_are_valid(default_config):
    check_config(default_config, SCHEMA)
    quick = yaml.safe_load((ROOT / "config/quick.yaml").read_text())
    merged = copy.deepcopy(default_config)
    for key, value in quick.items():
        merged[key] = {**merged[key], **value} if isinstance(value, dict) else value
    check_config(merged, SCHEMA)
    assert merged["deeper_layers"] == [] and merged["training"]["lr"] == 0.001


@pytest.mark.parametrize(
    "path, value, message",
    [
        (("models",), ["cnn_25", "cnn_7"], r"config key models\[1\]: unknown model 'cnn_7'; expected one of"),
        (("trials",), "two", r"config key trials: 'two' is not of type 'integer'"),
        (("training", "lr"), "fast", r"config key training.lr: 'fast' is not of type 'number'"),
        (("training", "device"), "tpu", r"config key training.device: 'tpu' does not match"),
        (("motifs", "tomtom"), "blast", r"config key motifs.tomtom: 'blast' is not one of"),
        (
            ("synthetic", "motif_ids"),
            ["MA0079.3", "MA9999.1"],
            r"config key synthetic.motif_ids: unknown JASPAR ID\(s\) MA9999.1",
        ),
        (("synthetic", "motif_ids"), ["SP1"], r"config key synthetic.motif_ids\[0\]: 'SP1' does not match"),
        (("synthetic", "split_fractions"), [0.5, 0.2, 0.2], r"split_fractions: .* sum to 0.9"),
        (
            ("deeper_layers",),
            [{"model": "cnn_1", "layers": [2]}],
            r"deeper_layers\[0\].layers: layer\(s\) \[2\] out of range",
        ),
        (
            ("deeper_layers",),
            [{"model": "cnn_x", "layers": [0]}],
            r"deeper_layers\[0\].model: unknown model 'cnn_x'",
        ),
        (
            ("deeper_layers",),
            [{"model": "cnn_2", "layers": [1]}],
            r"deeper_layers\[0\].layers: layer\(s\) \[1\] of cnn_2 follow a max-pool",
        ),
        (("motifs", "logo_trial"), 7, r"motifs.logo_trial: 7 but only 5 trial"),
        (
            ("jaspar", "release"),
            "JASPAR2015",
            r"config key jaspar.release: unknown JASPAR release .JASPAR2015",
        ),
    ],
)
def test_bad_values_are_named(default_config, path, value, message):
    with pytest.raises(InputError, match=message):
        check_config(_with(default_config, path, value), SCHEMA)


def test_unknown_key_is_named(default_config):
    cfg = copy.deepcopy(default_config)
    cfg["training"]["learning_rate"] = 0.1
    with pytest.raises(InputError, match=r"'learning_rate' was unexpected.*training"):
        check_config(cfg, SCHEMA)


def test_missing_tomtom_binary_is_named(default_config):
    cfg = _with(default_config, ("motifs", "tomtom"), "meme")
    cfg["motifs"]["tomtom_binary"] = "/nonexistent/tomtom"
    with pytest.raises(InputError, match=r"motifs.tomtom_binary: '/nonexistent/tomtom' not found on PATH"):
        check_config(cfg, SCHEMA)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("studies",), ["koo_eddy", "nope"], r"config key studies\[1\]: unknown study 'nope'; expected one"),
        (("zoo", "studies", "deepstarr", "models"), ["deepstarr", "deepstar"],
         r"config key zoo.studies.deepstarr.models\[1\]: unknown model 'deepstar'"),
        (("zoo", "studies", "basset", "model_options"), {"basset": {"filter": [1]}},
         r"zoo.studies.basset.model_options.basset.filter: unknown option of 'basset'; expected some"),
        (("zoo", "studies", "basset", "model_options"), {"danq": {}},
         r"config key zoo.studies.basset.model_options.danq: 'danq' is not one of this study's models"),
        (("zoo", "studies", "decode", "model_training"), {"decode": {"lrate": 1.0}},
         r"config key zoo.studies.decode.model_training.decode.lrate: unknown training setting"),
        (("zoo", "studies", "decode", "training"), {"learning_rate": 1.0},
         r"config key zoo.studies.decode.training.learning_rate: unknown training setting"),
        (("zoo", "studies", "decode", "dataset"), "genome",
         r"config key zoo.studies.decode.dataset: 'genome' is not one of"),
    ],
)  # fmt: skip
def test_bad_study_config_names_the_key(default_config, path, value, message):
    with pytest.raises(InputError, match=message):
        check_config(_with(default_config, path, value), SCHEMA)
