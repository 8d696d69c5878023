# Training of every model x trial of every study (spec section 3). Where it runs is an execution setting:
# the engine uses CUDA when the job sees a GPU (profiles/gpu requests one per job). By default each trial
# is a job of its own; a study with `training.stack_trials` trains all trials of a model in one job
# (seqcnn.stacked), through one rule per trial count (train_trials_<n>), since a rule's outputs are fixed.


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
    wildcard_constraints:
        study=names_of(stacked_studies(False)),
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


for n_trials in sorted({e["trials"] for e in stacked_studies().values()}):

    rule:
        name:
            f"train_trials_{n_trials}"
        input:
            dataset=study_dataset,
        output:
            model=expand(f"{RUN}/model.pt", trial=range(n_trials), allow_missing=True),
            metrics=expand(
                f"{RUN}/metrics.tsv", trial=range(n_trials), allow_missing=True
            ),
            settings=expand(
                f"{RUN}/settings.json", trial=range(n_trials), allow_missing=True
            ),
        log:
            f"{STUDY}/logs/train_model/{{model}}_trials.log",
        benchmark:
            f"{STUDY}/benchmarks/train_model/{{model}}_trials.tsv"
        wildcard_constraints:
            study=names_of(
                {s: e for s, e in stacked_studies().items() if e["trials"] == n_trials}
            ),
        conda:
            "../../envs/seqcnn.yaml"
        threads: 1
        resources:
            mem_mb=lambda wc, attempt: resources.mem_mb(
                config, "train_trials", wc, attempt
            ),
            runtime=lambda wc, attempt: resources.runtime(
                config, "train_trials", wc, attempt
            ),
        params:
            run_dirs=lambda wc, output: [Path(m).parent for m in output.model],
            trials=list(range(n_trials)),
            training=lambda wc: layout.run_settings(config, wc.study, wc.model),
        script:
            "../scripts/train_trials.py"
