# Shared helpers: config validation (before any job runs), wildcards, and the package's layout of paths.
#
# Things a user names are wildcards with one path shape each (seqcnn.layout.PATHS):
#   resources/toy/{toy}/                 a generated toy genome with planted truth
#   resources/genomes/{genome}/          a fetched, filtered and indexed reference (genome.fa)
#   results/datasets/{dataset}/          a dataset (dataset/, summary.tsv, summary.png)
#   results/{study}/runs/{model}/trial{trial}/               one training run
#   results/{study}/motifs/{model}/trial{trial}/layer{layer}/  its filters matched to JASPAR
#   results/{study}/runs/{model}/trial{trial}/test_sets/{test_set}/  it scored on a test set of its study
#   results/experiments/{experiment}/    studies' test-set scores side by side

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from seqcnn import layout
from seqcnn import resources
from seqcnn.errors import InputError
from seqcnn.config import complete_config

# config/config.yaml with the --configfile and --config values merged over it, checked and completed.
try:
    complete_config(config, workflow.basedir)
except InputError as exc:
    sys.exit(f"Config error: {exc}")

TOYS, GENOMES = config["toys"], config["genomes"]
DATASETS, STUDIES = config["datasets"], config["studies"]
EXPERIMENTS = config["experiments"]
TOY, GENOME, DATA, STUDY, RUN, ANNOT, INTERP, EXPERIMENT = (
    layout.PATHS[k]
    for k in (
        "toy",
        "genome",
        "dataset",
        "study",
        "run",
        "annotation",
        "interpretation",
        "experiment",
    )
)


def names_of(mapping, kind=None):
    """Wildcard alternatives: the names of a config map (of one dataset kind); none matches nothing."""
    names = [n for n, e in mapping.items() if kind is None or e["kind"] == kind]
    return "|".join(map(re.escape, names)) if names else "(?!)"


wildcard_constraints:
    toy=names_of(TOYS),
    genome=names_of(GENOMES),
    dataset=names_of(DATASETS),
    study=names_of(STUDIES),
    experiment=names_of(EXPERIMENTS),
    test_set=names_of({t: 0 for e in STUDIES.values() for t in e["test_sets"]}),
    model=r"[A-Za-z0-9_]+",
    trial=r"\d+",
    layer=r"\d+",


def jaspar_meme():
    j = config["jaspar"]
    kind = "all" if j["all_versions"] else "nr"
    return f"resources/jaspar/{j['release']}_{j['collection']}_{j['tax_group']}_{kind}.meme"


def stacked_studies(stacked=True):
    """The studies whose trials are (or are not) stacked into one job per model."""
    return {
        s: e for s, e in STUDIES.items() if layout.stacks_trials(config, s) == stacked
    }


def study_dataset(wc):
    """The dataset directory a study's runs train on."""
    return layout.dataset_dir(STUDIES[wc.study]["dataset"])


def experiment_title(wc):
    """An experiment's description, or its name: the title of its summary and figure."""
    return EXPERIMENTS[wc.experiment]["description"] or wc.experiment


def study_truth(wc):
    """Where the planted motifs of a study's dataset are known (seqcnn.layout.planted_truth)."""
    return layout.planted_truth(config, STUDIES[wc.study]["dataset"])


def logo_files(wc):
    """First-layer filters of a study's logo trial."""
    trial = STUDIES[wc.study]["logo_trial"]
    layer = f"results/{wc.study}/motifs/{wc.model}/trial{trial}/layer0"
    return {"meme": f"{layer}/filters.meme", "stats": f"{layer}/stats.json"}


def published_table(wc):
    """The table a study's ``published`` value writes (table1, table2 or pearson)."""
    return layout.PUBLISHED_TABLES[STUDIES[wc.study]["published"]]


def attribution_settings(wc):
    """interpret.attributions of a study, as attribute_run's keywords."""
    part = STUDIES[wc.study]["interpret"]["attributions"]
    return {k: v for k, v in part.items() if k != "models"}


def gradcam_run(wc, file):
    """One file of the Grad-CAM calling of a study's logo trial."""
    trial = STUDIES[wc.study]["logo_trial"]
    return f"results/{wc.study}/interpret/{wc.model}/trial{trial}/gradcam/{file}"
