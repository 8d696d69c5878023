# Training of every model x trial of every study (spec section 3). Where it runs is an execution setting:
# the engine uses CUDA when the job sees a GPU (profiles/gpu requests one per job).


rule train_model:
    input:
        dataset=study_dataset,
    output:
        model=f"{RUN}/model.pt",
        metrics=f"{RUN}/metrics.tsv",
        settings=f"{RUN}/settings.json",
    log:
        f"{STUDY}/logs/train_model/{{model}}_trial{{trial}}.log",
    benchmark:
        f"{STUDY}/benchmarks/train_model/{{model}}_trial{{trial}}.tsv"
    conda:
        "../../envs/seqcnn.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: resources.mem_mb(config, "train_model", wc, attempt),
        runtime=lambda wc, attempt: resources.runtime(
            config, "train_model", wc, attempt
        ),
    params:
        run_dir=lambda wc, output: Path(output.model).parent,
        training=lambda wc: layout.run_settings(config, wc.study, wc.model),
    script:
        "../scripts/train_model.py"
