# Tables and figures a reader looks at: each study's comparison figure and filter logos, Koo & Eddy's
# Table 1 (or Table 2) beside the published values with its deeper layers and pool-size figure, and
# DeepSTARR's test Pearson beside the published one.


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
            f"{STUDY}/{{table}}.tsv",
            caption="../report/table1.rst",
            category="Table 1",
        ),
        md=report(
            f"{STUDY}/{{table}}.md", caption="../report/table1.rst", category="Table 1"
        ),
    log:
        f"{STUDY}/logs/summarize_{{table}}.log",
    wildcard_constraints:
        table="table1|table2",
    conda:
        "../../envs/seqcnn.yaml"
    params:
        models=lambda wc: STUDIES[wc.study]["models"],
        published=lambda wc: STUDIES[wc.study]["published"],
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
        table=lambda wc: f"results/{wc.study}/{published_table(wc)}.tsv",
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
    params:
        published=lambda wc: STUDIES[wc.study]["published"],
    script:
        "../scripts/plot_pool_size.py"


rule summarize_pearson:
    input:
        metrics=lambda wc: layout.study_runs(config, wc.study, "test_metrics.tsv"),
    output:
        tsv=report(
            f"{STUDY}/pearson.tsv",
            caption="../report/pearson.rst",
            category="Studies",
            subcategory="{study}",
        ),
        md=report(
            f"{STUDY}/pearson.md",
            caption="../report/pearson.rst",
            category="Studies",
            subcategory="{study}",
        ),
    log:
        f"{STUDY}/logs/summarize_pearson.log",
    conda:
        "../../envs/seqcnn.yaml"
    script:
        "../scripts/summarize_pearson.py"
