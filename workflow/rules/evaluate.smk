# Test-set evaluation: per-task AU-ROC, AU-PR (trapezoid and average precision), recall at 10% FDR for
# binary tasks; Pearson, Spearman and MSE for regression. Studies gather their runs into metrics.tsv.


rule evaluate_model:
    input:
        dataset_files,
        model=f"{ANY_RUN}/model.pt",
        settings=f"{ANY_RUN}/settings.json",
    output:
        metrics=f"{ANY_RUN}/test_metrics.tsv",
        predictions=f"{ANY_RUN}/test_predictions.npy",
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


rule summarize_study:
    input:
        tables=lambda wc: study_runs(wc.study, "test_metrics.tsv"),
    output:
        tsv=report(
            f"{ZOO_OUT}/{{study}}/metrics.tsv",
            caption="../report/study.rst",
            category="Model zoo",
            subcategory="{study}",
        ),
    log:
        f"{ZOO_OUT}/{{study}}/logs/summarize_study.log",
    conda:
        "../../envs/seqcnn.yaml"
    script:
        "../scripts/summarize_study.py"
