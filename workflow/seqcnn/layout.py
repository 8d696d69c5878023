"""Where each named thing of a validated config lives, and what each step of it reads.

Every thing a user names has one path shape (:data:`PATHS`), so that each rule is written once for every
genome, dataset and study. The functions here derive, from a config completed by
:func:`seqcnn.config.check_config`, the files a dataset is built from, the settings its builder takes,
the settings of one training run, where a dataset's planted truth is known, and what a study writes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .config import (
    annotated_models,
    attribution_models,
    cooperativity_models,
    dataset_genome,
    gradcam_models,
    run_experiments,
    run_studies,
    toy_of_path,
)
from .errors import InputError
from .labels import read_sample_sheet
from .released import RELEASED_KINDS, released_files

#: One path shape per named thing (wildcards in braces).
PATHS = {
    "toy": "resources/toy/{toy}",
    "genome": "resources/genomes/{genome}",
    "dataset": "results/datasets/{dataset}",
    "study": "results/{study}",
    "run": "results/{study}/runs/{model}/trial{trial}",
    "annotation": "results/{study}/motifs/{model}/trial{trial}/layer{layer}",
    "interpretation": "results/{study}/interpret/{model}/trial{trial}",
    "experiment": "results/experiments/{experiment}",
}
#: What the toy genome rule declares; a toy's other files (peaks/, tracks/, truth/) come with truth.json.
TOY_OUTPUTS = ("genome.fa", "samples.tsv", "tracks.tsv", "blacklist.bed", "truth.json")
#: Dataset keys that name inputs or structure rather than settings of the builder.
STRUCTURE_KEYS = ("kind", "genome", "samples", "tracks", "starr_peaks", "accessibility_peaks", "peaks")

Config = Mapping[str, Any]


def from_toy(path: str | os.PathLike) -> str:
    """The file a rule depends on for ``path``: itself, or the toy's ``truth.json`` (written last) for a
    toy file that no rule declares."""
    toy = toy_of_path(path)
    if toy is None or Path(path).as_posix() in [f"resources/toy/{toy}/{f}" for f in TOY_OUTPUTS]:
        return str(path)
    return f"resources/toy/{toy}/truth.json"


def genome_fasta(genome: str) -> str:
    return f"resources/genomes/{genome}/genome.fa"


def dataset_dir(dataset: str) -> str:
    return f"results/datasets/{dataset}/dataset"


def genome_source(config: Config, genome: str) -> list[str]:
    """A local FASTA (or the toy build writing it) is an input of the download; a URL is not."""
    source = str(config["genomes"][genome]["source"])
    return [] if "://" in source else [from_toy(source)]


def dataset_genome_files(config: Config, dataset: str) -> dict[str, str]:
    """FASTA, its index and (when configured) the blacklist of the genome a dataset is built from."""
    genome = dataset_genome(config, dataset)
    fasta = genome_fasta(genome)
    files = {"fasta": fasta, "fai": f"{fasta}.fai"}
    blacklist = config["genomes"][genome]["blacklist"]
    if blacklist:
        files["blacklist"] = from_toy(blacklist)
    return files


def dataset_files(config: Config, dataset: str) -> list[str]:
    """Every assay file a dataset's builder reads (a toy's files through its build)."""
    entry = config["datasets"][dataset]
    kind = entry["kind"]
    paths: list[str] = []
    if kind == "peaks":
        paths += [entry["samples"], *sheet_files(entry["samples"])]
    elif kind == "starr":
        paths += [t[k] for t in entry["tasks"] for k in ("rna", "input", "peaks") if k in t]
    elif kind == "decode":
        paths += [*entry["starr_peaks"], *entry["accessibility_peaks"], *entry["tracks"].values()]
    elif kind == "multimodal":
        paths += list(entry["tracks"].values())
    elif kind in RELEASED_KINDS:
        paths += list(released_files(entry).values())
    return sorted({from_toy(p) for p in paths})


def sheet_files(samples: str | os.PathLike) -> list[str]:
    """The peak files a user's sample sheet lists, so that editing one reruns what it feeds.

    A toy genome's sheet lists files of its own build (tracked through it); a sheet that is missing or
    unreadable lists nothing here, and the build step names what is wrong with it.
    """
    if toy_of_path(samples) is not None or not Path(samples).is_file():
        return []
    try:
        return [str(p) for p in read_sample_sheet(samples)["path"]]
    except InputError:
        return []


def dataset_settings(config: Config, dataset: str) -> dict[str, Any]:
    """A dataset's settings as its builder's keyword arguments, with its genome's chromosome aliases."""
    entry = config["datasets"][dataset]
    skip = set(STRUCTURE_KEYS) | ({"tasks"} if entry["kind"] == "starr" else set())
    settings = {k: v for k, v in entry.items() if k not in skip}
    genome = dataset_genome(config, dataset)
    if genome is not None:
        settings["aliases"] = config["genomes"][genome]["aliases"]
    return settings


def planted_truth(config: Config, dataset: str) -> dict[str, Any]:
    """Where a dataset's planted motifs are known.

    Returns
    -------
    dict
        ``ids``: JASPAR IDs given in the config (a synthetic dataset), else None; ``truth``: the
        ``truth.json`` of the toy genome the dataset was built from (empty for a real genome);
        ``known``: whether the dataset has planted truth at all.
    """
    entry = config["datasets"][dataset]
    if entry["kind"] == "synthetic":
        return {"ids": entry["relevant_ids"] or entry["motif_ids"], "truth": [], "known": True}
    if dataset_genome(config, dataset) is None:
        # Released data: relevant motifs only where the config names them (Koo & Eddy's in vivo TFs).
        ids = entry.get("relevant_ids")
        return {"ids": ids, "truth": [], "known": bool(ids)}
    toy = toy_of_path(config["genomes"][dataset_genome(config, dataset)]["source"])
    truth = [f"resources/toy/{toy}/truth.json"] if toy else []
    return {"ids": None, "truth": truth, "known": bool(truth)}


def run_settings(config: Config, study: str, model: str) -> dict[str, Any]:
    """Keyword arguments of :func:`seqcnn.train.train_model` for one run: the top-level training
    settings, the study's overrides, the model's, and what the study trains on."""
    entry = config["studies"][study]
    settings = {**config["training"], **entry["training"], **entry["model_training"].get(model, {})}
    settings.pop("stack_trials", None)  # how jobs are formed (stacks_trials), not a setting of the run
    return {
        **settings,
        "tasks": entry["tasks"],
        "crop": entry["crop"],
        "model_options": entry["model_options"].get(model, {}),
    }


def stacks_trials(config: Config, study: str) -> bool:
    """Whether the study trains each model's trials together in one job (``training.stack_trials``,
    overridden by the study's; a single trial has nothing to stack)."""
    entry = config["studies"][study]
    stack = {**config["training"], **entry["training"]}.get("stack_trials", False)
    return bool(stack) and entry["trials"] > 1


def study_runs(config: Config, study: str, file: str) -> list[str]:
    """One file of every run of a study's ``models``, all trials."""
    entry = config["studies"][study]
    return [
        f"results/{study}/runs/{m}/trial{t}/{file}" for m in entry["models"] for t in range(entry["trials"])
    ]


def annotations(config: Config, study: str, layers: str = "first") -> list[str]:
    """``stats.json`` of every trial of the study's annotated first layers (``first``), of Table 1's
    models (``table1``) or of its deeper layers (``deeper``)."""
    entry = config["studies"][study]
    if layers == "first":
        pairs = [(m, 0) for m in annotated_models(entry)]
    elif layers == "table1":
        pairs = [(m, 0) for m in entry["models"]]
    else:
        pairs = [(d["model"], layer) for d in entry["deeper_layers"] for layer in d["layers"]]
    return [
        f"results/{study}/motifs/{m}/trial{t}/layer{layer}/stats.json"
        for m, layer in pairs
        for t in range(entry["trials"])
    ]


def study_targets(config: Config, study: str) -> list[str]:
    """What a study writes: its dataset's figure, metrics, comparison figure, filter table and logos
    (when it has annotated models) and, for a ``published`` table, that table beside the paper's values
    (Table 1 or 2 with the pool-size figure, or DeepSTARR's test Pearson)."""
    entry = config["studies"][study]
    out = f"results/{study}"
    targets = [
        f"results/datasets/{entry['dataset']}/summary.png",
        f"{out}/metrics.tsv",
        f"{out}/figures/comparison.png",
    ]
    targets.append(f"{out}/filters.tsv")
    targets += [f"{out}/figures/logos/{m}.png" for m in annotated_models(entry)]
    table = PUBLISHED_TABLES.get(entry["published"])
    if table is not None:
        targets += [f"{out}/{table}.tsv", f"{out}/{table}.md"]
        if table != "pearson":
            targets.append(f"{out}/figures/relevant_match_vs_pool.png")
    if entry["published"] == "koo_eddy_table1" and entry["deeper_layers"]:
        targets.append(f"{out}/layers.tsv")
    if entry["test_sets"]:
        targets.append(f"{out}/test_sets.tsv")
    return targets + interpretation_targets(config, study)


def interpretation_targets(config: Config, study: str) -> list[str]:
    """What a study's ``interpret`` parts write (none when every part is off)."""
    entry = config["studies"][study]
    parts = entry["interpret"]
    trial = entry["logo_trial"]
    out = f"results/{study}"
    targets: list[str] = []
    for m in attribution_models(config, study):
        targets.append(f"{out}/interpret/{m}/trial{trial}/attributions.tsv")
        targets.append(f"{out}/figures/attributions/{m}.png")
    if parts["motif_discovery"] is not None:
        targets += [f"{out}/motifs_discovered.tsv", f"{out}/figures/motifs_discovered.png"]
    if parts.get("gradcam") is not None:
        run = PATHS["interpretation"].format(study=study, model="{model}", trial=trial)
        for model in gradcam_models(entry):
            targets += [f"{run.format(model=model)}/gradcam/{f}" for f in GRADCAM_FILES]
            targets.append(f"results/{study}/figures/gradcam/{model}.png")
    if parts.get("cooperativity") is not None:
        models = cooperativity_models(entry)
        targets += [f"results/{study}/cooperativity.tsv"]
        targets += [f"results/{study}/figures/cooperativity/{m}.png" for m in models]
    return targets


def discovery_runs(config: Config, study: str, file: str) -> list[str]:
    """One motif-discovery file of every model ``interpret.attributions`` explains (the logo trial)."""
    trial = config["studies"][study]["logo_trial"]
    return [
        f"results/{study}/interpret/{m}/trial{trial}/motifs/{file}" for m in attribution_models(config, study)
    ]


#: What the Grad-CAM core-enhancer calling writes for one run, under ``{interpretation}/gradcam/``.
GRADCAM_FILES = ("maps.npz", "original.bed", "refined.bed", "summary.tsv")


def cooperativity_file(config: Config, study: str, model: str, file: str) -> str:
    """One file of the cooperativity experiment of a model's logo trial."""
    trial = config["studies"][study]["logo_trial"]
    interpret = PATHS["interpretation"].format(study=study, model=model, trial=trial)
    return f"{interpret}/cooperativity/{file}"


def cooperativity_runs(config: Config, study: str, file: str) -> list[str]:
    """One file of the cooperativity experiment of every measured model's logo trial."""
    models = cooperativity_models(config["studies"][study])
    return [cooperativity_file(config, study, m, file) for m in models]


def cooperativity_settings(config: Config, study: str) -> dict[str, Any]:
    """A study's ``interpret.cooperativity`` keys as keyword arguments of
    :func:`seqcnn.cooperativity.measure_cooperativity` (``models`` says which runs, not how)."""
    part = config["studies"][study]["interpret"]["cooperativity"]
    return {k: v for k, v in part.items() if k != "models"}


#: The table each ``published`` value writes beside the paper's numbers.
PUBLISHED_TABLES = {"koo_eddy_table1": "table1", "koo_eddy_table2": "table2", "deepstarr": "pearson"}


def run_datasets(config: Config) -> list[str]:
    """Every dataset the run's studies train on, then those they are scored on (``test_sets``), then the
    peak datasets multimodal ones are built from."""
    studies = [config["studies"][s] for s in run_studies(config)]
    names = [entry["dataset"] for entry in studies]
    names += [d for entry in studies for d in entry["test_sets"].values()]
    names += [config["datasets"][n]["peaks"] for n in names if config["datasets"][n]["kind"] == "multimodal"]
    return list(dict.fromkeys(names))


def scored_runs(
    config: Config, study: str, test_sets: list[str], models: list[str] | None = None
) -> list[dict[str, str]]:
    """The scores of a study's runs (of ``models``, null = all) on each test set (``test``: the study's own
    test split): per run and test set, ``study``, ``test_set``, ``metrics`` and ``predictions`` paths."""
    entry = config["studies"][study]
    chosen = [m for m in entry["models"] if models is None or m in models]
    rows = []
    for test_set in test_sets:
        sub = "" if test_set == "test" else f"test_sets/{test_set}/"
        for m in chosen:
            for t in range(entry["trials"]):
                run = PATHS["run"].format(study=study, model=m, trial=t)
                rows.append(
                    {
                        "study": study,
                        "test_set": test_set,
                        "metrics": f"{run}/{sub}test_metrics.tsv",
                        "predictions": f"{run}/{sub}test_predictions.npy",
                    }
                )
    return rows


def study_scores(config: Config, study: str) -> list[dict[str, str]]:
    """Every run of a study on its own test split and each of its test sets."""
    return scored_runs(config, study, ["test", *config["studies"][study]["test_sets"]])


def experiment_scores(config: Config, experiment: str) -> list[dict[str, str]]:
    """Every run an experiment compares, on each of its test sets, study by study."""
    entry = config["experiments"][experiment]
    return [
        row
        for study in entry["studies"]
        for row in scored_runs(config, study, entry["test_sets"], entry["models"])
    ]


def experiment_targets(config: Config, experiment: str) -> list[str]:
    """What an experiment writes: its table (every trial), the summary beside chance, and the figure."""
    out = f"results/experiments/{experiment}"
    return [f"{out}/metrics.tsv", f"{out}/summary.md", f"{out}/figures/metrics.png"]


def all_targets(config: Config) -> list[str]:
    """What ``rule all`` builds: every target of the run's studies and experiments, and the datasets table
    with a figure of every dataset it lists."""
    targets = [t for study in run_studies(config) for t in study_targets(config, study)]
    targets += [t for e in run_experiments(config) for t in experiment_targets(config, e)]
    targets += [f"results/datasets/{d}/summary.png" for d in run_datasets(config)]
    return list(dict.fromkeys([*targets, "results/datasets/datasets.tsv"]))
