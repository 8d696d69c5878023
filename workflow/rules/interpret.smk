# Interpretation of trained runs (spec sections e and f): attribution maps and TF-MoDISco motifs matched to
# JASPAR, Grad-CAM core enhancers of a track model, and DeepSTARR's motif-distance cooperativity. Every
# part is a key of studies.<name>.interpret and runs on the study's logo trial.
#   results/{study}/interpret/{model}/trial{trial}/   one run's interpretation


# --- attributions and motif discovery ------------------------------------------------------------------


# --- Grad-CAM --------------------------------------------------------------------------------------------

# --- motif-distance cooperativity ------------------------------------------------------------------------
COOP = f"{layout.PATHS['interpretation']}/cooperativity"


rule measure_motif_cooperativity:
    input:
        dataset=study_dataset,
        model=f"{RUN}/model.pt",
        settings=f"{RUN}/settings.json",
        # The toy genome's truth.json gives the default motifs and the planted pairs (none: real genome).
        truth=lambda wc: study_truth(wc)["truth"],
    output:
        curves=f"{COOP}/curves.tsv",
        modes=f"{COOP}/modes.tsv",
    log:
        f"{STUDY}/logs/measure_motif_cooperativity/{{model}}_trial{{trial}}.log",
    benchmark:
        f"{STUDY}/benchmarks/measure_motif_cooperativity/{{model}}_trial{{trial}}.tsv"
    conda:
        "../../envs/seqcnn.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 3000 * attempt,
        runtime=lambda wc, attempt: 30 * attempt,
    params:
        run_dir=lambda wc, input: Path(input.model).parent,
        settings=lambda wc: layout.cooperativity_settings(config, wc.study),
    script:
        "../scripts/measure_motif_cooperativity.py"


rule summarize_cooperativity:
    input:
        modes=lambda wc: layout.cooperativity_runs(config, wc.study, "modes.tsv"),
    output:
        tsv=f"{STUDY}/cooperativity.tsv",
    log:
        f"{STUDY}/logs/summarize_cooperativity.log",
    conda:
        "../../envs/seqcnn.yaml"
    params:
        models=lambda wc: layout.cooperativity_models(STUDIES[wc.study]),
    script:
        "../scripts/summarize_cooperativity.py"


rule plot_cooperativity:
    input:
        curves=lambda wc: layout.cooperativity_file(
            config, wc.study, wc.model, "curves.tsv"
        ),
        truth=lambda wc: study_truth(wc)["truth"],
    output:
        png=f"{STUDY}/figures/cooperativity/{{model}}.png",
    log:
        f"{STUDY}/logs/plot_cooperativity/{{model}}.log",
    conda:
        "../../envs/seqcnn.yaml"
    script:
        "../scripts/plot_cooperativity.py"
