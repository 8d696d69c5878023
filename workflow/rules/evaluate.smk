# Test-set evaluation: per-class AU-ROC, AU-PR (trapezoid and average precision), recall at 10% FDR.


rule evaluate_model:
    input:
        model=f"{RUN}/model.pt",
        settings=f"{RUN}/settings.json",
        meta=f"{DATASET}/meta.json",
        splits=SPLIT_FILES,
    output:
        metrics=f"{RUN}/test_metrics.tsv",
    params:
        dataset=DATASET,
        run_dir=RUN,
        device=config["training"]["device"],
    log:
        f"{OUT}/logs/evaluate_model/{{model}}_trial{{trial}}.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/seqcnn.yaml"
    script:
        "../scripts/evaluate_model.py"
