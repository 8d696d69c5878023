# Experiments: some studies' models scored side by side on named test sets (negatives, imbalance, a new
# cell type), each as a table of every trial, a summary beside chance and a figure.


rule gather_experiment:
    input:
        metrics=lambda wc: [
            r["metrics"] for r in layout.experiment_scores(config, wc.experiment)
        ],
        predictions=lambda wc: [
            r["predictions"] for r in layout.experiment_scores(config, wc.experiment)
        ],
    output:
        tsv=report(
            f"{EXPERIMENT}/metrics.tsv",
            caption="../report/experiment.rst",
            category="Experiments",
            subcategory="{experiment}",
        ),
    log:
        f"{EXPERIMENT}/logs/gather_experiment.log",
    conda:
        "../../envs/seqcnn.yaml"
    params:
        studies=lambda wc: [
            r["study"] for r in layout.experiment_scores(config, wc.experiment)
        ],
        test_sets=lambda wc: [
            r["test_set"] for r in layout.experiment_scores(config, wc.experiment)
        ],
    script:
        "../scripts/gather_scores.py"


rule summarize_experiment:
    input:
        tsv=f"{EXPERIMENT}/metrics.tsv",
    output:
        md=report(
            f"{EXPERIMENT}/summary.md",
            caption="../report/experiment.rst",
            category="Experiments",
            subcategory="{experiment}",
        ),
    log:
        f"{EXPERIMENT}/logs/summarize_experiment.log",
    conda:
        "../../envs/seqcnn.yaml"
    params:
        title=experiment_title,
    script:
        "../scripts/summarize_experiment.py"


rule plot_experiment:
    input:
        tsv=f"{EXPERIMENT}/metrics.tsv",
    output:
        png=report(
            f"{EXPERIMENT}/figures/metrics.png",
            caption="../report/experiment.rst",
            category="Experiments",
            subcategory="{experiment}",
        ),
    log:
        f"{EXPERIMENT}/logs/plot_experiment.log",
    conda:
        "../../envs/seqcnn.yaml"
    params:
        title=experiment_title,
    script:
        "../scripts/plot_experiment.py"
