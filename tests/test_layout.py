"""Paths and settings derived from the named config: what each rule reads, and defaults stated once."""

import copy
import inspect
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from seqcnn import layout
from seqcnn.config import check_config, load_schema
from seqcnn.decode import build_decode_dataset
from seqcnn.labels import build_peak_dataset
from seqcnn.motifs import annotate_filters
from seqcnn.multimodal import build_multimodal_dataset
from seqcnn.starr import build_starr_regression_dataset
from seqcnn.synthetic import build_synthetic_dataset
from seqcnn.train import TrainSettings, train_model

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"
BUILDERS = {
    "synthetic": build_synthetic_dataset,
    "peaks": build_peak_dataset,
    "starr": build_starr_regression_dataset,
    "decode": build_decode_dataset,
    "multimodal": build_multimodal_dataset,
}


@pytest.fixture(scope="module")
def config():
    return check_config(yaml.safe_load((ROOT / "config/config.yaml").read_text()), SCHEMA)


def _defaults(function):
    return {
        p.name: p.default
        for p in inspect.signature(function).parameters.values()
        if p.default is not inspect.Parameter.empty
    }


def _same(a, b):
    return list(a) == list(b) if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) else a == b


def test_schema_defaults_are_the_functions_defaults():
    """A default is stated in the schema and must equal the keyword default of the function it feeds."""
    schema = load_schema(SCHEMA)
    pairs = [(schema["$defs"]["training"], {f.name: f.default for f in fields(TrainSettings)})]
    pairs[0][1]["seed"] = _defaults(train_model)["seed"]
    for kind, builder in BUILDERS.items():
        pairs.append((schema["$defs"][f"dataset_{kind}"], _defaults(builder)))
    motifs = _defaults(annotate_filters)
    renamed = {"activation_threshold": "threshold", "tomtom": "method"}
    pairs.append(
        (
            {
                "properties": {
                    renamed.get(k, k): v for k, v in schema["properties"]["motifs"]["properties"].items()
                }
            },
            motifs,
        )
    )
    checked = 0
    for node, defaults in pairs:
        for key, sub in node["properties"].items():
            if "default" in sub and key in defaults and sub["default"] is not None:
                assert _same(sub["default"], defaults[key]), (key, sub["default"], defaults[key])
                checked += 1
    assert checked >= 35


@pytest.mark.parametrize(
    "dataset", ["toy_peaks", "toy_ctcf_101", "toy_fly_starr", "toy_decode", "toy_multimodal"]
)
def test_dataset_settings_are_keywords_of_their_builder(config, dataset):
    kind = config["datasets"][dataset]["kind"]
    settings = layout.dataset_settings(config, dataset)
    accepted = set(inspect.signature(BUILDERS[kind]).parameters)
    assert set(settings) <= accepted, set(settings) - accepted
    assert settings["aliases"] == {}
    assert not set(settings) & set(layout.STRUCTURE_KEYS)


def test_files_a_dataset_reads_come_through_their_toy_build(config):
    # Declared outputs of the toy build are inputs as they are; its other files come with truth.json.
    assert layout.dataset_files(config, "toy_peaks") == ["resources/toy/toy/samples.tsv"]
    assert layout.dataset_files(config, "toy_fly_starr") == ["resources/toy/toy_fly/truth.json"]
    files = layout.dataset_genome_files(config, "toy_multimodal")
    assert files == {
        "fasta": "resources/genomes/toy/genome.fa",
        "fai": "resources/genomes/toy/genome.fa.fai",
        "blacklist": "resources/toy/toy/blacklist.bed",
    }
    assert layout.genome_source(config, "toy_fly") == ["resources/toy/toy_fly/genome.fa"]
    cfg = copy.deepcopy(config)
    cfg["genomes"]["toy"]["source"] = "https://example.org/hg38.fa.gz"
    assert layout.genome_source(cfg, "toy") == []
    cfg["datasets"]["toy_peaks"]["samples"] = "my/sheet.tsv"
    assert layout.dataset_files(cfg, "toy_peaks") == ["my/sheet.tsv"]


def test_planted_truth_where_the_data_has_it(config):
    synthetic = layout.planted_truth(config, "ke_synthetic")
    assert synthetic["known"] and "MA0079.3" in synthetic["ids"] and len(synthetic["ids"]) == 32
    assert layout.planted_truth(config, "toy_multimodal") == {
        "ids": None,
        "truth": ["resources/toy/toy/truth.json"],
        "known": True,
    }
    cfg = copy.deepcopy(config)
    cfg["genomes"]["toy"]["source"] = "/data/hg38.fa"
    assert layout.planted_truth(cfg, "toy_peaks") == {"ids": None, "truth": [], "known": False}


def test_run_settings_layer_study_and_model_overrides(config):
    base = layout.run_settings(config, "koo_eddy", "cnn_25")
    assert base["lr"] == 0.001 and base["patience"] == 20 and base["tasks"] is None
    late = layout.run_settings(config, "multimodal", "multimodal")
    early = layout.run_settings(config, "multimodal", "factornet")
    assert late["lr"] == 0.0003 and early["lr"] == 0.001 and late["rc_augment"] is True
    accepted = set(inspect.signature(train_model).parameters) | {f.name for f in fields(TrainSettings)}
    assert set(late) <= accepted


def test_study_targets_and_annotations(config):
    ke = layout.study_targets(config, "koo_eddy")
    assert "results/koo_eddy/table1.md" in ke and "results/koo_eddy/layers.tsv" in ke
    assert "results/koo_eddy/figures/logos/cnn_1_3.png" in ke  # deeper-layer-only model, trained too
    assert "results/datasets/ke_synthetic/summary.png" in ke
    decode = layout.study_targets(config, "decode")
    assert "results/decode/filters.tsv" in decode  # written, empty: DECODE reads tracks only
    assert not any("logos" in t for t in decode)
    assert len(layout.annotations(config, "koo_eddy", "first")) == 17 * 5
    assert len(layout.annotations(config, "koo_eddy", "table1")) == 16 * 5
    assert len(layout.annotations(config, "koo_eddy", "deeper")) == 4 * 5
    danq = {p.split("/")[3] for p in layout.annotations(config, "danq", "first")}
    assert danq == {"danq", "danq_mini"}  # the seed RNN and LSTM have no convolution filters
    cfg = copy.deepcopy(config)
    cfg["run"] = ["multimodal", "deepstarr"]
    # Trained on, then scored on (the multimodal study's cell-B test set), then what those are built from.
    assert layout.run_datasets(cfg) == [
        "toy_multimodal",
        "toy_fly_starr",
        "toy_multimodal_cellB",
        "toy_peaks_foxa1",
    ]
    assert layout.all_targets(cfg)[-1] == "results/datasets/datasets.tsv"


def test_an_experiment_in_run_brings_its_studies_and_scores_every_run_on_its_test_sets(config):
    cfg = copy.deepcopy(config)
    cfg["run"] = ["negatives"]
    targets = layout.all_targets(cfg)
    for study in ("ctcf_shuffled", "ctcf_gc_matched", "ctcf_random"):
        assert f"results/{study}/metrics.tsv" in targets and f"results/{study}/test_sets.tsv" in targets
    assert {
        "results/experiments/negatives/summary.md",
        "results/experiments/negatives/figures/metrics.png",
    } <= set(targets)
    assert "toy_ctcf_bg50" in layout.run_datasets(cfg)
    scores = layout.experiment_scores(cfg, "negatives")
    # 3 studies x 3 trials x 2 test sets.
    assert len(scores) == 18 and {r["study"] for r in scores} == {
        "ctcf_shuffled",
        "ctcf_gc_matched",
        "ctcf_random",
    }
    row = next(r for r in scores if r["study"] == "ctcf_random" and r["test_set"] == "background_1to50")
    assert (
        row["metrics"]
        == "results/ctcf_random/runs/deepbind/trial0/test_sets/background_1to50/test_metrics.tsv"
    )
    own = layout.scored_runs(cfg, "multimodal", ["test"])
    assert own[0]["predictions"] == "results/multimodal/runs/multimodal/trial0/test_predictions.npy"
    assert len(layout.study_scores(cfg, "multimodal")) == 2 * 4
