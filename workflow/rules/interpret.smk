# Interpretation of trained runs (spec sections e and f): attribution maps and TF-MoDISco motifs matched to
# JASPAR, Grad-CAM core enhancers of a track model, and DeepSTARR's motif-distance cooperativity. Every
# part is a key of studies.<name>.interpret and runs on the study's logo trial.
#   results/{study}/interpret/{model}/trial{trial}/   one run's interpretation


# --- attributions and motif discovery ------------------------------------------------------------------


rule attribute_model:
    input:
        dataset=study_dataset,
        model=f"{RUN}/model.pt",
        settings=f"{RUN}/settings.json",
    output:
        npz=f"{INTERP}/attributions.npz",
        tsv=f"{INTERP}/attributions.tsv",
    log:
        f"{STUDY}/logs/attribute_model/{{model}}_trial{{trial}}.log",
    benchmark:
        f"{STUDY}/benchmarks/attribute_model/{{model}}_trial{{trial}}.tsv"
    conda:
        "../../envs/seqcnn.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        run_dir=lambda wc, input: Path(input.model).parent,
        settings=attribution_settings,
        study=lambda wc: wc.study,
    script:
        "../scripts/attribute_model.py"


rule plot_attributions:
    input:
        # The study's logo trial, as for filter logos.
        npz=lambda wc: (
            f"results/{wc.study}/interpret/{wc.model}/"
            f"trial{STUDIES[wc.study]['logo_trial']}/attributions.npz"
        ),
        truth=lambda wc: study_truth(wc)["truth"],
        dataset=study_dataset,
    output:
        png=report(
            f"{STUDY}/figures/attributions/{{model}}.png",
            caption="../report/attributions.rst",
            category="Interpretation",
            subcategory="{study}",
        ),
    log:
        f"{STUDY}/logs/plot_attributions/{{model}}.log",
    conda:
        "../../envs/seqcnn.yaml"
    script:
        "../scripts/plot_attributions.py"


rule discover_motifs:
    input:
        npz=f"{INTERP}/attributions.npz",
        jaspar=jaspar_meme(),
        truth=lambda wc: study_truth(wc)["truth"],
    output:
        meme=f"{INTERP}/motifs/patterns.meme",
        tsv=f"{INTERP}/motifs/patterns.tsv",
    log:
        f"{STUDY}/logs/discover_motifs/{{model}}_trial{{trial}}.log",
    benchmark:
        f"{STUDY}/benchmarks/discover_motifs/{{model}}_trial{{trial}}.tsv"
    conda:
        "../../envs/seqcnn.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        out_dir=lambda wc, output: Path(output.tsv).parent,
        settings=lambda wc: STUDIES[wc.study]["interpret"]["motif_discovery"],
        tasks=lambda wc: STUDIES[wc.study]["interpret"]["attributions"]["tasks"],
        study=lambda wc: wc.study,
    script:
        "../scripts/discover_motifs.py"


rule summarize_discovered_motifs:
    input:
        tables=lambda wc: layout.discovery_runs(config, wc.study, "patterns.tsv"),
        memes=lambda wc: layout.discovery_runs(config, wc.study, "patterns.meme"),
        jaspar=jaspar_meme(),
    output:
        tsv=report(
            f"{STUDY}/motifs_discovered.tsv",
            caption="../report/motifs_discovered.rst",
            category="Interpretation",
            subcategory="{study}",
        ),
        png=report(
            f"{STUDY}/figures/motifs_discovered.png",
            caption="../report/motifs_discovered.rst",
            category="Interpretation",
            subcategory="{study}",
        ),
    log:
        f"{STUDY}/logs/summarize_discovered_motifs.log",
    conda:
        "../../envs/seqcnn.yaml"
    script:
        "../scripts/summarize_discovered_motifs.py"


# --- Grad-CAM --------------------------------------------------------------------------------------------
# DECODE's core enhancers: Grad-CAM of the last conv layer over the test windows, bins above the global mean
# of the predicted windows merged (spec section f); scored against the toy genome's planted elements.
GRADCAM = f"{layout.PATHS['interpretation']}/gradcam"


rule call_core_enhancers:
    input:
        dataset=study_dataset,
        model=f"{RUN}/model.pt",
        settings=f"{RUN}/settings.json",
        # The toy genome's truth.json locates the planted STARR-seq elements (none for a real genome).
        truth=lambda wc: study_truth(wc)["truth"],
    output:
        maps=f"{GRADCAM}/maps.npz",
        original=f"{GRADCAM}/original.bed",
        refined=f"{GRADCAM}/refined.bed",
        summary=f"{GRADCAM}/summary.tsv",
    log:
        f"{STUDY}/logs/call_core_enhancers/{{model}}_trial{{trial}}.log",
    benchmark:
        f"{STUDY}/benchmarks/call_core_enhancers/{{model}}_trial{{trial}}.tsv"
    conda:
        "../../envs/seqcnn.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        run_dir=lambda wc, input: Path(input.model).parent,
        # The figure's and the target list's keys are left out, so changing them reruns no calling.
        gradcam=lambda wc: {
            k: v
            for k, v in STUDIES[wc.study]["interpret"]["gradcam"].items()
            if k not in ("models", "examples")
        },
    script:
        "../scripts/call_core_enhancers.py"


rule plot_gradcam:
    input:
        maps=lambda wc: gradcam_run(wc, "maps.npz"),
        refined=lambda wc: gradcam_run(wc, "refined.bed"),
        truth=lambda wc: study_truth(wc)["truth"],
    output:
        png=report(
            f"{STUDY}/figures/gradcam/{{model}}.png",
            caption="../report/gradcam.rst",
            category="Grad-CAM",
            subcategory="{study}",
        ),
    log:
        f"{STUDY}/logs/plot_gradcam/{{model}}.log",
    conda:
        "../../envs/seqcnn.yaml"
    params:
        examples=lambda wc: STUDIES[wc.study]["interpret"]["gradcam"]["examples"],
    script:
        "../scripts/plot_gradcam.py"


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
