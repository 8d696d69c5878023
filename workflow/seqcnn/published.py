"""Published numbers that the Koo & Eddy reproduction is compared against.

Table 1 of Koo & Eddy (2019) (synthetic dataset, mean and std over 5 trials), as quoted in
``shared/spec/koo_eddy.md`` section 7. Keys are the authors' code names; match values are fractions of
first-layer filters.
"""

from __future__ import annotations

# code name: (paper name, first-layer pool, auroc, auroc_std, jaspar, jaspar_std, relevant, relevant_std)
TABLE1: dict[str, tuple[str, int, float, float, float, float, float, float]] = {
    "cnn_1": ("CNN-1", 1, 0.972, 0.001, 0.240, 0.083, 0.007, 0.013),
    "cnn_2": ("CNN-2", 2, 0.966, 0.000, 0.240, 0.071, 0.007, 0.013),
    "cnn_4": ("CNN-4", 4, 0.955, 0.002, 0.453, 0.131, 0.127, 0.080),
    "cnn_10": ("CNN-10", 10, 0.964, 0.007, 0.987, 0.016, 0.973, 0.033),
    "cnn_25": ("CNN-25", 25, 0.973, 0.001, 0.987, 0.016, 0.980, 0.027),
    "cnn_50": ("CNN-50", 50, 0.961, 0.011, 0.933, 0.037, 0.920, 0.045),
    "cnn_100": ("CNN-100", 100, 0.958, 0.012, 0.887, 0.034, 0.880, 0.034),
    "cnn9_4": ("CNN9-4", 4, 0.954, 0.002, 0.260, 0.039, 0.033, 0.030),
    "cnn9_25": ("CNN9-25", 25, 0.958, 0.008, 0.993, 0.013, 0.980, 0.016),
    "cnn3_50": ("CNN3-50", 50, 0.648, 0.008, 0.160, 0.049, 0.000, 0.000),
    "cnn3_2": ("CNN3-2", 2, 0.968, 0.001, 0.233, 0.067, 0.000, 0.000),
    "cnn_50_2": ("CNN-50-2", 50, 0.921, 0.012, 0.913, 0.050, 0.893, 0.044),
    "cnn_2_1": ("CNN(19-1)-2", 2, 0.969, 0.002, 0.867, 0.056, 0.747, 0.096),
    "cnn_25_60": ("CNN-25 (60)", 25, 0.972, 0.001, 0.973, 0.013, 0.960, 0.023),
    "cnn_25_90": ("CNN-25 (90)", 25, 0.968, 0.001, 0.940, 0.023, 0.909, 0.028),
    "cnn_25_120": ("CNN-25 (120)", 25, 0.963, 0.001, 0.933, 0.015, 0.887, 0.025),
}

# (code name, 0-based conv layer): (jaspar, jaspar_std, relevant, relevant_std); NaN std = not given.
LAYERS: dict[tuple[str, int], tuple[float, float, float, float]] = {
    ("cnn_1", 0): (0.240, float("nan"), 0.007, float("nan")),
    ("cnn_1", 1): (0.900, 0.024, 0.847, 0.021),
    ("cnn_1_3", 0): (0.147, 0.045, 0.000, 0.000),
    ("cnn_1_3", 1): (0.192, 0.022, 0.006, 0.006),
    ("cnn_1_3", 2): (0.927, 0.020, 0.891, 0.030),
}

# Table 2 of Koo & Eddy (2019): the in vivo dataset (DeepSEA K562 ChIP-seq, 12 TFs, 1,000 bp), mean and
# std over trials, as quoted in ``shared/spec/koo_eddy.md`` section 7. Same fields as TABLE1 (the pool
# size places each model in the pool-size figure); the paper prints AU-PR here too (TABLE2_AUPR). The
# last two rows' match columns equal Table 1's in the slides the numbers come from.
TABLE2: dict[str, tuple[str, int, float, float, float, float, float, float]] = {
    "cnn_1": ("CNN-1", 1, 0.918, 0.001, 0.227, 0.068, 0.020, 0.027),
    "cnn_2": ("CNN-2", 2, 0.911, 0.003, 0.333, 0.067, 0.107, 0.057),
    "cnn_4": ("CNN-4", 4, 0.907, 0.002, 0.753, 0.045, 0.507, 0.039),
    "cnn_10": ("CNN-10", 10, 0.903, 0.006, 0.920, 0.045, 0.753, 0.034),
    "cnn_25": ("CNN-25", 25, 0.903, 0.003, 0.933, 0.030, 0.747, 0.040),
    "cnn_50": ("CNN-50", 50, 0.903, 0.003, 0.913, 0.034, 0.733, 0.063),
    "cnn_25_90": ("CNN-25 (90)", 25, 0.919, 0.001, 0.940, 0.023, 0.909, 0.028),
    "cnn_25_120": ("CNN-25 (120)", 25, 0.920, 0.002, 0.933, 0.015, 0.887, 0.025),
}
TABLE2_AUPR: dict[str, tuple[float, float]] = {
    "cnn_1": (0.626, 0.000),
    "cnn_2": (0.609, 0.006),
    "cnn_4": (0.601, 0.005),
    "cnn_10": (0.583, 0.020),
    "cnn_25": (0.580, 0.009),
    "cnn_50": (0.582, 0.009),
    "cnn_25_90": (0.628, 0.005),
    "cnn_25_120": (0.637, 0.005),
}

#: The published tables by the ``published`` value of a study: (title, rows, AU-PR per model or None).
KOO_EDDY_TABLES = {
    "koo_eddy_table1": ("Koo & Eddy (2019) Table 1 (synthetic dataset)", TABLE1, None),
    "koo_eddy_table2": (
        "Koo & Eddy (2019) Table 2 (in vivo: DeepSEA K562 ChIP-seq, 12 TFs)",
        TABLE2,
        TABLE2_AUPR,
    ),
}

# DeepSTARR (de Almeida et al. 2022): test-set Pearson correlation of the DeepSTARR model per task on the
# released split (developmental, housekeeping).
DEEPSTARR_PEARSON: dict[str, float] = {"dev": 0.68, "hk": 0.74}
