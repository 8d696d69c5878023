# Motif annotation: JASPAR as MEME, filter PWMs from activations, Tomtom matches (spec section 5).


rule export_jaspar_motifs:
    output:
        meme=jaspar_meme(),
    params:
        jaspar=config["jaspar"],
    log:
        f"{OUT}/logs/export_jaspar_motifs.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/seqcnn.yaml"
    script:
        "../scripts/export_jaspar_motifs.py"


rule match_filters_to_jaspar:
    input:
        model=f"{RUN}/model.pt",
        settings=f"{RUN}/settings.json",
        meta=f"{DATASET}/meta.json",
        splits=SPLIT_FILES,
        jaspar=jaspar_meme(),
    output:
        meme=f"{ANNOT}/filters.meme",
        tomtom=f"{ANNOT}/tomtom.tsv",
        stats=f"{ANNOT}/stats.json",
    params:
        dataset=DATASET,
        run_dir=RUN,
        layer=lambda wc: int(wc.layer),
        motifs=config["motifs"],
        device=config["training"]["device"],
    log:
        f"{OUT}/logs/match_filters_to_jaspar/{{model}}_trial{{trial}}_layer{{layer}}.log",
    benchmark:
        f"{OUT}/benchmarks/match_filters_to_jaspar/{{model}}_trial{{trial}}_layer{{layer}}.tsv"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=20,
    conda:
        "../../envs/seqcnn.yaml"
    script:
        "../scripts/match_filters_to_jaspar.py"
