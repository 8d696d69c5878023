# Tables and figures a reviewer reads: Table 1 beside the published values, deeper layers, logos.


rule summarize_table1:
    input:
        metrics=expand(
            f"{OUT}/runs/{{model}}/trial{{trial}}/test_metrics.tsv",
            model=MODELS,
            trial=TRIALS,
        ),
        stats=table_inputs("table1"),
    output:
        tsv=report(
            f"{OUT}/table1.tsv", caption="../report/table1.rst", category="Table 1"
        ),
        md=report(
            f"{OUT}/table1.md", caption="../report/table1.rst", category="Table 1"
        ),
    log:
        f"{OUT}/logs/summarize_table1.log",
    conda:
        "../../envs/seqcnn.yaml"
    params:
        models=MODELS,
    script:
        "../scripts/summarize_table1.py"


rule summarize_layers:
    input:
        stats=table_inputs("layers"),
    output:
        tsv=report(
            f"{OUT}/layers.tsv", caption="../report/layers.rst", category="Table 1"
        ),
    log:
        f"{OUT}/logs/summarize_layers.log",
    conda:
        "../../envs/seqcnn.yaml"
    params:
        deeper=DEEPER,
    script:
        "../scripts/summarize_layers.py"


rule plot_filter_logos:
    input:
        meme=f"{OUT}/motifs/{{model}}/trial{config['motifs']['logo_trial']}/layer0/filters.meme",
        stats=f"{OUT}/motifs/{{model}}/trial{config['motifs']['logo_trial']}/layer0/stats.json",
    output:
        png=report(
            f"{OUT}/figures/logos/{{model}}.png",
            caption="../report/logos.rst",
            category="Filter logos",
            subcategory="{model}",
        ),
    log:
        f"{OUT}/logs/plot_filter_logos/{{model}}.log",
    conda:
        "../../envs/seqcnn.yaml"
    script:
        "../scripts/plot_filter_logos.py"


rule plot_pool_size:
    input:
        table=f"{OUT}/table1.tsv",
    output:
        png=report(
            f"{OUT}/figures/relevant_match_vs_pool.png",
            caption="../report/pool_size.rst",
            category="Table 1",
        ),
    log:
        f"{OUT}/logs/plot_pool_size.log",
    conda:
        "../../envs/seqcnn.yaml"
    script:
        "../scripts/plot_pool_size.py"


rule plot_study:
    input:
        metrics=f"{ZOO_OUT}/{{study}}/metrics.tsv",
        predictions=lambda wc: study_runs(wc.study, "test_predictions.npy"),
        dataset=lambda wc: f"{DS_OUT}/{ZOO_STUDIES[wc.study]['dataset']}/dataset",
    output:
        png=report(
            f"{ZOO_OUT}/{{study}}/figures/comparison.png",
            caption="../report/study.rst",
            category="Model zoo",
            subcategory="{study}",
        ),
    log:
        f"{ZOO_OUT}/{{study}}/logs/plot_study.log",
    conda:
        "../../envs/seqcnn.yaml"
    params:
        study=lambda wc: wc.study,
        tasks=lambda wc: ZOO_STUDIES[wc.study].get("tasks"),
    script:
        "../scripts/plot_study.py"
