# Labels from assay files: Basset-style peak matrices, DeepSTARR activity, DECODE classification.


rule build_peak_labels:
    input:
        samples=DATASETS["peaks"]["samples"],
        fasta=genome_fasta(),
        blacklist=GENOME["blacklist"],
    output:
        dataset=directory(f"{DS_OUT}/peaks/dataset"),
        summary=report(
            f"{DS_OUT}/peaks/summary.tsv",
            caption="../report/datasets.rst",
            category="Datasets",
        ),
        windows=f"{DS_OUT}/peaks/windows.bed",
    log:
        f"{DS_OUT}/logs/build_peak_labels.log",
    conda:
        "../../envs/seqcnn.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        peaks=DATASETS["peaks"],
        splits=DATASETS["splits"],
        aliases=GENOME.get("aliases") or {},
    script:
        "../scripts/build_peak_labels.py"


rule build_starr_labels:
    input:
        fasta=genome_fasta(),
        blacklist=GENOME["blacklist"],
        tracks=starr_inputs(),
    output:
        dataset=directory(f"{DS_OUT}/starr/dataset"),
    log:
        f"{DS_OUT}/logs/build_starr_labels.log",
    conda:
        "../../envs/seqcnn.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        starr=DATASETS["starr"],
        splits=DATASETS["splits"],
        aliases=GENOME.get("aliases") or {},
    script:
        "../scripts/build_starr_labels.py"


rule build_decode_labels:
    input:
        fasta=genome_fasta(),
        blacklist=GENOME["blacklist"],
        tracks=decode_inputs(),
    output:
        dataset=directory(f"{DS_OUT}/decode/dataset"),
    log:
        f"{DS_OUT}/logs/build_decode_labels.log",
    conda:
        "../../envs/seqcnn.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        decode=DATASETS["decode"],
        splits=DATASETS["splits"],
        aliases=GENOME.get("aliases") or {},
    script:
        "../scripts/build_decode_labels.py"


rule build_multimodal_labels:
    input:
        peaks=f"{DS_OUT}/peaks/dataset",
        windows=f"{DS_OUT}/peaks/windows.bed",
        fasta=genome_fasta(),
        tracks=multimodal_inputs(),
    output:
        dataset=directory(f"{DS_OUT}/multimodal/dataset"),
    log:
        f"{DS_OUT}/logs/build_multimodal_labels.log",
    conda:
        "../../envs/seqcnn.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        multimodal=DATASETS["multimodal"],
        aliases=GENOME.get("aliases") or {},
    script:
        "../scripts/build_multimodal_labels.py"


rule summarize_datasets:
    input:
        datasets=[f"{DS_OUT}/{kind}/dataset" for kind in DATASET_KINDS],
    output:
        tsv=report(
            f"{DS_OUT}/datasets.tsv",
            caption="../report/datasets.rst",
            category="Datasets",
        ),
    log:
        f"{DS_OUT}/logs/summarize_datasets.log",
    conda:
        "../../envs/seqcnn.yaml"
    params:
        names=DATASET_KINDS,
    script:
        "../scripts/summarize_datasets.py"


rule plot_dataset:
    input:
        dataset=f"{DS_OUT}/{{kind}}/dataset",
    output:
        png=report(
            f"{DS_OUT}/figures/{{kind}}.png",
            caption="../report/datasets.rst",
            category="Datasets",
        ),
    log:
        f"{DS_OUT}/logs/plot_dataset/{{kind}}.log",
    conda:
        "../../envs/seqcnn.yaml"
    script:
        "../scripts/plot_dataset.py"
