# Interpretation of trained runs (spec sections e and f): attribution maps and TF-MoDISco motifs matched to
# JASPAR, Grad-CAM core enhancers of a track model, and DeepSTARR's motif-distance cooperativity. Every
# part is a key of studies.<name>.interpret and runs on the study's logo trial.
#   results/{study}/interpret/{model}/trial{trial}/   one run's interpretation


# --- attributions and motif discovery ------------------------------------------------------------------


# --- Grad-CAM --------------------------------------------------------------------------------------------

# --- motif-distance cooperativity ------------------------------------------------------------------------
