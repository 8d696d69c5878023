# Shared helpers: config validation (before any job runs), the one path of each named thing, targets.
#
# Things a user names are wildcards with one path shape each:
#   resources/toy/{toy}/                     a generated toy genome with planted truth
#   resources/genomes/{genome}/genome.fa     a fetched, filtered and indexed reference
#   results/datasets/{dataset}/              a dataset (dataset/, summary.tsv, summary.png)
#   results/{study}/runs/{model}/trial{trial}/            one training run
#   results/{study}/motifs/{model}/trial{trial}/layer{layer}/   its filters matched to JASPAR

import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from seqcnn.config import (
    annotated_models,
    check_config,
    dataset_genome,
    toy_of_path,
)
from seqcnn.errors import InputError

try:
    check_config(config, Path(workflow.basedir) / "workflow/schemas/config.schema.yaml")
except InputError as exc:
    sys.exit(f"Config error: {exc}")

TOYS = config["toys"]
GENOMES = config["genomes"]
DATASETS = config["datasets"]
STUDIES = config["studies"]

TOY = "resources/toy/{toy}"
GENOME = "resources/genomes/{genome}"
DATA = "results/datasets/{dataset}"
STUDY = "results/{study}"
RUN = "results/{study}/runs/{model}/trial{trial}"
ANNOT = "results/{study}/motifs/{model}/trial{trial}/layer{layer}"


def names_of(mapping, kind=None):
    """Wildcard alternatives: the names of a config map (of one dataset kind); none matches nothing."""
    names = [n for n, e in mapping.items() if kind is None or e["kind"] == kind]
    return "|".join(names) if names else "(?!)"


wildcard_constraints:
    toy=names_of(TOYS),
    genome=names_of(GENOMES),
    dataset=names_of(DATASETS),
    study=names_of(STUDIES),
    model=r"[A-Za-z0-9_]+",
    trial=r"\d+",
    layer=r"\d+",


def jaspar_meme():
    j = config["jaspar"]
    kind = "all" if j["all_versions"] else "nr"
    return f"resources/jaspar/{j['release']}_{j['collection']}_{j['tax_group']}_{kind}.meme"


# --- Genomes and the files datasets read ---


# What build_toy_genome declares; the rest of a toy's files (peaks/, tracks/, truth/) come with its truth.json.
TOY_OUTPUTS = ("genome.fa", "samples.tsv", "tracks.tsv", "blacklist.bed", "truth.json")


def from_toy(path):
    """The file a rule depends on for ``path``: itself, or, for a toy file no rule declares, the toy's
    truth.json (written last)."""
    toy = toy_of_path(path)
    if toy is None or Path(path).as_posix() in [f"resources/toy/{toy}/{f}" for f in TOY_OUTPUTS]:
        return path
    return f"resources/toy/{toy}/truth.json"


def genome_fasta(genome):
    return f"resources/genomes/{genome}/genome.fa"


def genome_source(wc):
    """A local FASTA is the download rule's input (so the DAG links it); a URL stays a parameter."""
    source = str(GENOMES[wc.genome]["source"])
    return [] if "://" in source else [from_toy(source)]


def dataset_genome_files(wc):
    """FASTA (+ index) and blacklist of the genome a dataset is built from."""
    genome = dataset_genome(config, wc.dataset)
    files = {"fasta": genome_fasta(genome), "fai": f"{genome_fasta(genome)}.fai"}
    if GENOMES[genome]["blacklist"]:
        files["blacklist"] = from_toy(GENOMES[genome]["blacklist"])
    return files


def dataset_params(wc):
    """A dataset's settings as its builder's keyword arguments (structure keys are inputs, not settings)."""
    entry = DATASETS[wc.dataset]
    skip = {
        "kind",
        "genome",
        "samples",
        "tasks",
        "tracks",
        "starr_peaks",
        "accessibility_peaks",
        "peaks",
    }
    if entry["kind"] == "multimodal":
        skip.discard("tasks")
    settings = {k: v for k, v in entry.items() if k not in skip}
    genome = dataset_genome(config, wc.dataset)
    return {**settings, "aliases": GENOMES[genome]["aliases"]}


def dataset_files(wc):
    """Every assay file a dataset reads (toy files through their build)."""
    entry = DATASETS[wc.dataset]
    paths = []
    if entry["kind"] == "peaks":
        paths.append(entry["samples"])
    elif entry["kind"] == "starr":
        paths += [
            t[k] for t in entry["tasks"] for k in ("rna", "input", "peaks") if k in t
        ]
    elif entry["kind"] == "decode":
        paths += [
            *entry["starr_peaks"],
            *entry["accessibility_peaks"],
            *entry["tracks"].values(),
        ]
    elif entry["kind"] == "multimodal":
        paths += list(entry["tracks"].values())
    return sorted({from_toy(p) for p in paths})


def dataset_dir(dataset):
    return f"results/datasets/{dataset}/dataset"


def planted_truth(dataset):
    """Where a dataset's planted motifs are known: JASPAR IDs (synthetic) or a toy genome's truth.json."""
    entry = DATASETS[dataset]
    if entry["kind"] == "synthetic":
        return {"ids": entry["relevant_ids"] or entry["motif_ids"], "truth": []}
    genome = dataset_genome(config, dataset)
    toy = toy_of_path(GENOMES[genome]["source"])
    return {"ids": None, "truth": [f"resources/toy/{toy}/truth.json"] if toy else []}


def has_truth(dataset):
    truth = planted_truth(dataset)
    return truth["ids"] is not None or bool(truth["truth"])


# --- Studies ---


def study_dataset(wc):
    return dataset_dir(STUDIES[wc.study]["dataset"])


def trials_of(study):
    return range(STUDIES[study]["trials"])


def study_runs(study, file, models=None):
    """One file of every run of a study (its ``models``, or the given ones), all trials."""
    return [
        f"results/{study}/runs/{m}/trial{t}/{file}"
        for m in (models or STUDIES[study]["models"])
        for t in trials_of(study)
    ]


def annotations(study, pairs):
    """stats.json of every trial of each (model, layer) pair."""
    return [
        f"results/{study}/motifs/{m}/trial{t}/layer{layer}/stats.json"
        for m, layer in pairs
        for t in trials_of(study)
    ]


def first_layers(study):
    return [(m, 0) for m in annotated_models(STUDIES[study])]


def deeper_layers(study):
    return [
        (d["model"], layer)
        for d in STUDIES[study]["deeper_layers"]
        for layer in d["layers"]
    ]


def logo_files(wc):
    """First-layer filters of a study's logo trial."""
    trial = STUDIES[wc.study]["logo_trial"]
    layer = f"results/{wc.study}/motifs/{wc.model}/trial{trial}/layer0"
    return {"meme": f"{layer}/filters.meme", "stats": f"{layer}/stats.json"}


def run_params(wc):
    """Keyword arguments of seqcnn.train.train_model for one run of a study."""
    entry = STUDIES[wc.study]
    return {
        **config["training"],
        **entry["training"],
        **entry["model_training"].get(wc.model, {}),
        "tasks": entry["tasks"],
        "crop": entry["crop"],
        "model_options": entry["model_options"].get(wc.model, {}),
    }


def study_targets(study):
    entry = STUDIES[study]
    dataset = entry["dataset"]
    targets = [
        f"results/datasets/{dataset}/summary.png",
        f"results/{study}/metrics.tsv",
        f"results/{study}/figures/comparison.png",
    ]
    if annotated_models(entry):
        targets.append(f"results/{study}/filters.tsv")
        targets += [
            f"results/{study}/figures/logos/{m}.png" for m in annotated_models(entry)
        ]
    if entry["published"] == "koo_eddy_table1":
        targets += [
            f"results/{study}/table1.tsv",
            f"results/{study}/table1.md",
            f"results/{study}/figures/relevant_match_vs_pool.png",
        ]
        if entry["deeper_layers"]:
            targets.append(f"results/{study}/layers.tsv")
    return targets


def run_datasets():
    """Every dataset the run's studies train on, and the peak datasets those are built from."""
    names = [STUDIES[s]["dataset"] for s in config["run"]]
    names += [
        DATASETS[n]["peaks"] for n in names if DATASETS[n]["kind"] == "multimodal"
    ]
    return list(dict.fromkeys(names))


def all_targets():
    targets = [t for study in config["run"] for t in study_targets(study)]
    targets.append("results/datasets/datasets.tsv")
    return list(dict.fromkeys(targets))
