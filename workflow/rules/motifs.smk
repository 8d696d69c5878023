# Motif annotation: JASPAR as MEME, filter PWMs from activations, Tomtom matches (spec section 5), for
# every model of every study whose layer is a convolution over the sequence.


rule export_jaspar_motifs:
    output:
        meme=jaspar_meme(),
    log:
        "results/logs/export_jaspar_motifs.log",
    conda:
        "../../envs/seqcnn.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        jaspar=config["jaspar"],
    script:
        "../scripts/export_jaspar_motifs.py"


rule match_filters_to_jaspar:
    input:
        dataset=study_dataset,
        model=f"{RUN}/model.pt",
        settings=f"{RUN}/settings.json",
        jaspar=jaspar_meme(),
        # The toy genome's truth.json names the planted motifs (none for a real genome).
        truth=lambda wc: study_truth(wc)["truth"],
    output:
        meme=f"{ANNOT}/filters.meme",
        tomtom=f"{ANNOT}/tomtom.tsv",
        stats=f"{ANNOT}/stats.json",
    log:
        f"{STUDY}/logs/match_filters_to_jaspar/{{model}}_trial{{trial}}_layer{{layer}}.log",
    benchmark:
        f"{STUDY}/benchmarks/match_filters_to_jaspar/{{model}}_trial{{trial}}_layer{{layer}}.tsv"
    conda:
        "../../envs/seqcnn.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: resources.mem_mb(
            config, "match_filters_to_jaspar", wc, attempt
        ),
        runtime=lambda wc, attempt: resources.runtime(
            config, "match_filters_to_jaspar", wc, attempt
        ),
    params:
        run_dir=lambda wc, input: Path(input.model).parent,
        layer=lambda wc: int(wc.layer),
        relevant_ids=lambda wc: study_truth(wc)["ids"],
        motifs=config["motifs"],
    script:
        "../scripts/match_filters_to_jaspar.py"


rule summarize_filters:
    input:
        stats=lambda wc: layout.annotations(config, wc.study, "first"),
    output:
        tsv=report(
            f"{STUDY}/filters.tsv",
            caption="../report/filters.rst",
            category="Studies",
            subcategory="{study}",
        ),
    log:
        f"{STUDY}/logs/summarize_filters.log",
    conda:
        "../../envs/seqcnn.yaml"
    params:
        has_truth=lambda wc: study_truth(wc)["known"],
    script:
        "../scripts/summarize_filters.py"
