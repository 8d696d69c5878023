# Training of every model x trial (spec section 3); CUDA when present, gpu=1 requested when configured.


rule train_model:
    input:
        meta=f"{DATASET}/meta.json",
        splits=SPLIT_FILES,
    output:
        model=f"{RUN}/model.pt",
        metrics=f"{RUN}/metrics.tsv",
        settings=f"{RUN}/settings.json",
    log:
        f"{OUT}/logs/train_model/{{model}}_trial{{trial}}.log",
    benchmark:
        f"{OUT}/benchmarks/train_model/{{model}}_trial{{trial}}.tsv"
    conda:
        "../../envs/seqcnn.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=240,
        gpu=1 if config["training"]["gpu"] else 0,
    params:
        dataset=lambda wc, input: Path(input.meta).parent,
        run_dir=lambda wc, output: Path(output.model).parent,
        training=config["training"],
    script:
        "../scripts/train_model.py"
