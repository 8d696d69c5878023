# Label datasets from assay files: Basset-style peak matrices, DeepSTARR activity, DECODE classification,
# and peak windows with accessibility tracks. Each writes results/datasets/{dataset}/dataset/.


rule build_peak_labels:
    input:
        unpack(lambda wc: layout.dataset_genome_files(config, wc.dataset)),
        files=lambda wc: layout.dataset_files(config, wc.dataset),
    output:
        dataset=directory(f"{DATA}/dataset"),
        summary=report(
            f"{DATA}/summary.tsv",
            caption="../report/datasets.rst",
            category="Datasets",
            subcategory="{dataset}",
        ),
        windows=f"{DATA}/windows.bed",
    log:
        "results/logs/build_peak_labels/{dataset}.log",
    wildcard_constraints:
        dataset=names_of(DATASETS, "peaks"),
    conda:
        "../../envs/seqcnn.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        samples=lambda wc: DATASETS[wc.dataset]["samples"],
        settings=lambda wc: layout.dataset_settings(config, wc.dataset),
    script:
        "../scripts/build_peak_labels.py"


rule build_starr_labels:
    input:
        unpack(lambda wc: layout.dataset_genome_files(config, wc.dataset)),
        files=lambda wc: layout.dataset_files(config, wc.dataset),
    output:
        dataset=directory(f"{DATA}/dataset"),
    log:
        "results/logs/build_starr_labels/{dataset}.log",
    wildcard_constraints:
        dataset=names_of(DATASETS, "starr"),
    conda:
        "../../envs/seqcnn.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        tasks=lambda wc: DATASETS[wc.dataset]["tasks"],
        settings=lambda wc: layout.dataset_settings(config, wc.dataset),
    script:
        "../scripts/build_starr_labels.py"


rule build_decode_labels:
    input:
        unpack(lambda wc: layout.dataset_genome_files(config, wc.dataset)),
        files=lambda wc: layout.dataset_files(config, wc.dataset),
    output:
        dataset=directory(f"{DATA}/dataset"),
    log:
        "results/logs/build_decode_labels/{dataset}.log",
    wildcard_constraints:
        dataset=names_of(DATASETS, "decode"),
    conda:
        "../../envs/seqcnn.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        starr_peaks=lambda wc: DATASETS[wc.dataset]["starr_peaks"],
        accessibility_peaks=lambda wc: DATASETS[wc.dataset]["accessibility_peaks"],
        tracks=lambda wc: DATASETS[wc.dataset]["tracks"],
        settings=lambda wc: layout.dataset_settings(config, wc.dataset),
    script:
        "../scripts/build_decode_labels.py"


rule build_multimodal_labels:
    input:
        unpack(lambda wc: layout.dataset_genome_files(config, wc.dataset)),
        peaks=lambda wc: layout.dataset_dir(DATASETS[wc.dataset]["peaks"]),
        windows=lambda wc: f"results/datasets/{DATASETS[wc.dataset]['peaks']}/windows.bed",
        files=lambda wc: layout.dataset_files(config, wc.dataset),
    output:
        dataset=directory(f"{DATA}/dataset"),
    log:
        "results/logs/build_multimodal_labels/{dataset}.log",
    wildcard_constraints:
        dataset=names_of(DATASETS, "multimodal"),
    conda:
        "../../envs/seqcnn.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        tracks=lambda wc: DATASETS[wc.dataset]["tracks"],
        settings=lambda wc: layout.dataset_settings(config, wc.dataset),
    script:
        "../scripts/build_multimodal_labels.py"


rule summarize_datasets:
    input:
        datasets=[layout.dataset_dir(d) for d in layout.run_datasets(config)],
    output:
        tsv=report(
            "results/datasets/datasets.tsv",
            caption="../report/datasets.rst",
            category="Datasets",
        ),
    log:
        "results/logs/summarize_datasets.log",
    conda:
        "../../envs/seqcnn.yaml"
    params:
        names=layout.run_datasets(config),
    script:
        "../scripts/summarize_datasets.py"


rule plot_dataset:
    input:
        dataset=f"{DATA}/dataset",
    output:
        png=report(
            f"{DATA}/summary.png",
            caption="../report/datasets.rst",
            category="Datasets",
            subcategory="{dataset}",
        ),
    log:
        "results/logs/plot_dataset/{dataset}.log",
    conda:
        "../../envs/seqcnn.yaml"
    script:
        "../scripts/plot_dataset.py"
