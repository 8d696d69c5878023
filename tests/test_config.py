"""Config validation: each bad input gives one message naming the key and what was expected; defaults."""

import copy
import re
from pathlib import Path

import pytest
import yaml

from seqcnn.config import check_config, fill_defaults, load_schema
from seqcnn.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"


def merge(base, over):
    """Snakemake's --configfile merge: mappings recursively, everything else replaced."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        out[key] = (
            merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


@pytest.fixture(scope="module")
def default_config():
    return yaml.safe_load((ROOT / "config/config.yaml").read_text())


def _with(config, path, value):
    cfg = copy.deepcopy(config)
    node = cfg
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return cfg


_DELETE = object()


def test_default_quick_and_toy_configs_are_valid_and_complete(default_config):
    cfg = check_config(copy.deepcopy(default_config), SCHEMA)
    # Defaults come from the schema, stated once.
    assert cfg["training"]["lr"] == 0.001 and cfg["training"]["patience"] == 20
    assert cfg["studies"]["basset"]["trials"] == 1 and cfg["studies"]["koo_eddy"]["trials"] == 5
    assert cfg["datasets"]["toy_peaks"]["center_bp"] == 200
    assert cfg["datasets"]["toy_peaks"]["splits"] == {"valid": ["chr2"], "test": ["chr3"]}
    assert cfg["genomes"]["toy"]["aliases"] == {} and cfg["motifs"]["evalue_threshold"] == 0.1
    for name in ("quick", "toy"):
        over = yaml.safe_load((ROOT / f"config/{name}.yaml").read_text())
        merged = check_config(merge(default_config, over), SCHEMA)
        assert merged["run"] == over["run"]
    quick = check_config(
        merge(default_config, yaml.safe_load((ROOT / "config/quick.yaml").read_text())), SCHEMA
    )
    assert quick["studies"]["koo_eddy_quick"]["training"] == {"max_epochs": 25, "patience": 10}


def test_the_worked_example_of_config_readme_is_valid(default_config):
    """config/README.md's own genome + two datasets example passes validation as written."""
    text = (ROOT / "config/README.md").read_text()
    block = text.split("## Worked example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    example = yaml.safe_load(block)
    cfg = check_config(merge(default_config, example), SCHEMA)
    assert cfg["run"] == ["my_basset", "my_deepbind"]
    assert cfg["datasets"]["my_ctcf"]["experiments"] == ["CTCF_K562"]
    assert cfg["studies"]["my_deepbind"]["trials"] == 3 and cfg["genomes"]["hg38"]["aliases"] == {}


def test_every_schema_key_has_a_description_and_a_default():
    schema = load_schema(SCHEMA)
    missing = []

    def walk(node, where, required=()):
        node = {**schema["$defs"][node["$ref"].split("/")[-1]], **node} if "$ref" in node else node
        for key, sub in (node.get("properties") or {}).items():
            if key == "kind":
                continue
            sub_r = {**schema["$defs"][sub["$ref"].split("/")[-1]], **sub} if "$ref" in sub else sub
            if "description" not in sub_r:
                missing.append(f"{where}.{key}: description")
            if "default" not in sub_r and key not in node.get("required", ()):
                missing.append(f"{where}.{key}: default")
            walk(sub_r, f"{where}.{key}")
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            walk(extra, f"{where}.<name>")

    walk(schema, "")
    for kind in ("synthetic", "peaks", "starr", "decode", "multimodal"):
        walk(schema["$defs"][f"dataset_{kind}"], f"datasets.<{kind}>")
    assert not missing, missing


def test_fill_defaults_keeps_given_values_and_fills_nested_entries():
    schema = load_schema(SCHEMA)
    cfg = {"studies": {"s": {"dataset": "d", "models": ["cnn_25"], "training": {"lr": 0.5}}}}
    fill_defaults(cfg, schema, schema)
    assert cfg["studies"]["s"]["training"] == {"lr": 0.5}  # overrides are not filled: they override
    assert cfg["studies"]["s"]["trials"] == 1 and cfg["studies"]["s"]["deeper_layers"] == []
    assert cfg["run"] == ["koo_eddy"] and cfg["jaspar"]["release"] == "JASPAR2016"


@pytest.mark.parametrize(
    "path, value, message",
    [
        (("studies", "koo_eddy", "models"), ["cnn_25", "cnn_7"],
         r"config key studies.koo_eddy.models\[1\]: unknown model 'cnn_7'; expected one of"),
        (("studies", "koo_eddy", "models"), ["cnn_25", "cnn_2", "cnn_25"],
         r"config key studies.koo_eddy.models: cnn_25 listed more than once"),
        (("studies", "koo_eddy", "trials"), "two",
         r"config key studies.koo_eddy.trials: 'two' is not of type"),
        (("training", "lr"), "fast", r"config key training.lr: 'fast' is not of type 'number'"),
        (("training", "device"), "cuda",
         r"config key training.device: where a job runs is an execution setting"),
        (("studies", "basset", "training", "lr"), "fast",
         r"config key studies.basset.training.lr: 'fast' is not of type 'number'"),
        (("studies", "basset", "training", "optimizer"), "sgd",
         r"config key studies.basset.training.optimizer: 'sgd' is not one of"),
        (("studies", "decode", "model_training"), {"decode": {"lrate": 1.0}},
         r"config key studies.decode.model_training.decode.lrate: unknown key; expected some of: "
         r"adam_eps, batch_size"),
        (("studies", "basset", "model_training"), {"basset": {"stack_trials": True}},
         r"config key studies.basset.model_training.basset.stack_trials: trials are stacked per study; "
         r"expected it under studies.basset.training or training"),
        (("training", "stack_trials"), "yes",
         r"config key training.stack_trials: 'yes' is not of type 'boolean'"),
        (("motifs", "tomtom"), "blast", r"config key motifs.tomtom: 'blast' is not one of"),
        (("datasets", "ke_synthetic", "motif_ids"), ["MA0079.3", "MA9999.1"],
         r"config key datasets.ke_synthetic.motif_ids: unknown JASPAR ID\(s\) MA9999.1"),
        (("datasets", "ke_synthetic", "motif_ids"), ["SP1"],
         r"config key datasets.ke_synthetic.motif_ids\[0\]: 'SP1' does not match"),
        (("datasets", "ke_synthetic", "split_fractions"), [0.5, 0.2, 0.2],
         r"datasets.ke_synthetic.split_fractions: .* sum to 0.9"),
        (("datasets", "ke_synthetic", "seq_len"), 2_000_000,
         r"config key datasets.ke_synthetic.seq_len: 2000000 is greater than the maximum"),
        (("studies", "koo_eddy", "deeper_layers"), [{"model": "cnn_1", "layers": [2]}],
         r"studies.koo_eddy.deeper_layers\[0\].layers: layer\(s\) \[2\] out of range"),
        (("studies", "koo_eddy", "deeper_layers"), [{"model": "cnn_x", "layers": [0]}],
         r"studies.koo_eddy.deeper_layers\[0\].model: unknown model 'cnn_x'"),
        (("studies", "koo_eddy", "deeper_layers"), [{"model": "cnn_2", "layers": [1]}],
         r"studies.koo_eddy.deeper_layers\[0\].layers: layer\(s\) \[1\] of cnn_2 follow a max-pool"),
        (("studies", "koo_eddy", "logo_trial"), 7, r"studies.koo_eddy.logo_trial: 7 but only 5 trial"),
        (("jaspar", "release"), "JASPAR2015",
         r"config key jaspar.release: unknown JASPAR release .JASPAR2015"),
        (("run",), ["koo_eddy", "nope"],
         r"config key run\[1\]: unknown study or experiment 'nope'; expected one of"),
        (("studies", "deepbind", "test_sets"), {"bg": "toy_ctcf"},
         r"config key studies.deepbind.test_sets.bg: unknown dataset 'toy_ctcf'; expected one of"),
        (("studies", "deepbind", "test_sets"), {"bg": "toy_peaks"},
         r"config key studies.deepbind.test_sets.bg: dataset 'toy_peaks' has 600-bp windows; expected 101 "
         r"bp, as 'toy_ctcf_101'"),
        (("studies", "deepbind", "test_sets"), {"bg": "toy_fly_starr"},
         r"studies.deepbind.test_sets.bg: dataset 'toy_fly_starr' has regression targets, study "
         r"'deepbind''s dataset 'toy_ctcf_101' binary"),
        (("studies", "multimodal", "test_sets"), {"cellB": "toy_peaks"},
         r"studies.multimodal.test_sets.cellB: dataset 'toy_peaks' has 0 signal track\(s\); study "
         r"'multimodal''s models read 1"),
        (("studies", "deepbind", "test_sets"), {"test": "toy_ctcf_gc"},
         r"studies.deepbind.test_sets.test: 'test' names the study's own test split; expected another"),
        (("experiments", "negatives", "studies"), ["ctcf_shuffled", "ctcf"],
         r"config key experiments.negatives.studies\[1\]: unknown study 'ctcf'"),
        (("experiments", "negatives", "models"), ["deepbind", "cnn_25"],
         r"config key experiments.negatives.models\[1\]: 'cnn_25' is not a model of study 'ctcf_shuffled'"),
        (("experiments", "imbalance", "test_sets"), ["background_1to1", "background_1to5"],
         r"experiments.imbalance.test_sets\[1\]: study 'ctcf_gc_matched' has no test set 'background_1to5'; "
         r"expected test or one of its test_sets: background_1to50, "),
        (("experiments", "negatives", "test_sets"), ["test"],
         r"experiments.negatives.test_sets\[0\]: 'test' is dataset toy_ctcf_101, toy_ctcf_gc, "
         r"toy_ctcf_random in its studies; expected one dataset"),
        (("datasets", "toy_ctcf_bg50", "splits"), {"valid": ["chr3"], "test": ["chr1"]},
         r"studies.ctcf_shuffled.test_sets.background_1to50: dataset 'toy_ctcf_bg50' tests on chr1, "
         r"which study 'ctcf_shuffled''s dataset 'toy_ctcf_101' trains or validates on"),
        (("experiments", "basset"), {"studies": ["basset"], "test_sets": ["test"]},
         r"config key experiments.basset: 'basset' is also a study"),
        (("datasets", "toy_ctcf_bg50", "test_neg_ratio"), -1,
         r"config key datasets.toy_ctcf_bg50.test_neg_ratio: -1 is less than the minimum of 0"),
        (("studies", "deepstarr", "models"), ["deepstarr", "deepstar"],
         r"config key studies.deepstarr.models\[1\]: unknown model 'deepstar'"),
        (("studies", "basset", "model_options"), {"basset": {"filter": [1]}},
         r"studies.basset.model_options.basset.filter: unknown option of 'basset'; expected some"),
        (("studies", "basset", "model_options"), {"danq": {}},
         r"config key studies.basset.model_options.danq: 'danq' is not one of this study's models"),
        (("studies", "decode", "dataset"), "genome",
         r"config key studies.decode.dataset: unknown dataset 'genome'; expected one of: ke_synthetic"),
        (("studies", "basset", "models"), ["basset", "decode"],
         r"config key studies.basset.models\[1\]: model 'decode' reads tracks, but dataset 'toy_peaks' "
         r"\(peaks\) holds sequence only"),
        (("studies", "deepbind", "crop"), 200,
         r"config key studies.deepbind.crop: 200 bp is longer than dataset 'toy_ctcf_101''s 101-bp windows"),
        (("datasets", "toy_peaks", "genome"), "hg19",
         r"config key datasets.toy_peaks.genome: unknown genome 'hg19'; expected one of: toy, toy_fly"),
        (("datasets", "toy_peaks", "pseudocount"), 1.0,
         r"config key datasets.toy_peaks.pseudocount: not a key of a 'peaks' dataset; expected some of: "),
        (("datasets", "toy_peaks", "kind"), "chip",
         r"config key datasets.toy_peaks.kind: 'chip' is not one of"),
        (("datasets", "toy_peaks", "samples"), _DELETE,
         r"config key datasets.toy_peaks: 'samples' is a required property"),
        (("datasets", "toy_multimodal", "peaks"), "toy_decode",
         r"config key datasets.toy_multimodal.peaks: 'toy_decode' is not a peaks dataset; expected one of"),
        (("genomes", "toy", "source"), "resources/toy/toy3/genome.fa",
         r"config key genomes.toy.source: resources/toy/toy3/genome.fa is written by toy genome 'toy3', "
         r"which is not configured"),
    ],
)  # fmt: skip
def test_bad_values_are_named(default_config, path, value, message):
    with pytest.raises(InputError, match=message):
        check_config(_with(default_config, path, value), SCHEMA)


@pytest.mark.parametrize(
    "section, name, message",
    [
        ("studies", "../x", r"config key studies.../x: name '../x' is not allowed; expected letters, digits"),
        ("datasets", "a/b", r"config key datasets.a/b: name 'a/b' is not allowed"),
        (
            "studies",
            "datasets",
            r"config key studies.datasets: 'datasets' would write into results/datasets/",
        ),
        (
            "studies",
            "Basset",
            r"config key studies.Basset: studies 'basset' and 'Basset' write the same path",
        ),
    ],
)
def test_names_that_would_escape_or_collide_are_refused(default_config, section, name, message):
    cfg = copy.deepcopy(default_config)
    cfg[section][name] = copy.deepcopy(
        cfg["studies"]["basset"] if section == "studies" else cfg["datasets"]["toy_peaks"]
    )
    with pytest.raises(InputError, match=message):
        check_config(cfg, SCHEMA)


# Every config value that becomes part of a path, with values that would escape the working directory.
NAMED_VALUES = [
    (("studies", "basset", "tasks"), ["../../etc"]),
    (("datasets", "toy_ctcf_101", "experiments"), ["/abs"]),
    (("datasets", "toy_multimodal", "tasks"), [".hidden"]),
    (("datasets", "toy_fly_starr", "tasks", 0, "name"), "a/b"),
    (("datasets", "toy_decode", "tracks"), {"../ATAC": "resources/toy/toy/tracks/ATAC_cellA.bw"}),
    (("datasets", "toy_multimodal", "tracks"), {"x/y": "resources/toy/toy/tracks/ATAC_cellA.bw"}),
    (("jaspar", "collection"), "../../x"),
    (("jaspar", "tax_group"), "/tmp"),
]


@pytest.mark.parametrize("path, value", NAMED_VALUES)
def test_values_that_become_paths_follow_the_name_rule(default_config, path, value):
    key = ".".join(f"[{p}]" if isinstance(p, int) else p for p in path).replace(".[", "[")
    with pytest.raises(InputError, match=rf"config key {re.escape(key)}.*is not allowed; expected letters"):
        check_config(_with(default_config, path, value), SCHEMA)


@pytest.mark.parametrize("section", ["toys", "genomes", "datasets", "studies", "experiments"])
@pytest.mark.parametrize("name", ["..", ".x", "-x", "a b", "x" * 101, "/x"])
def test_every_named_section_refuses_names_that_are_not_plain_path_components(default_config, section, name):
    cfg = copy.deepcopy(default_config)
    cfg[section][name] = copy.deepcopy(next(iter(cfg[section].values())))
    with pytest.raises(InputError, match=rf"config key {section}\..*is not allowed"):
        check_config(cfg, SCHEMA)


def test_names_with_dots_and_dashes_build_paths_inside_results(default_config):
    from seqcnn.layout import all_targets

    cfg = copy.deepcopy(default_config)
    cfg["datasets"]["peaks-1000.v2"] = cfg["datasets"].pop("toy_peaks_1000")
    cfg["studies"]["danq"]["dataset"] = "peaks-1000.v2"
    cfg["studies"]["dan-q.v2"] = cfg["studies"].pop("danq")
    cfg["run"] = ["dan-q.v2"]
    check_config(cfg, SCHEMA)
    targets = all_targets(cfg)
    assert "results/dan-q.v2/metrics.tsv" in targets
    assert "results/datasets/peaks-1000.v2/summary.png" in targets
    root = Path("/work/dir")
    assert all((root / t).resolve().is_relative_to(root) for t in targets)


@pytest.mark.parametrize(
    "path, value, message",
    [
        (("run",), ["basset", "basset"], r"config key run: basset listed more than once"),
        (("studies", "basset", "tasks"), ["CTCF_cellA", "CTCF_cellA"],
         r"config key studies.basset.tasks: CTCF_cellA listed more than once"),
        (("datasets", "toy_ctcf_101", "experiments"), ["CTCF_cellA", "CTCF_cellA"],
         r"config key datasets.toy_ctcf_101.experiments: CTCF_cellA listed more than once"),
        (("studies", "koo_eddy", "deeper_layers"),
         [{"model": "cnn_1", "layers": [1]}, {"model": "cnn_1", "layers": [1]}],
         r"config key studies.koo_eddy.deeper_layers\[1\].model: 'cnn_1' listed more than once"),
        (("studies", "koo_eddy", "deeper_layers"), [{"model": "cnn_1_3", "layers": [0, 0]}],
         r"config key studies.koo_eddy.deeper_layers\[0\].layers: 0 listed more than once"),
        (("datasets", "toy_fly_starr", "tasks", 1, "name"), "dev",
         r"config key datasets.toy_fly_starr.tasks\[1\].name: task 'dev' listed more than once"),
        (("datasets", "toy_decode", "starr_peaks"),
         ["resources/toy/toy/peaks/ATAC_cellA.narrowPeak"] * 2,
         r"config key datasets.toy_decode.starr_peaks: resources/toy/toy/peaks/ATAC_cellA.narrowPeak listed"),
    ],
)  # fmt: skip
def test_duplicates_in_lists_that_name_outputs_are_refused(default_config, path, value, message):
    with pytest.raises(InputError, match=message):
        check_config(_with(default_config, path, value), SCHEMA)


@pytest.mark.parametrize(
    "path, value, message",
    [
        (("studies", "basset", "crop"), 12,
         r"config key studies.basset.crop: model 'basset' of study 'basset' cannot take crop 12 bp "
         r"\(Basset: seq_len=12 is too short: conv 1 \(width 19\)"),
        (("datasets", "toy_ctcf_101", "window"), 20,
         r"config key datasets.toy_ctcf_101.window: model 'danq_mini' of study 'deepbind' cannot take "
         r"20-bp windows"),
        (("studies", "danq", "model_options"), {"danq": {"pool": 2000}},
         r"config key datasets.toy_peaks_1000.window: model 'danq' of study 'danq' cannot take 1000-bp "
         r"windows \(DanQ: .*before pool 2000"),
    ],
)  # fmt: skip
def test_a_window_a_model_cannot_take_is_refused_before_any_job(default_config, path, value, message):
    with pytest.raises(InputError, match=message):
        check_config(_with(default_config, path, value), SCHEMA)


@pytest.mark.parametrize(
    "study, part, message",
    [
        ("multimodal", {"attributions": {"models": ["multimodal_track"]}},
         r"config key studies.multimodal.interpret.attributions.models\[0\]: 'multimodal_track' reads tracks "
         r"only; expected a model that reads sequence"),
        ("danq", {"attributions": {"models": ["danq"]}},
         r"config key studies.danq.interpret.attributions.models\[0\]: DeepLIFT-SHAP cannot explain 'danq' "
         r"\(its recurrent layer 'lstm' \(LSTM\) multiplies gates with states.*expected a convolutional "
         r"model, or methods without deep_lift_shap"),
        ("danq", {"attributions": {"models": ["cnn_25"]}},
         r"config key studies.danq.interpret.attributions.models\[0\]: 'cnn_25' is not one of this study's "
         r"models"),
        ("decode", {"attributions": {}},
         r"config key studies.decode.interpret.attributions: no model of study 'decode' can be explained"),
        ("deepstarr", {"attributions": {"tasks": ["dev", "dvelopmental"]}},
         r"config key studies.deepstarr.interpret.attributions.tasks\[1\]: 'dvelopmental' is not a task of "
         r"study 'deepstarr'; expected some of: dev, hk"),
        ("deepstarr", {"motif_discovery": {}},
         r"config key studies.deepstarr.interpret.motif_discovery: motif discovery reads DeepLIFT-SHAP "
         r"hypothetical contributions; expected studies.deepstarr.interpret.attributions with "),
        ("deepstarr", {"attributions": {"methods": ["ism"]}, "motif_discovery": {}},
         r"expected studies.deepstarr.interpret.attributions with deep_lift_shap in its methods"),
        ("deepstarr", {"attributions": {"methods": ["gradcam"]}},
         r"config key studies.deepstarr.interpret.attributions.methods\[0\]"),
    ],
)  # fmt: skip
def test_attribution_requests_a_study_cannot_meet_are_refused_before_any_job(
    default_config, study, part, message
):
    with pytest.raises(InputError, match=message):
        check_config(_with(default_config, ("studies", study, "interpret"), part), SCHEMA)


def test_attributions_default_to_every_model_deep_lift_can_explain(default_config):
    from seqcnn.config import attribution_models

    with pytest.raises(InputError, match="no model of study 'danq' can be explained .* recurrent"):
        check_config(_with(default_config, ("studies", "danq", "interpret"), {"attributions": {}}), SCHEMA)
    both = {"attributions": {"methods": ["saliency", "ism"]}}
    cfg = check_config(_with(default_config, ("studies", "danq", "interpret"), both), SCHEMA)
    assert attribution_models(cfg, "danq") == ["danq", "danq_mini", "lstm", "rnn"]
    cfg = check_config(copy.deepcopy(default_config), SCHEMA)
    assert attribution_models(cfg, "basset") == ["basset", "rescnn", "cnn_25"]


def test_toy_settings_are_checked_with_the_config(default_config):
    cfg = _with(default_config, ("toys", "toy", "settings"), {"slot_bp": -5})
    with pytest.raises(InputError, match=r"config key toys.toy.settings.slot_bp: expected"):
        check_config(cfg, SCHEMA)
    cfg = _with(default_config, ("toys", "toy", "settings"), {"chip_peak": 5})
    with pytest.raises(InputError, match=r"config key toys.toy.settings.chip_peak: unknown toy genome"):
        check_config(cfg, SCHEMA)


def test_config_file_syntax_errors_name_the_file_and_line(tmp_path):
    from seqcnn.config import load_config_file

    bad = tmp_path / "my.yaml"
    bad.write_text("run: [basset]\nstudies:\n  basset: {trials: 2\n  deepbind: {}\n")
    with pytest.raises(InputError, match=rf"{re.escape(str(bad))}:4:\d+: YAML syntax error"):
        load_config_file(bad)
    tabs = tmp_path / "tabs.yaml"
    tabs.write_text("studies:\n\tbasset: {}\n")
    with pytest.raises(InputError, match=rf"{re.escape(str(tabs))}:2:1: YAML syntax error"):
        load_config_file(tabs)
    listed = tmp_path / "list.yaml"
    listed.write_text("- run\n")
    with pytest.raises(InputError, match=r"list.yaml: the top level is a list; expected a mapping"):
        load_config_file(listed)


def test_unknown_top_level_key_is_named(default_config):
    with pytest.raises(InputError, match=r"^config key studys: unknown key; expected some of: datasets"):
        check_config({**default_config, "studys": {}}, SCHEMA)


def test_unknown_key_is_named(default_config):
    cfg = copy.deepcopy(default_config)
    cfg["training"]["learning_rate"] = 0.1
    with pytest.raises(InputError, match=r"config key training.learning_rate: unknown key; expected some of"):
        check_config(cfg, SCHEMA)


def test_missing_tomtom_binary_is_named(default_config):
    cfg = _with(default_config, ("motifs",), {"tomtom": "meme", "tomtom_binary": "/nonexistent/tomtom"})
    with pytest.raises(InputError, match=r"motifs.tomtom_binary: '/nonexistent/tomtom' not found on PATH"):
        check_config(cfg, SCHEMA)


def test_the_config_check_command_names_the_file_and_line_snakemake_does_not(tmp_path, capsys):
    from seqcnn.config import main

    bad = tmp_path / "mine.yaml"
    bad.write_text("run: [deepbind\nstudies: {}\n")
    assert main([str(bad)]) == 1
    assert f"Config error: {bad}:2:" in capsys.readouterr().err
    good = tmp_path / "good.yaml"
    good.write_text("run: [deepbind]\nstudies: {deepbind: {trials: 2}}\n")
    assert main([str(ROOT / "config/toy.yaml"), str(good)]) == 0
    assert "config ok: run deepbind;" in capsys.readouterr().out
