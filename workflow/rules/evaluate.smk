# Test-set evaluation: per-class AU-ROC, AU-PR (trapezoid and average precision), recall at 10% FDR.


rule evaluate_model:
    input:
        model=f"{RUN}/model.pt",
        settings=f"{RUN}/settings.json",
        meta=f"{DATASET}/meta.json",
        splits=SPLIT_FILES,
    output:
        metrics=f"{RUN}/test_metrics.tsv",
    log:
        f"{OUT}/logs/evaluate_model/{{model}}_trial{{trial}}.log",
    conda:
        "../../envs/seqcnn.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        dataset=lambda wc, input: Path(input.meta).parent,
        run_dir=lambda wc, input: Path(input.model).parent,
        device=config["training"]["device"],
    script:
        "../scripts/evaluate_model.py"
