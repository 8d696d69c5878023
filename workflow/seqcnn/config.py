"""Validation of the workflow config, run before any job, and the defaults it fills in.

The config names its things: ``genomes``, ``toys`` (generated toy genomes), ``datasets`` (each of one
``kind``) and ``studies`` (a dataset, models and how they train); ``run`` lists the studies a bare
``snakemake`` builds. The JSON schema (``workflow/schemas/config.schema.yaml``) holds every key's type,
description and default, stated once: :func:`check_config` validates the config against it, fills in the
defaults, then checks what a schema cannot — names that refer to other entries, model names against the
registry, what a model reads against what its dataset holds, JASPAR IDs against the configured release,
layers a model does not have, and names that would write the same path. Every failure is one
:class:`InputError` naming the key and what was expected.
"""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import torch
import yaml

from .errors import InputError, qualify_keys
from .models import MODELS, build_model, length_problem

#: What each dataset kind holds: the inputs a model may read from it.
DATASET_INPUTS = {
    "synthetic": ("sequence",),
    "peaks": ("sequence",),
    "starr": ("sequence",),
    "decode": ("sequence", "tracks"),
    "multimodal": ("sequence", "tracks"),
    "deepsea": ("sequence",),
    "deepstarr_released": ("sequence",),
    "basset_h5": ("sequence",),
}
#: Dataset kinds whose data carry planted truth when their genome is a toy genome.
TOY_ROOT = "resources/toy"
#: Folders under results/ that are not studies.
RESERVED_STUDY_NAMES = ("datasets", "experiments", "logs")
#: What a name (of a study, dataset, genome, toy, task, experiment or track) may be: it becomes a path.
NAME_RULE = (
    "expected letters, digits, '_', '-' and '.', starting with a letter, digit or '_' (names become "
    "paths and wildcards, so no '/', no leading '.' and at most 100 characters)"
)
#: Keys that are execution settings, refused with where they belong instead.
EXECUTION_KEYS = {
    "device": (
        "where a job runs is an execution setting, not a config key: jobs use CUDA whenever they see a "
        "GPU and record the device in settings.json. Request GPUs with --workflow-profile profiles/gpu "
        "(and --resources gpu=N), or hide them with CUDA_VISIBLE_DEVICES= to train on the CPU"
    ),
    "threads": "threads are an execution setting: use --cores and set-threads in a profile",
}


def load_schema(schema_path: str | os.PathLike) -> dict[str, Any]:
    with open(schema_path) as fh:
        return yaml.safe_load(fh)


def load_config_file(path: str | os.PathLike) -> dict[str, Any]:
    """Read a YAML (or JSON) config file; a syntax error names the file, line and column.

    Raises
    ------
    InputError
        A missing or unreadable file, a YAML syntax error, or a file whose top level is not a mapping.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the config file ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise InputError(f"{where}: YAML syntax error: {what}; expected a mapping of config keys") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: YAML syntax error: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(
            f"{path}: the top level is a {type(data).__name__}; expected a mapping of config keys "
            "(run, datasets, studies, ...)"
        )
    return data


def merge_config(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` merged into ``base`` key by key (nested mappings merged, everything else replaced), as
    Snakemake merges ``--configfile`` files over the workflow's own config file."""
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            merge_config(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _key_path(error: jsonschema.ValidationError, prefix: str = "") -> str:
    parts = [str(p) if not isinstance(p, int) else f"[{p}]" for p in error.absolute_path]
    path = ".".join([prefix, *parts] if prefix else parts).replace(".[", "[")
    return path or "(top level)"


def _first_error(validator: jsonschema.Validator, instance: Any, prefix: str = "") -> None:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    err = errors[0]
    where = _key_path(err, prefix)
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties") or {}))
        execution = [k for k in extra if k in EXECUTION_KEYS]
        if execution:
            raise InputError(f"config key {where}.{execution[0]}: {EXECUTION_KEYS[execution[0]]}")
        known = sorted(err.schema.get("properties") or {})
        key = f"{where}.{extra[0]}" if err.absolute_path or prefix else extra[0]
        expected = f"; expected some of: {', '.join(known)}" if known else ""
        raise InputError(f"config key {key}: unknown key{expected}")
    if "propertyNames" in err.absolute_schema_path:
        raise InputError(
            f"config key {where}.{err.instance}: name {err.instance!r} is not allowed; {NAME_RULE}"
        )
    if err.validator in ("pattern", "maxLength") and err.schema.get("pattern") == _name_pattern(validator):
        raise InputError(f"config key {where}: name {err.instance!r} is not allowed; {NAME_RULE}")
    if err.validator == "uniqueItems":
        repeated = list(dict.fromkeys(err.instance[i] for i in _repeats(err.instance)))
        raise InputError(
            f"config key {where}: {', '.join(map(str, repeated))} listed more than once; expected each "
            "entry once (each names outputs)"
        )
    raise InputError(f"config key {where}: {err.message}")


def _repeats(items: list[Any]) -> list[int]:
    """Indices of the entries of ``items`` that an earlier entry already holds."""
    return [i for i, item in enumerate(items) if item in items[:i]]


def _name_pattern(validator: jsonschema.Validator) -> str | None:
    """The pattern of the schema's ``name`` definition."""
    return validator.schema.get("$defs", {}).get("name", {}).get("pattern")


def _resolve(node: Mapping[str, Any], schema: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    target = schema
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}


def fill_defaults(instance: Any, node: Mapping[str, Any], schema: Mapping[str, Any]) -> Any:
    """Fill every missing key that has a ``default`` in ``node`` (recursively; maps of named entries too)."""
    # ``overrides: true`` marks settings typed like another key's that override it, so they get no defaults.
    if not isinstance(instance, dict) or node.get("overrides"):
        return instance
    node = _resolve(node, schema)
    for key, sub in (node.get("properties") or {}).items():
        sub = _resolve(sub, schema)
        if key not in instance and "default" in sub:
            instance[key] = copy.deepcopy(sub["default"])
        if key in instance:
            fill_defaults(instance[key], sub, schema)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        for key, value in instance.items():
            if key not in (node.get("properties") or {}):
                fill_defaults(value, extra, schema)
    return instance


def validate_schema(config: dict[str, Any], schema: Mapping[str, Any]) -> None:
    """Validate ``config`` against the schema, datasets against their kind; raise for the first problem."""
    _first_error(jsonschema.Draft202012Validator(schema), config)
    for name, entry in (config.get("datasets") or {}).items():
        kind_schema = {**schema["$defs"][f"dataset_{entry['kind']}"], "$defs": schema["$defs"]}
        validator = jsonschema.Draft202012Validator(kind_schema)
        errors = sorted(validator.iter_errors(entry), key=lambda e: list(e.absolute_path))
        if errors and errors[0].validator == "additionalProperties":
            known = sorted(kind_schema["properties"])
            extra = sorted(set(entry) - set(known))
            raise InputError(
                f"config key datasets.{name}.{extra[0]}: not a key of a {entry['kind']!r} dataset; expected "
                f"some of: {', '.join(known)}"
            )
        _first_error(validator, entry, prefix=f"datasets.{name}")


def check_config(config: dict[str, Any], schema_path: str | os.PathLike) -> dict[str, Any]:
    """Schema validation, defaults filled in (``config`` is updated in place), then the semantic checks.

    Returns
    -------
    dict
        ``config``, completed.

    Raises
    ------
    InputError
        Naming the config key and what was expected.
    """
    schema = load_schema(schema_path)
    validate_schema(config, schema)
    fill_defaults(config, schema, schema)
    for entry in config["datasets"].values():
        fill_defaults(entry, schema["$defs"][f"dataset_{entry['kind']}"], schema)
    check_names(config)
    check_toys(config)
    check_genomes(config)
    check_datasets(config)
    check_studies(config)
    check_experiments(config)
    check_released_files(config)
    motifs = config["motifs"]
    if motifs["tomtom"] == "meme" and shutil.which(motifs["tomtom_binary"]) is None:
        raise InputError(
            f"config key motifs.tomtom_binary: {motifs['tomtom_binary']!r} not found on PATH; "
            "motifs.tomtom: meme needs the MEME suite's tomtom (or use motifs.tomtom: memelite)"
        )
    check_jaspar_ids(config)
    return config


def check_names(config: dict[str, Any]) -> None:
    """Names become paths: no study may take a folder the pipeline uses, and no two names of one map may
    differ only in case (they would write the same path on a case-insensitive file system)."""
    for name in config["studies"]:
        if name in RESERVED_STUDY_NAMES:
            raise InputError(
                f"config key studies.{name}: {name!r} would write into results/{name}/, which the pipeline "
                f"uses; choose another name (not {', '.join(RESERVED_STUDY_NAMES)})"
            )
    both = sorted(set(config["studies"]) & set(config["experiments"]))
    if both:
        raise InputError(
            f"config key experiments.{both[0]}: {both[0]!r} is also a study; `run` names either, so "
            "expected a name no study has"
        )
    for section in ("toys", "genomes", "datasets", "studies", "experiments"):
        seen: dict[str, str] = {}
        for name in config[section]:
            other = seen.setdefault(name.lower(), name)
            if other != name:
                raise InputError(
                    f"config key {section}.{name}: {section} {other!r} and {name!r} write the same path on a "
                    "case-insensitive file system; expected names that differ by more than case"
                )


def check_toys(config: dict[str, Any]) -> None:
    """Toy settings are checked when the config is, not when the toy is built."""
    from .toy import resolve_settings

    for name, entry in config["toys"].items():
        try:
            resolve_settings(**entry["settings"])
        except TypeError as exc:
            raise InputError(f"config key toys.{name}.settings: {exc}") from None
        except InputError as exc:
            raise InputError(qualify_keys(str(exc), f"toys.{name}.settings")) from None


def toy_of_path(path: str | os.PathLike) -> str | None:
    """The toy genome that writes ``path`` (``resources/toy/<toy>/...``), or None."""
    parts = Path(path).parts
    root = Path(TOY_ROOT).parts
    if len(parts) > len(root) + 1 and parts[: len(root)] == root:
        return parts[len(root)]
    return None


def check_genomes(config: dict[str, Any]) -> None:
    """A genome reading a toy genome's files names a configured toy."""
    for name, entry in config["genomes"].items():
        for key in ("source", "blacklist"):
            toy = toy_of_path(entry[key]) if entry.get(key) else None
            if toy is not None and toy not in config["toys"]:
                raise InputError(
                    f"config key genomes.{name}.{key}: {entry[key]} is written by toy genome {toy!r}, which "
                    f"is not configured; expected one of toys: {', '.join(config['toys']) or '(none)'}"
                )


def check_datasets(config: dict[str, Any]) -> None:
    """Datasets name configured genomes (or, for multimodal, a peak dataset); splits and windows add up."""
    datasets, genomes = config["datasets"], config["genomes"]
    for name, entry in datasets.items():
        key = f"datasets.{name}"
        if "genome" in entry and entry["genome"] not in genomes:
            raise InputError(
                f"config key {key}.genome: unknown genome {entry['genome']!r}; expected one of: "
                f"{', '.join(genomes) or '(no genomes configured)'}"
            )
        if entry["kind"] == "multimodal":
            source = datasets.get(entry["peaks"])
            if source is None or source["kind"] != "peaks":
                peaks = [n for n, d in datasets.items() if d["kind"] == "peaks"]
                raise InputError(
                    f"config key {key}.peaks: {entry['peaks']!r} is not a peaks dataset; expected one of: "
                    f"{', '.join(peaks) or '(no peaks datasets configured)'}"
                )
        if entry["kind"] == "starr":
            names = [t["name"] for t in entry["tasks"]]
            repeats = _repeats(names)
            if repeats:
                raise InputError(
                    f"config key {key}.tasks[{repeats[0]}].name: task {names[repeats[0]]!r} listed more than "
                    "once; expected one entry per task"
                )
        if entry["kind"] == "synthetic":
            fractions = entry["split_fractions"]
            if abs(sum(fractions) - 1.0) > 1e-6:
                raise InputError(
                    f"config key {key}.split_fractions: {fractions} sum to {sum(fractions):g}; "
                    "expected train/valid/test fractions summing to 1"
                )
        if entry["kind"] == "deepsea":
            check_deepsea_labels(key, entry)
        for path_key in ("samples",):
            toy = toy_of_path(entry[path_key]) if path_key in entry else None
            if toy is not None and toy not in config["toys"]:
                raise InputError(
                    f"config key {key}.{path_key}: {entry[path_key]} is written by toy genome {toy!r}, which "
                    f"is not configured; expected one of toys: {', '.join(config['toys']) or '(none)'}"
                )


def check_deepsea_labels(key: str, entry: Mapping[str, Any]) -> None:
    """Label columns exist in the bundle's 919, and each kept column has at most one name."""
    from .released import DEEPSEA_LABELS

    classes, names = entry["classes"], entry["class_names"]
    for i, index in enumerate(classes or []):
        if index >= DEEPSEA_LABELS:
            raise InputError(
                f"config key {key}.classes[{i}]: label index {index} is past the last of the DeepSEA "
                f"bundle's {DEEPSEA_LABELS} labels (train.mat traindata, valid.mat validdata, test.mat "
                f"testdata); expected 0-based column indices 0-{DEEPSEA_LABELS - 1}"
            )
    n_kept = len(classes) if classes is not None else DEEPSEA_LABELS
    if names is not None and len(names) != n_kept:
        raise InputError(
            f"config key {key}.class_names: {len(names)} names for {n_kept} kept label columns; expected one "
            "name per entry of classes"
        )


def check_released_files(config: Mapping[str, Any]) -> None:
    """The released files of every dataset a study in ``run`` trains on are on disk (a default run needs
    none); the message names the first missing file and where to get it."""
    from .released import RELEASED_KINDS, missing_file_message

    for study in run_studies(config):
        for name in (config["studies"][study]["dataset"], *config["studies"][study]["test_sets"].values()):
            entry = config["datasets"][name]
            if entry["kind"] not in RELEASED_KINDS:
                continue
            missing = missing_file_message(entry)
            if missing:
                key = "dir" if "dir" in entry else "path"
                raise InputError(f"config key datasets.{name}.{key}: {missing} (study {study!r} is in run)")


def dataset_genome(config: Mapping[str, Any], dataset: str) -> str | None:
    """The genome a dataset is built from (a multimodal dataset: its peak dataset's); None for synthetic."""
    entry = config["datasets"][dataset]
    if entry["kind"] == "multimodal":
        return dataset_genome(config, entry["peaks"])
    return entry.get("genome")


def dataset_length(config: Mapping[str, Any], dataset: str) -> int:
    """Window length of a dataset's sequences in bp."""
    entry = config["datasets"][dataset]
    if entry["kind"] == "multimodal":
        return dataset_length(config, entry["peaks"])
    return int(entry["seq_len"] if entry["kind"] == "synthetic" else entry["window"])


def study_models(study: Mapping[str, Any]) -> list[str]:
    """Every model a study trains: its ``models`` and then any deeper-layer-only model."""
    extra = [d["model"] for d in study["deeper_layers"] if d["model"] not in study["models"]]
    return [*study["models"], *dict.fromkeys(extra)]


def gradcam_models(study: Mapping[str, Any]) -> list[str]:
    """The models ``interpret.gradcam`` explains: its ``models``, else every track-only model (none when
    the part is off)."""
    part = study["interpret"].get("gradcam")
    if part is None:
        return []
    if part["models"] is not None:
        return list(part["models"])
    return [m for m in study["models"] if MODELS[m].inputs == ("tracks",)]


def check_gradcam(config: Mapping[str, Any], study: str) -> None:
    """``interpret.gradcam`` names models of the study that have a conv layer over their input, and a
    layer among them; each model is built (at the study's shapes and options) to count its conv layers."""
    entry = config["studies"][study]
    part = entry["interpret"].get("gradcam")
    if part is None:
        return
    from .gradcam import conv_layers
    from .models import build_model

    key = f"studies.{study}.interpret.gradcam"
    names = gradcam_models(entry)
    if not names:
        raise InputError(
            f"config key {key}.models: study {study!r} has no track model ({', '.join(entry['models'])}); "
            "expected models: [...] naming the study's CNNs to explain"
        )
    if part["split"] == "scan":
        dataset = config["datasets"][entry["dataset"]]
        if dataset.get("scan_stride") is None:
            raise InputError(
                f"config key {key}.split: 'scan' needs a scan of the test chromosomes, and dataset "
                f"{entry['dataset']!r} has none; expected datasets.{entry['dataset']}.scan_stride "
                "(a DECODE dataset) or split: test"
            )
    length = entry["crop"] or dataset_length(config, entry["dataset"])
    n_tracks, bins = dataset_tracks(config, entry["dataset"])
    for i, name in enumerate(names):
        where = f"{key}.models[{i}]" if part["models"] is not None else f"{key}.models"
        if name not in entry["models"]:
            raise InputError(
                f"config key {where}: {name!r} is not one of this study's models "
                f"({', '.join(entry['models'])})"
            )
        info = MODELS[name]
        seq_len = bins if info.inputs == ("tracks",) and bins is not None else length
        model = build_model(
            name, n_classes=1, seq_len=seq_len, n_tracks=n_tracks, **entry["model_options"].get(name, {})
        )
        layers = conv_layers(model)
        if not layers:
            raise InputError(
                f"config key {where}: model {name!r} has no conv layer over its input; expected a CNN "
                "(Grad-CAM reads a conv layer's feature maps)"
            )
        if part["layer"] is not None and part["layer"] >= len(layers):
            raise InputError(
                f"config key {key}.layer: {part['layer']} is past model {name!r}'s conv layers; expected "
                f"0..{len(layers) - 1} (or null for the last)"
            )


def annotated_models(study: Mapping[str, Any]) -> list[str]:
    """The trained models whose first layer is annotated (a convolution over the sequence)."""
    return [m for m in study_models(study) if 0 in MODELS[m].annotatable_layers]


def _unknown_model(key: str, name: str) -> InputError:
    return InputError(f"config key {key}: unknown model {name!r}; expected one of: {', '.join(MODELS)}")


def run_studies(config: Mapping[str, Any]) -> list[str]:
    """The studies a run builds: those ``run`` names and those its experiments compare, in that order."""
    names: list[str] = []
    for name in config["run"]:
        if name in config["studies"]:
            names.append(name)
        else:
            names += config["experiments"][name]["studies"]
    return list(dict.fromkeys(names))


def run_experiments(config: Mapping[str, Any]) -> list[str]:
    """The experiments ``run`` names."""
    return [name for name in config["run"] if name in config["experiments"]]


def check_studies(config: dict[str, Any]) -> None:
    """Studies name a dataset, known models that can read it, known options and layers, and test sets it
    can score them on; ``run`` names studies or experiments."""
    studies, datasets = config["studies"], config["datasets"]
    for i, name in enumerate(config["run"]):
        if name not in studies and name not in config["experiments"]:
            raise InputError(
                f"config key run[{i}]: unknown study or experiment {name!r}; expected one of: "
                f"{', '.join([*studies, *config['experiments']]) or '(none)'}"
            )
    for study, entry in studies.items():
        key = f"studies.{study}"
        if entry["dataset"] not in datasets:
            raise InputError(
                f"config key {key}.dataset: unknown dataset {entry['dataset']!r}; expected one of: "
                f"{', '.join(datasets) or '(no datasets configured)'}"
            )
        kind = datasets[entry["dataset"]]["kind"]
        held = DATASET_INPUTS[kind]
        for i, name in enumerate(entry["models"]):
            if name not in MODELS:
                raise _unknown_model(f"{key}.models[{i}]", name)
            missing = [x for x in MODELS[name].inputs if x not in held]
            if missing:
                raise InputError(
                    f"config key {key}.models[{i}]: model {name!r} reads "
                    f"{' and '.join(MODELS[name].inputs)}, but dataset {entry['dataset']!r} ({kind}) holds "
                    f"{' and '.join(held)} only; expected a model that reads {' and/or '.join(held)}"
                )
        for name, options in entry["model_options"].items():
            if name not in entry["models"]:
                raise InputError(
                    f"config key {key}.model_options.{name}: {name!r} is not one of this study's models "
                    f"({', '.join(entry['models'])})"
                )
            known = MODELS[name].options
            for option in options:
                if option not in known:
                    raise InputError(
                        f"config key {key}.model_options.{name}.{option}: unknown option of {name!r}; "
                        f"expected some of: {', '.join(known) or '(none)'}"
                    )
        for name, overrides in entry["model_training"].items():
            if name not in study_models(entry):
                raise InputError(
                    f"config key {key}.model_training.{name}: {name!r} is not one of this study's models "
                    f"({', '.join(entry['models'])})"
                )
            if "stack_trials" in overrides:
                raise InputError(
                    f"config key {key}.model_training.{name}.stack_trials: trials are stacked per study; "
                    f"expected it under {key}.training or training"
                )
        length = dataset_length(config, entry["dataset"])
        if entry["crop"] is not None and entry["crop"] > length:
            raise InputError(
                f"config key {key}.crop: {entry['crop']} bp is longer than dataset {entry['dataset']!r}'s "
                f"{length}-bp windows; expected at most {length}"
            )
        for i, deeper in enumerate(entry["deeper_layers"]):
            check_deeper_layers(f"{key}.deeper_layers[{i}]", deeper)
        repeats = _repeats([d["model"] for d in entry["deeper_layers"]])
        if repeats:
            raise InputError(
                f"config key {key}.deeper_layers[{repeats[0]}].model: "
                f"{entry['deeper_layers'][repeats[0]]['model']!r} listed more than once; expected one entry "
                "per model with all its layers"
            )
        check_input_lengths(config, study)
        check_test_sets(config, study)
        check_attributions(config, study)
        check_gradcam(config, study)
        if entry["logo_trial"] >= entry["trials"]:
            raise InputError(
                f"config key {key}.logo_trial: {entry['logo_trial']} but only {entry['trials']} trial(s) "
                f"(0..{entry['trials'] - 1}) are run"
            )
        if entry["interpret"].get("cooperativity") is not None:
            check_cooperativity(config, study)


#: Dataset kinds of log2 activity regression (STARR-seq), the models the cooperativity experiment reads.
REGRESSION_KINDS = ("starr", "deepstarr_released")
#: Tasks of a released DeepSTARR split.
DEEPSTARR_TASKS = ("dev", "hk")


def cooperativity_models(study: Mapping[str, Any]) -> list[str]:
    """The models of a study whose motif-distance cooperativity is measured."""
    return list(study["interpret"]["cooperativity"]["models"] or study["models"])


def check_cooperativity(config: Mapping[str, Any], study: str) -> None:
    """``studies.<study>.interpret.cooperativity`` fits the study: a regression dataset, the study's
    models, motifs of its tasks that fit its windows, increasing bins, and motifs when no toy truth
    provides them."""
    from .cooperativity import check_motifs

    entry = config["studies"][study]
    part = entry["interpret"]["cooperativity"]
    key = f"studies.{study}.interpret.cooperativity"
    dataset = entry["dataset"]
    kind = config["datasets"][dataset]["kind"]
    if kind not in REGRESSION_KINDS:
        raise InputError(
            f"config key {key}: dataset {dataset!r} ({kind}) is not log2 activity regression; expected a "
            f"study of a {' or '.join(REGRESSION_KINDS)} dataset"
        )
    for i, name in enumerate(part["models"] or []):
        if name not in study_models(entry):
            raise InputError(
                f"config key {key}.models[{i}]: {name!r} is not one of this study's models "
                f"({', '.join(study_models(entry))})"
            )
    bins = part["bins"]
    if any(b <= a for a, b in zip(bins[:-1], bins[1:], strict=False)):
        raise InputError(f"config key {key}.bins: {bins}; expected strictly increasing bin edges")
    tasks = known_tasks(config, study)
    if part["motifs"] is not None:
        check_motifs(part["motifs"], tasks, entry["crop"] or dataset_length(config, dataset), f"{key}.motifs")
    else:
        genome = dataset_genome(config, dataset)
        if genome is None or toy_of_path(config["genomes"][genome]["source"]) is None:
            raise InputError(
                f"config key {key}.motifs: not given, and dataset {dataset!r} has no toy genome whose "
                "planted motifs would be used; expected a list of {name, sequence, task}"
            )


def dataset_tracks(config: Mapping[str, Any], dataset: str) -> tuple[int, int | None]:
    """Signal tracks of a dataset and their positions per window (None: one per base)."""
    entry = config["datasets"][dataset]
    if entry["kind"] not in ("decode", "multimodal"):
        return 0, None
    bins = dataset_length(config, dataset) // entry["bin_size"] if entry["bin_size"] > 1 else None
    return len(entry["tracks"]), bins


def check_input_lengths(config: Mapping[str, Any], study: str) -> None:
    """Every model of a study takes the windows it will see (the study's ``crop`` or its dataset's)."""
    entry = config["studies"][study]
    length = dataset_length(config, entry["dataset"])
    n_tracks, bins = dataset_tracks(config, entry["dataset"])
    crop = entry["crop"]
    seen = crop or length
    for name in study_models(entry):
        info = MODELS[name]
        track_length = bins if bins is not None else seen
        problem = length_problem(
            name,
            track_length if info.inputs == ("tracks",) else seen,
            n_tracks=n_tracks,
            track_length=track_length,
            options=entry["model_options"].get(name),
        )
        if problem is None:
            continue
        if crop is not None:
            key, what = f"studies.{study}.crop", f"crop {crop} bp"
        else:
            key, what = _length_key(config, entry["dataset"]), f"{length}-bp windows"
        raise InputError(
            f"config key {key}: model {name!r} of study {study!r} cannot take {what} ({problem}); expected "
            "a longer crop or window, or model_options that fit"
        )


def check_test_sets(config: Mapping[str, Any], study: str) -> None:
    """A study's test sets are datasets of the same task kind whose windows and tracks its models read:
    the same window length as its dataset (or at least its crop) and as many tracks of as many bins."""
    entry, datasets = config["studies"][study], config["datasets"]
    own = entry["dataset"]
    for name, dataset in entry["test_sets"].items():
        key = f"studies.{study}.test_sets.{name}"
        if name == "test":
            raise InputError(
                f"config key {key}: 'test' names the study's own test split; expected another name"
            )
        if dataset not in datasets:
            raise InputError(
                f"config key {key}: unknown dataset {dataset!r}; expected one of: {', '.join(datasets)}"
            )
        regression = [datasets[d]["kind"] in REGRESSION_KINDS for d in (own, dataset)]
        if regression[0] != regression[1]:
            kinds = ["regression" if r else "binary" for r in regression]
            raise InputError(
                f"config key {key}: dataset {dataset!r} has {kinds[1]} targets, study {study!r}'s "
                f"dataset {own!r} {kinds[0]}; expected a dataset of the same kind"
            )
        length, want = dataset_length(config, dataset), dataset_length(config, own)
        crop = entry["crop"]
        if (crop is None and length != want) or (crop is not None and length < crop):
            expected = f"at least the study's crop, {crop} bp" if crop else f"{want} bp, as {own!r}"
            raise InputError(
                f"config key {key}: dataset {dataset!r} has {length}-bp windows; expected {expected}"
            )
        leaked = _leaked_chromosomes(config, own, dataset)
        if leaked:
            raise InputError(
                f"config key {key}: dataset {dataset!r} tests on {', '.join(leaked)}, which study "
                f"{study!r}'s dataset {own!r} trains or validates on; expected a test set whose test "
                "chromosomes the study holds out too (the same `splits`)"
            )
        held = DATASET_INPUTS[datasets[dataset]["kind"]]
        reads = {x for m in study_models(entry) for x in MODELS[m].inputs}
        if "tracks" in reads:
            tracks, want_tracks = dataset_tracks(config, dataset), dataset_tracks(config, own)
            if "tracks" not in held or tracks != want_tracks:
                raise InputError(
                    f"config key {key}: dataset {dataset!r} has {tracks[0]} signal track(s); study "
                    f"{study!r}'s models read {want_tracks[0]} at the resolution of {own!r}; expected a "
                    "dataset with the same tracks (e.g. another cell type's)"
                )


def _split_chromosomes(config: Mapping[str, Any], dataset: str) -> tuple[str, dict[str, list[str]]] | None:
    """The genome and held-out chromosomes of a dataset built from a genome (None: synthetic, released)."""
    entry = config["datasets"][dataset]
    if entry["kind"] == "multimodal":
        return _split_chromosomes(config, entry["peaks"])
    genome = dataset_genome(config, dataset)
    if genome is None or "splits" not in entry:
        return None
    return genome, entry["splits"]


def _leaked_chromosomes(config: Mapping[str, Any], own: str, test_set: str) -> list[str]:
    """Test chromosomes of ``test_set`` that the study's dataset ``own`` trains or validates on."""
    a, b = _split_chromosomes(config, own), _split_chromosomes(config, test_set)
    if a is None or b is None or a[0] != b[0]:
        return []
    return sorted(set(b[1]["test"]) - set(a[1]["test"]))


def check_experiments(config: Mapping[str, Any]) -> None:
    """An experiment names studies, models of every one of them and test sets every one of them has,
    each name meaning one dataset in all of them (its chance level and ratio are the test set's)."""
    studies = config["studies"]
    for name, entry in config["experiments"].items():
        key = f"experiments.{name}"
        for i, study in enumerate(entry["studies"]):
            if study not in studies:
                raise InputError(
                    f"config key {key}.studies[{i}]: unknown study {study!r}; expected one of: "
                    f"{', '.join(studies) or '(none)'}"
                )
            for j, model in enumerate(entry["models"] or []):
                if model not in studies[study]["models"]:
                    raise InputError(
                        f"config key {key}.models[{j}]: {model!r} is not a model of study {study!r} "
                        f"({', '.join(studies[study]['models'])})"
                    )
            for j, test_set in enumerate(entry["test_sets"]):
                if test_set != "test" and test_set not in studies[study]["test_sets"]:
                    raise InputError(
                        f"config key {key}.test_sets[{j}]: study {study!r} has no test set {test_set!r}; "
                        f"expected test or one of its test_sets: "
                        f"{', '.join(studies[study]['test_sets']) or '(none)'}"
                    )
        for j, test_set in enumerate(entry["test_sets"]):
            scored = {
                studies[s]["dataset"] if test_set == "test" else studies[s]["test_sets"][test_set]
                for s in entry["studies"]
            }
            if len(scored) > 1:
                names = ", ".join(sorted(scored))
                raise InputError(
                    f"config key {key}.test_sets[{j}]: {test_set!r} is dataset {names} in its studies; "
                    "expected one dataset, so that the studies are scored on the same sequences"
                )


def known_tasks(config: Mapping[str, Any], study: str) -> list[str] | None:
    """The task names a study learns where the config can tell (None: they come from a file)."""
    entry = config["studies"][study]
    if entry["tasks"] is not None:
        return list(entry["tasks"])
    dataset = config["datasets"][entry["dataset"]]
    if dataset["kind"] == "starr":
        return [t["name"] for t in dataset["tasks"]]
    if dataset["kind"] == "deepstarr_released":
        return list(DEEPSTARR_TASKS)
    if dataset["kind"] == "multimodal":
        return list(dataset["tasks"])
    if dataset["kind"] == "peaks" and dataset.get("experiments"):
        return list(dataset["experiments"])
    return None


def _deep_lift_refusal(config: Mapping[str, Any], study: str, name: str) -> str | None:
    """Why DeepLIFT cannot explain a study's model (checked on the ``meta`` device), or None."""
    from .attribution import deep_lift_refusal

    entry = config["studies"][study]
    n_tracks, _ = dataset_tracks(config, entry["dataset"])
    length = entry["crop"] or dataset_length(config, entry["dataset"])
    with torch.device("meta"):
        model = build_model(
            name, n_classes=1, seq_len=length, n_tracks=n_tracks, **entry["model_options"].get(name, {})
        )
    return deep_lift_refusal(model)


def attribution_models(config: Mapping[str, Any], study: str) -> list[str]:
    """The models ``interpret.attributions`` explains: those listed, else every model of the study that
    reads sequence (and that DeepLIFT can explain, when ``deep_lift_shap`` is asked for)."""
    entry = config["studies"][study]
    part = entry["interpret"]["attributions"]
    if part is None:
        return []
    if part["models"] is not None:
        return list(part["models"])
    names = [m for m in study_models(entry) if "sequence" in MODELS[m].inputs]
    if "deep_lift_shap" in part["methods"]:
        names = [m for m in names if _deep_lift_refusal(config, study, m) is None]
    return names


def check_attributions(config: Mapping[str, Any], study: str) -> None:
    """``interpret.attributions`` and ``interpret.motif_discovery`` ask for what the study's models and
    tasks can give."""
    entry = config["studies"][study]
    parts = entry["interpret"]
    key = f"studies.{study}.interpret"
    part = parts["attributions"]
    if parts["motif_discovery"] is not None:
        if part is None or "deep_lift_shap" not in part["methods"]:
            raise InputError(
                f"config key {key}.motif_discovery: motif discovery reads DeepLIFT-SHAP hypothetical "
                f"contributions; expected {key}.attributions with deep_lift_shap in its methods"
            )
    if part is None:
        return
    for i, name in enumerate(part["models"] or []):
        if name not in study_models(entry):
            raise InputError(
                f"config key {key}.attributions.models[{i}]: {name!r} is not one of this study's models "
                f"({', '.join(study_models(entry))})"
            )
        if "sequence" not in MODELS[name].inputs:
            raise InputError(
                f"config key {key}.attributions.models[{i}]: {name!r} reads "
                f"{' and '.join(MODELS[name].inputs)} only; expected a model that reads sequence"
            )
        reason = _deep_lift_refusal(config, study, name) if "deep_lift_shap" in part["methods"] else None
        if reason is not None:
            raise InputError(
                f"config key {key}.attributions.models[{i}]: DeepLIFT-SHAP cannot explain {name!r} "
                f"({reason}); expected a convolutional model, or methods without deep_lift_shap"
            )
    if not attribution_models(config, study):
        raise InputError(
            f"config key {key}.attributions: no model of study {study!r} can be explained "
            f"({', '.join(study_models(entry))}); expected a model that reads sequence"
            + (" and has no recurrent or squeeze-excite layer" if "deep_lift_shap" in part["methods"] else "")
        )
    tasks = known_tasks(config, study)
    for i, task in enumerate(part["tasks"] or []):
        if tasks is not None and task not in tasks:
            raise InputError(
                f"config key {key}.attributions.tasks[{i}]: {task!r} is not a task of study {study!r}; "
                f"expected some of: {', '.join(tasks)}"
            )


def _length_key(config: Mapping[str, Any], dataset: str) -> str:
    entry = config["datasets"][dataset]
    if entry["kind"] == "multimodal":
        return _length_key(config, entry["peaks"])
    return f"datasets.{dataset}.{'seq_len' if entry['kind'] == 'synthetic' else 'window'}"


def check_deeper_layers(key: str, deeper: Mapping[str, Any]) -> None:
    name, layers = deeper["model"], deeper["layers"]
    if name not in MODELS:
        raise _unknown_model(f"{key}.model", name)
    info = MODELS[name]
    bad = [layer for layer in layers if layer >= info.n_conv_layers]
    if bad:
        raise InputError(
            f"config key {key}.layers: layer(s) {bad} out of range; {name} has conv layers "
            f"0..{info.n_conv_layers - 1}"
        )
    # Activation PWMs map a site back to the input window around it, which needs every earlier layer to
    # keep the sequence's resolution (Koo & Eddy's CNN-1 and CNN-1-3).
    pooled = [layer for layer in layers if layer not in info.annotatable_layers]
    if pooled:
        raise InputError(
            f"config key {key}.layers: layer(s) {pooled} of {name} follow a max-pool, so their activations "
            "cannot be mapped to sequence windows; expected layers preceded only by unpooled layers "
            "(e.g. cnn_1 layer 1, cnn_1_3 layers 0-2)"
        )


def check_jaspar_ids(config: dict[str, Any]) -> None:
    """Every synthetic dataset's ``motif_ids`` exist in the configured JASPAR release."""
    synthetic = {n: d for n, d in config["datasets"].items() if d["kind"] == "synthetic"}
    if not synthetic:
        return
    from .jaspar import fetch_motifs, select_motifs

    j = config["jaspar"]
    motifs = fetch_motifs(j["release"], j["collection"], j["tax_group"], j["all_versions"])
    for name, entry in synthetic.items():
        select_motifs(motifs, entry["motif_ids"], f"config key datasets.{name}.motif_ids")


#: The default config and the schema, relative to the workflow's root.
DEFAULT_CONFIG, SCHEMA = "config/config.yaml", "workflow/schemas/config.schema.yaml"


def complete_config(config: dict[str, Any], root: str | os.PathLike) -> dict[str, Any]:
    """The workflow's config, in place: the default config file under ``root`` with the values given
    (``--configfile`` files, ``--config``) merged over it, validated and completed by :func:`check_config`."""
    given = copy.deepcopy(config)
    config.clear()
    config.update(merge_config(load_config_file(Path(root) / DEFAULT_CONFIG), given))
    return check_config(config, Path(root) / SCHEMA)


def main(argv: list[str] | None = None) -> int:
    """``python -m seqcnn.config [FILE ...]``: check config files as the workflow would, before a run.

    The default config is read first and each file merged over it, in order, as with ``snakemake
    --configfile FILE ...``. Snakemake parses ``--configfile`` files itself, and its message for a YAML
    syntax error names neither the file nor the line; this names both, then runs every check of the DAG.
    """
    import sys

    files = [Path(a) for a in (sys.argv[1:] if argv is None else argv)]
    try:
        config: dict[str, Any] = {}
        for path in files:
            merge_config(config, load_config_file(path))
        complete_config(config, Path(__file__).resolve().parents[2])
    except InputError as exc:
        print(f"Config error: {exc}", file=sys.stderr)
        return 1
    print(
        f"config ok: run {', '.join(config['run'])}; {len(config['studies'])} studies, "
        f"{len(config['datasets'])} datasets, {len(config['genomes'])} genomes"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
