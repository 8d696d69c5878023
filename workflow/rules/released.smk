# Datasets converted once from a paper's released files: the DeepSEA bundle, DeepSTARR's released split and
# Basset's preprocessed HDF5 (seqcnn.released). Each writes results/datasets/{dataset}/dataset/.


rule convert_released_dataset:
    input:
        files=lambda wc: layout.dataset_files(config, wc.dataset),
    output:
        dataset=directory(f"{DATA}/dataset"),
    log:
        "results/logs/convert_released_dataset/{dataset}.log",
    benchmark:
        "results/benchmarks/convert_released_dataset/{dataset}.tsv"
    wildcard_constraints:
        dataset="|".join(
            names_of(DATASETS, kind)
            for kind in ("deepsea", "deepstarr_released", "basset_h5")
        ),
    conda:
        "../../envs/seqcnn.yaml"
    resources:
        mem_mb=2000,
        runtime=240,
    params:
        entry=lambda wc: DATASETS[wc.dataset],
    script:
        "../scripts/convert_released_dataset.py"
