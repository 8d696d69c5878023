# Koo & Eddy synthetic dataset: 12 JASPAR motifs sampled into uniform background (spec section 1).


rule simulate_synthetic_dataset:
    output:
        meta=f"{DATASET}/meta.json",
        splits=SPLIT_FILES,
        summary=report(
            f"{OUT}/synthetic/summary.tsv",
            caption="../report/synthetic_summary.rst",
            category="Synthetic dataset",
        ),
    log:
        f"{OUT}/logs/simulate_synthetic_dataset.log",
    conda:
        "../../envs/seqcnn.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        motif_ids=config["synthetic"]["motif_ids"],
        n_seqs=config["synthetic"]["n_seqs"],
        seq_len=config["synthetic"]["seq_len"],
        split_fractions=config["synthetic"]["split_fractions"],
        seed=config["synthetic"]["seed"],
        jaspar=config["jaspar"],
    script:
        "../scripts/simulate_synthetic_dataset.py"
