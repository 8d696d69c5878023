# Test-set evaluation: per-class AU-ROC, AU-PR (trapezoid and average precision), recall at 10% FDR.


rule evaluate_model:
    input:
        dataset_files,
        model=f"{ANY_RUN}/model.pt",
        settings=f"{ANY_RUN}/settings.json",
    output:
        metrics=f"{ANY_RUN}/test_metrics.tsv",
    log:
        "{root}/logs/evaluate_model/{model}_trial{trial}.log",
    conda:
        "../../envs/seqcnn.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        dataset=dataset_dir,
        run_dir=lambda wc, input: Path(input.model).parent,
        device=config["training"]["device"],
    script:
        "../scripts/evaluate_model.py"
