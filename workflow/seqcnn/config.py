"""Validation of the workflow config, run before any job.

The JSON schema (``workflow/schemas/config.schema.yaml``) catches wrong types and unknown keys; the
checks here catch what a schema cannot: model names that are not in the registry, JASPAR IDs that are not
in the configured release, and layers a model does not have. Every failure is one :class:`InputError`
naming the key and what was expected.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import jsonschema
import yaml

from .errors import InputError
from .models import ALL_MODEL_NAMES, MODEL_NAMES, REGISTRY
from .zoo import ZOO, zoo_options


def _key_path(error: jsonschema.ValidationError) -> str:
    parts = [str(p) if not isinstance(p, int) else f"[{p}]" for p in error.absolute_path]
    return ".".join(parts).replace(".[", "[") or "(top level)"


def validate_schema(config: dict[str, Any], schema_path: str | os.PathLike) -> None:
    """Validate ``config`` against the YAML JSON schema; raise one message for the first problem."""
    with open(schema_path) as fh:
        schema = yaml.safe_load(fh)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        if err.validator == "additionalProperties":
            raise InputError(f"config: {err.message} at {_key_path(err)}")
        raise InputError(f"config key {_key_path(err)}: {err.message}")


def check_config(config: dict[str, Any], schema_path: str | os.PathLike) -> None:
    """Schema validation, then the semantic checks.

    Raises
    ------
    InputError
        Naming the config key and what was expected.
    """
    validate_schema(config, schema_path)
    for i, name in enumerate(config["models"]):
        if name not in REGISTRY:
            raise InputError(
                f"config key models[{i}]: unknown model {name!r}; expected one of: {', '.join(MODEL_NAMES)}"
            )
    for i, name in enumerate(config.get("datasets", {}).get("peaks", {}).get("models") or []):
        if name not in REGISTRY:
            raise InputError(
                f"config key datasets.peaks.models[{i}]: unknown model {name!r}; expected one of: "
                f"{', '.join(MODEL_NAMES)}"
            )
    for i, entry in enumerate(config.get("deeper_layers") or []):
        name, layers = entry["model"], entry["layers"]
        if name not in REGISTRY:
            raise InputError(
                f"config key deeper_layers[{i}].model: unknown model {name!r}; expected one of: "
                f"{', '.join(MODEL_NAMES)}"
            )
        pools = REGISTRY[name].pools
        bad = [layer for layer in layers if layer >= len(pools)]
        if bad:
            raise InputError(
                f"config key deeper_layers[{i}].layers: layer(s) {bad} out of range; {name} has conv "
                f"layers 0..{len(pools) - 1}"
            )
        # Activation PWMs map a site back to the input window around it, which needs every
        # earlier layer to keep the sequence's resolution (Koo & Eddy's CNN-1 and CNN-1-3).
        pooled = [layer for layer in layers if any(p > 1 for p in pools[:layer])]
        if pooled:
            raise InputError(
                f"config key deeper_layers[{i}].layers: layer(s) {pooled} of {name} follow a max-pool, "
                "so their activations cannot be mapped to sequence windows; expected layers preceded "
                "only by "
                "unpooled layers (e.g. cnn_1 layer 1, cnn_1_3 layers 0-2)"
            )
    check_studies(config)
    fractions = config["synthetic"]["split_fractions"]
    if abs(sum(fractions) - 1.0) > 1e-6:
        raise InputError(
            f"config key synthetic.split_fractions: {fractions} sum to {sum(fractions):g}; "
            "expected train/valid/test fractions summing to 1"
        )
    if config["motifs"]["logo_trial"] >= config["trials"]:
        raise InputError(
            f"config key motifs.logo_trial: {config['motifs']['logo_trial']} but only "
            f"{config['trials']} trial(s) (0..{config['trials'] - 1}) are run"
        )
    motifs = config["motifs"]
    if motifs["tomtom"] == "meme" and shutil.which(motifs["tomtom_binary"]) is None:
        raise InputError(
            f"config key motifs.tomtom_binary: {motifs['tomtom_binary']!r} not found on PATH; "
            "motifs.tomtom: meme needs the MEME suite's tomtom (or use motifs.tomtom: memelite)"
        )
    check_jaspar_ids(config)


#: Studies that are not zoo studies.
BUILTIN_STUDIES = ("koo_eddy", "toy_datasets")


def check_studies(config: dict[str, Any]) -> None:
    """``studies`` names known studies; every zoo study names known models, options and training keys."""
    from dataclasses import fields

    from .train import TrainSettings

    zoo = config.get("zoo", {}).get("studies") or {}
    known = (*BUILTIN_STUDIES, *zoo)
    for i, name in enumerate(config["studies"]):
        if name not in known:
            raise InputError(
                f"config key studies[{i}]: unknown study {name!r}; expected one of: {', '.join(known)}"
            )
    training_keys = {f.name for f in fields(TrainSettings)} | set(config["training"])
    for study, entry in zoo.items():
        key = f"zoo.studies.{study}"
        if study in BUILTIN_STUDIES:
            raise InputError(f"config key {key}: {study!r} is a built-in study name; choose another")
        for i, name in enumerate(entry["models"]):
            if name not in ALL_MODEL_NAMES:
                raise InputError(
                    f"config key {key}.models[{i}]: unknown model {name!r}; expected one of: "
                    f"{', '.join(ALL_MODEL_NAMES)}"
                )
        for name, options in (entry.get("model_options") or {}).items():
            if name not in entry["models"]:
                raise InputError(
                    f"config key {key}.model_options.{name}: {name!r} is not one of this study's models "
                    f"({', '.join(entry['models'])})"
                )
            known_options = zoo_options(name) if name in ZOO else {}
            for option in options:
                if option not in known_options:
                    raise InputError(
                        f"config key {key}.model_options.{name}.{option}: unknown option of {name!r}; "
                        f"expected some of: {', '.join(known_options) or '(none)'}"
                    )
        overrides = [("training", entry.get("training") or {})]
        for name, settings in (entry.get("model_training") or {}).items():
            if name not in entry["models"]:
                raise InputError(
                    f"config key {key}.model_training.{name}: {name!r} is not one of this study's models "
                    f"({', '.join(entry['models'])})"
                )
            overrides.append((f"model_training.{name}", settings))
        for where, settings in overrides:
            for name in settings:
                if name not in training_keys:
                    raise InputError(
                        f"config key {key}.{where}.{name}: unknown training setting; expected one of: "
                        f"{', '.join(sorted(training_keys))}"
                    )


def check_jaspar_ids(config: dict[str, Any]) -> None:
    """Every ``synthetic.motif_ids`` entry must exist in the configured JASPAR release."""
    from .jaspar import fetch_motifs, select_motifs

    j = config["jaspar"]
    motifs = fetch_motifs(j["release"], j["collection"], j["tax_group"], j["all_versions"])
    select_motifs(motifs, config["synthetic"]["motif_ids"], "config key synthetic.motif_ids")
