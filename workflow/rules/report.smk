# Tables and figures a reader looks at: each study's comparison figure and filter logos, and Koo & Eddy's
# Table 1 beside the published values with its deeper layers and pool-size figure.


rule plot_study:
    input:
        metrics=f"{STUDY}/metrics.tsv",
        predictions=lambda wc: layout.study_runs(
            config, wc.study, "test_predictions.npy"
        ),
        dataset=study_dataset,
    output:
        png=report(
            f"{STUDY}/figures/comparison.png",
            caption="../report/study.rst",
            category="Studies",
            subcategory="{study}",
        ),
    log:
        f"{STUDY}/logs/plot_study.log",
    conda:
        "../../envs/seqcnn.yaml"
    params:
        study=lambda wc: wc.study,
        tasks=lambda wc: STUDIES[wc.study]["tasks"],
    script:
        "../scripts/plot_study.py"


rule plot_filter_logos:
    input:
        unpack(logo_files),
    output:
        png=report(
            f"{STUDY}/figures/logos/{{model}}.png",
            caption="../report/logos.rst",
            category="Filter logos",
            subcategory="{study}",
        ),
    log:
        f"{STUDY}/logs/plot_filter_logos/{{model}}.log",
    conda:
        "../../envs/seqcnn.yaml"
    script:
        "../scripts/plot_filter_logos.py"


rule summarize_table1:
    input:
        metrics=lambda wc: layout.study_runs(config, wc.study, "test_metrics.tsv"),
        stats=lambda wc: layout.annotations(config, wc.study, "table1"),
    output:
        tsv=report(
            f"{STUDY}/table1.tsv", caption="../report/table1.rst", category="Table 1"
        ),
        md=report(
            f"{STUDY}/table1.md", caption="../report/table1.rst", category="Table 1"
        ),
    log:
        f"{STUDY}/logs/summarize_table1.log",
    conda:
        "../../envs/seqcnn.yaml"
    params:
        models=lambda wc: STUDIES[wc.study]["models"],
    script:
        "../scripts/summarize_table1.py"


rule summarize_layers:
    input:
        stats=lambda wc: layout.annotations(config, wc.study, "deeper"),
    output:
        tsv=report(
            f"{STUDY}/layers.tsv", caption="../report/layers.rst", category="Table 1"
        ),
    log:
        f"{STUDY}/logs/summarize_layers.log",
    conda:
        "../../envs/seqcnn.yaml"
    params:
        deeper=lambda wc: {
            d["model"]: list(d["layers"]) for d in STUDIES[wc.study]["deeper_layers"]
        },
    script:
        "../scripts/summarize_layers.py"


rule plot_pool_size:
    input:
        table=f"{STUDY}/table1.tsv",
    output:
        png=report(
            f"{STUDY}/figures/relevant_match_vs_pool.png",
            caption="../report/pool_size.rst",
            category="Table 1",
        ),
    log:
        f"{STUDY}/logs/plot_pool_size.log",
    conda:
        "../../envs/seqcnn.yaml"
    script:
        "../scripts/plot_pool_size.py"
