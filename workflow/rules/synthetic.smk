# Koo & Eddy synthetic datasets: JASPAR motifs sampled into uniform background (spec section 1).


rule simulate_synthetic_dataset:
    output:
        dataset=directory(f"{DATA}/dataset"),
        summary=report(
            f"{DATA}/summary.tsv",
            caption="../report/synthetic_summary.rst",
            category="Datasets",
            subcategory="{dataset}",
        ),
    log:
        "results/logs/simulate_synthetic_dataset/{dataset}.log",
    wildcard_constraints:
        dataset=names_of(DATASETS, "synthetic"),
    conda:
        "../../envs/seqcnn.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        motif_ids=lambda wc: DATASETS[wc.dataset]["motif_ids"],
        settings=lambda wc: {
            k: DATASETS[wc.dataset][k]
            for k in ("n_seqs", "seq_len", "split_fractions", "seed")
        },
        jaspar=config["jaspar"],
    script:
        "../scripts/simulate_synthetic_dataset.py"
