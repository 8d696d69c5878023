# Motif annotation: JASPAR as MEME, filter PWMs from activations, Tomtom matches (spec section 5).


rule export_jaspar_motifs:
    output:
        meme=jaspar_meme(),
    log:
        f"{OUT}/logs/export_jaspar_motifs.log",
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
        model=f"{RUN}/model.pt",
        settings=f"{RUN}/settings.json",
        meta=f"{DATASET}/meta.json",
        splits=SPLIT_FILES,
        jaspar=jaspar_meme(),
    output:
        meme=f"{ANNOT}/filters.meme",
        tomtom=f"{ANNOT}/tomtom.tsv",
        stats=f"{ANNOT}/stats.json",
    log:
        f"{OUT}/logs/match_filters_to_jaspar/{{model}}_trial{{trial}}_layer{{layer}}.log",
    benchmark:
        f"{OUT}/benchmarks/match_filters_to_jaspar/{{model}}_trial{{trial}}_layer{{layer}}.tsv"
    conda:
        "../../envs/seqcnn.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=20,
    params:
        dataset=lambda wc, input: Path(input.meta).parent,
        run_dir=lambda wc, input: Path(input.model).parent,
        layer=lambda wc: int(wc.layer),
        motifs=config["motifs"],
        device=config["training"]["device"],
    script:
        "../scripts/match_filters_to_jaspar.py"
