# Shared helpers: config validation (before any job runs), paths and target lists.

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from seqcnn.config import check_config
from seqcnn.errors import InputError

try:
    check_config(config, Path(workflow.basedir) / "workflow/schemas/config.schema.yaml")
except InputError as exc:
    sys.exit(f"Config error: {exc}")

OUT = config["outdir"]
DATASET = f"{OUT}/synthetic/dataset"
RUN = f"{OUT}/runs/{{model}}/trial{{trial}}"  # Koo & Eddy runs
# Any run: {root} is the Koo & Eddy outdir or a label dataset's folder (see dataset_dir).
ANY_RUN = "{root}/runs/{model}/trial{trial}"
ANNOT = f"{OUT}/motifs/{{model}}/trial{{trial}}/layer{{layer}}"
SPLIT_FILES = [
    f"{DATASET}/{split}.{part}.npy"
    for split in ("train", "valid", "test")
    for part in ("x", "y")
]
TRIALS = list(range(config["trials"]))
MODELS = list(config["models"])
DEEPER = {d["model"]: list(d["layers"]) for d in config.get("deeper_layers") or []}
TRAINED_MODELS = MODELS + [m for m in DEEPER if m not in MODELS]


def jaspar_meme():
    j = config["jaspar"]
    kind = "all" if j["all_versions"] else "nr"
    return f"resources/jaspar/{j['release']}_{j['collection']}_{j['tax_group']}_{kind}.meme"


def table_inputs(kind):
    """Per-trial files feeding table1 (layer 0 of every model) or layers.tsv (deeper layers)."""
    if kind == "table1":
        pairs = [(m, 0) for m in MODELS]
    else:
        pairs = [(m, layer) for m, layers in DEEPER.items() for layer in layers]
    return [
        f"{OUT}/motifs/{m}/trial{t}/layer{layer}/stats.json"
        for m, layer in pairs
        for t in TRIALS
    ]


def koo_eddy_targets():
    targets = [
        f"{OUT}/synthetic/summary.tsv",
        f"{OUT}/table1.tsv",
        f"{OUT}/table1.md",
        f"{OUT}/figures/relevant_match_vs_pool.png",
    ]
    targets += [f"{OUT}/figures/logos/{m}.png" for m in MODELS]
    if DEEPER:
        targets.append(f"{OUT}/layers.tsv")
    return targets


# --- Genome, toy genome and label datasets (study "toy_datasets") ---

TOY = config["toy"]["outdir"]
GENOME = config["genome"]
DATASETS = config["datasets"]
DS_OUT = DATASETS["outdir"]
DATASET_KINDS = ["peaks", "starr", "decode", "multimodal"]


def _from_toy(path):
    """Files the toy genome writes are produced by build_toy_genome: depend on its truth file."""
    return f"{TOY}/truth.json" if str(path).startswith(f"{TOY}/") else path


def genome_local_source():
    source = str(GENOME["source"])
    return [] if "://" in source else [source]


def genome_fasta():
    return f"resources/genome/{GENOME['name']}.fa"


def starr_inputs():
    paths = [
        t[k] for t in DATASETS["starr"]["tasks"] for k in ("rna", "input", "peaks")
    ]
    return sorted({_from_toy(p) for p in paths})


def decode_inputs():
    d = DATASETS["decode"]
    paths = [*d["starr_peaks"], *d["accessibility_peaks"], *d["tracks"].values()]
    return sorted({_from_toy(p) for p in paths})


def multimodal_inputs():
    return sorted({_from_toy(p) for p in DATASETS["multimodal"]["tracks"].values()})


# --- The model zoo: one study = one dataset x several models (results/<study>/) ---

ZOO = config["zoo"]
ZOO_OUT = ZOO["outdir"]
ZOO_STUDIES = ZOO["studies"]
ACTIVE_STUDIES = [s for s in config["studies"] if s in ZOO_STUDIES]
STUDY_OF_ROOT = {f"{ZOO_OUT}/{s}": s for s in ZOO_STUDIES}


def study_runs(study, file):
    entry = ZOO_STUDIES[study]
    return [
        f"{ZOO_OUT}/{study}/runs/{m}/trial{t}/{file}"
        for m in entry["models"]
        for t in range(entry.get("trials", 1))
    ]


def study_targets(study):
    return [
        f"{ZOO_OUT}/{study}/metrics.tsv",
        f"{ZOO_OUT}/{study}/figures/comparison.png",
    ]


def run_params(wc):
    """Keyword arguments of seqcnn.train.train_model for a run under {root}."""
    training = {k: v for k, v in config["training"].items() if k != "gpu"}
    study = STUDY_OF_ROOT.get(wc.root)
    if study is None:
        return training
    entry = ZOO_STUDIES[study]
    return {
        **training,
        **(entry.get("training") or {}),
        **(entry.get("model_training") or {}).get(wc.model, {}),
        "tasks": entry.get("tasks"),
        "crop": entry.get("crop"),
        "model_options": (entry.get("model_options") or {}).get(wc.model, {}),
    }


def all_targets():
    targets = []
    if "koo_eddy" in config["studies"]:
        targets += koo_eddy_targets()
    if "toy_datasets" in config["studies"]:
        targets.append(f"{DS_OUT}/datasets.tsv")
        targets += [f"{DS_OUT}/figures/{kind}.png" for kind in DATASET_KINDS]
        targets += [
            f"{DS_OUT}/peaks/runs/{m}/trial{t}/test_metrics.tsv"
            for m in PEAK_MODELS
            for t in range(DATASETS["peaks"].get("trials", 1))
        ]
    for study in ACTIVE_STUDIES:
        targets += study_targets(study)
    return targets


PEAK_MODELS = list(DATASETS["peaks"].get("models") or [])
RUN_ROOTS = [OUT, *(f"{DS_OUT}/{kind}" for kind in DATASET_KINDS), *STUDY_OF_ROOT]


wildcard_constraints:
    root="|".join(re.escape(r) for r in RUN_ROOTS),
    model=r"[A-Za-z0-9_]+",
    study="|".join(re.escape(s) for s in ZOO_STUDIES) or "no-study",
    trial=r"\d+",


def dataset_dir(wc):
    """Dataset a run under {root} trains on: the synthetic one, a study's, or the one in {root}."""
    if wc.root == OUT:
        return DATASET
    if wc.root in STUDY_OF_ROOT:
        return f"{DS_OUT}/{ZOO_STUDIES[STUDY_OF_ROOT[wc.root]]['dataset']}/dataset"
    return f"{wc.root}/dataset"


def dataset_files(wc):
    if wc.root == OUT:
        return [f"{DATASET}/meta.json", *SPLIT_FILES]
    return [dataset_dir(wc)]
