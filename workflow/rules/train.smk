# Training of every model x trial (spec section 3); CUDA when present, gpu=1 requested when configured.


rule train_model:
    input:
        dataset_files,
    output:
        model=f"{ANY_RUN}/model.pt",
        metrics=f"{ANY_RUN}/metrics.tsv",
        settings=f"{ANY_RUN}/settings.json",
    log:
        "{root}/logs/train_model/{model}_trial{trial}.log",
    benchmark:
        "{root}/benchmarks/train_model/{model}_trial{trial}.tsv"
    conda:
        "../../envs/seqcnn.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=240,
        gpu=1 if config["training"]["gpu"] else 0,
    params:
        dataset=dataset_dir,
        run_dir=lambda wc, output: Path(output.model).parent,
        training=run_params,
    script:
        "../scripts/train_model.py"
