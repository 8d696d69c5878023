# Test-set evaluation: per-task AU-ROC, AU-PR (trapezoid and average precision), recall at 10% FDR for
# binary tasks; Pearson, Spearman and MSE for regression. Each study gathers its runs into metrics.tsv.


rule evaluate_model:
    input:
        dataset=study_dataset,
        model=f"{RUN}/model.pt",
        settings=f"{RUN}/settings.json",
    output:
        metrics=f"{RUN}/test_metrics.tsv",
        predictions=f"{RUN}/test_predictions.npy",
    log:
        f"{STUDY}/logs/evaluate_model/{{model}}_trial{{trial}}.log",
    benchmark:
        f"{STUDY}/benchmarks/evaluate_model/{{model}}_trial{{trial}}.tsv"
    conda:
        "../../envs/seqcnn.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: resources.mem_mb(
            config, "evaluate_model", wc, attempt
        ),
        runtime=lambda wc, attempt: resources.runtime(
            config, "evaluate_model", wc, attempt
        ),
    params:
        run_dir=lambda wc, input: Path(input.model).parent,
        test_set=None,
    script:
        "../scripts/evaluate_model.py"


rule summarize_study:
    input:
        tables=lambda wc: layout.study_runs(config, wc.study, "test_metrics.tsv"),
    output:
        tsv=report(
            f"{STUDY}/metrics.tsv",
            caption="../report/study.rst",
            category="Studies",
            subcategory="{study}",
        ),
    log:
        f"{STUDY}/logs/summarize_study.log",
    conda:
        "../../envs/seqcnn.yaml"
    script:
        "../scripts/summarize_study.py"


rule evaluate_test_set:
    input:
        dataset=lambda wc: layout.dataset_dir(
            STUDIES[wc.study]["test_sets"][wc.test_set]
        ),
        # The run's own dataset sizes the job (seqcnn.resources) beside the test set it scores.
        trained_on=study_dataset,
        model=f"{RUN}/model.pt",
        settings=f"{RUN}/settings.json",
    output:
        metrics=f"{RUN}/test_sets/{{test_set}}/test_metrics.tsv",
        predictions=f"{RUN}/test_sets/{{test_set}}/test_predictions.npy",
    log:
        f"{STUDY}/logs/evaluate_test_set/{{model}}_trial{{trial}}_{{test_set}}.log",
    conda:
        "../../envs/seqcnn.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: resources.mem_mb(
            config, "evaluate_test_set", wc, attempt
        ),
        runtime=lambda wc, attempt: resources.runtime(
            config, "evaluate_test_set", wc, attempt
        ),
    params:
        run_dir=lambda wc, input: Path(input.model).parent,
        test_set=lambda wc: wc.test_set,
    script:
        "../scripts/evaluate_model.py"


rule summarize_test_sets:
    input:
        metrics=lambda wc: [r["metrics"] for r in layout.study_scores(config, wc.study)],
        predictions=lambda wc: [
            r["predictions"] for r in layout.study_scores(config, wc.study)
        ],
    output:
        tsv=report(
            f"{STUDY}/test_sets.tsv",
            caption="../report/test_sets.rst",
            category="Studies",
            subcategory="{study}",
        ),
    log:
        f"{STUDY}/logs/summarize_test_sets.log",
    conda:
        "../../envs/seqcnn.yaml"
    params:
        studies=lambda wc: [r["study"] for r in layout.study_scores(config, wc.study)],
        test_sets=lambda wc: [
            r["test_set"] for r in layout.study_scores(config, wc.study)
        ],
    script:
        "../scripts/gather_scores.py"
