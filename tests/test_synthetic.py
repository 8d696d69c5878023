"""Tests for seqcnn.synthetic: exact re-creation of Koo & Eddy's synthetic dataset.

The regression numbers are those of ``koo_eddy.md`` section 1; the labels-per-sequence counts also
match the output printed in the authors' 2018 notebook.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))

from seqcnn.datasets import SPLITS, load_meta, load_split  # noqa: E402
from seqcnn.errors import InputError  # noqa: E402
from seqcnn.jaspar import fetch_motifs, select_motifs  # noqa: E402
from seqcnn.synthetic import (  # noqa: E402
    SEQUENCES_ROW,
    _cumulative_columns,
    _sample_columns,
    build_synthetic_dataset,
    generate_koo_eddy,
    reverse_complement_pwm,
    split_sizes,
)

MOTIF_IDS = [
    "MA0151.1",
    "MA0466.2",
    "MA0477.1",
    "MA0062.2",
    "MA0496.1",
    "MA0058.3",
    "MA0052.3",
    "MA0502.1",
    "MA0079.3",
    "MA0083.3",
    "MA0137.3",
    "MA0095.2",
]
CLASSES = [
    "Arid3a",
    "CEBPB",
    "FOSL1",
    "Gabpa",
    "MAFK",
    "MAX",
    "MEF2A",
    "NFYB",
    "SP1",
    "SRF",
    "STAT1",
    "YY1",
]
TRAIN_POSITIVES = [2570, 2595, 2542, 2551, 2522, 2573, 2486, 2565, 2565, 2540, 2530, 2559]
TEST_POSITIVES = [680, 792, 760, 691, 752, 708, 735, 753, 749, 730, 755, 745]
SIZES = {"train": 17_500, "valid": 2_500, "test": 5_000}


@pytest.fixture(scope="module")
def pwms():
    return [m.probs for m in select_motifs(fetch_motifs("JASPAR2016"), MOTIF_IDS, "test")]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The full 25,000-sequence dataset, generated and written once for the module."""
    root = tmp_path_factory.mktemp("synthetic")
    out_dir, summary = root / "dataset", root / "summary.tsv"
    splits = build_synthetic_dataset(MOTIF_IDS, out_dir, summary)
    return splits, out_dir, summary


def _all(splits, field):
    return np.concatenate([getattr(splits[s], field) for s in SPLITS])


def test_labels_per_sequence_match_authors(built):
    splits, _, _ = built
    counts = Counter(_all(splits, "y").sum(axis=1).tolist())
    assert counts == {1: 13065, 2: 6719, 3: 3820, 4: 1120, 5: 276}


def test_motifs_per_sequence(built):
    splits, _, _ = built
    counts = Counter(_all(splits, "n_motifs").tolist())
    assert counts == {1: 12507, 2: 6213, 3: 4242, 4: 1283, 5: 755}


def test_split_sizes_and_shapes(built):
    splits, _, _ = built
    assert list(splits) == list(SPLITS)
    for name, part in splits.items():
        n = SIZES[name]
        assert part.X.shape == (n, 200) and part.X.dtype == np.uint8
        assert part.y.shape == (n, 12)
        assert part.n_motifs.shape == (n,)
        assert part.X.max() <= 3  # no N codes: every column is a proper distribution


def test_positives_per_class(built):
    splits, _, _ = built
    assert splits["train"].y.sum(axis=0).tolist() == TRAIN_POSITIVES
    assert splits["test"].y.sum(axis=0).tolist() == TEST_POSITIVES


def test_first_test_rows(built):
    splits, _, _ = built
    rows = [[CLASSES[i] for i in np.flatnonzero(r)] for r in splits["test"].y[:3]]
    assert rows == [["YY1"], ["CEBPB", "FOSL1", "Gabpa"], ["SP1"]]


def test_summary_table(built):
    splits, _, summary = built
    df = pd.read_csv(summary, sep="\t")
    assert list(df.columns) == ["split", "class", "positives"]
    assert len(df) == 3 * 13
    sizes = df[df["class"] == SEQUENCES_ROW].set_index("split")["positives"].to_dict()
    assert sizes == SIZES
    per_class = df[df["class"] != SEQUENCES_ROW]
    for name, expected in (("train", TRAIN_POSITIVES), ("test", TEST_POSITIVES)):
        part = per_class[per_class["split"] == name]
        assert part["class"].tolist() == CLASSES
        assert part["positives"].tolist() == expected
    valid = per_class[per_class["split"] == "valid"]["positives"].tolist()
    assert valid == splits["valid"].y.sum(axis=0).tolist()


def test_dataset_round_trips(built):
    splits, out_dir, _ = built
    meta = load_meta(out_dir)
    assert meta["classes"] == CLASSES
    assert meta["class_ids"] == MOTIF_IDS
    assert meta["seed"] == 33
    assert meta["source"] == "koo_eddy_synthetic"
    assert meta["seq_len"] == 200
    assert meta["splits"] == SIZES
    assert meta["split_fractions"] == [0.7, 0.1, 0.2]
    for name in SPLITS:
        X, y = load_split(out_dir, name)
        np.testing.assert_array_equal(X, splits[name].X)
        assert y.dtype == np.float32
        np.testing.assert_array_equal(y, splits[name].y)
        np.testing.assert_array_equal(np.load(out_dir / f"{name}.sites.npy"), splits[name].sites)


def _check_sites(part, widths):
    """Sites agree with the labels and counts, fit in the sequence and never overlap."""
    rows, classes, strands, starts = part.sites.T
    assert set(strands.tolist()) <= {0, 1}
    np.testing.assert_array_equal(np.bincount(rows, minlength=len(part.y)), part.n_motifs)
    y = np.zeros_like(part.y)
    y[rows, classes] = 1
    np.testing.assert_array_equal(y, part.y)
    ends = starts + widths[classes]
    assert starts.min() >= 0 and ends.max() <= part.X.shape[1]
    same_row = rows[1:] == rows[:-1]
    assert (starts[1:][same_row] >= ends[:-1][same_row]).all()


def _site_frequencies(splits, pwm, cls, strand):
    """Base frequencies ``(4, W)`` over every sampled site of one oriented motif."""
    windows = []
    for part in splits.values():
        rows, classes, strands, starts = part.sites.T
        keep = (classes == cls) & (strands == strand)
        cols = starts[keep, None] + np.arange(pwm.shape[1])
        windows.append(part.X[rows[keep, None], cols])
    windows = np.concatenate(windows)
    freq = np.stack([(windows == b).mean(axis=0) for b in range(4)])
    return freq, len(windows)


def test_sites_are_sampled_from_the_pwm(built, pwms):
    splits, _, _ = built
    widths = np.array([p.shape[1] for p in pwms])
    for part in splits.values():
        _check_sites(part, widths)
    for cls, pwm in enumerate(pwms):
        for strand, oriented in enumerate((pwm, reverse_complement_pwm(pwm))):
            freq, n = _site_frequencies(splits, oriented, cls, strand)
            assert n > 1500
            # Sampled, not the consensus: frequencies track the PWM (binomial s.e. < 0.013 here)...
            np.testing.assert_allclose(freq, oriented, atol=0.06)
            # ...and a base with zero probability never appears.
            assert (freq[oriented == 0] == 0).all()


def test_background_is_uniform(built, pwms):
    splits, _, _ = built
    widths = np.array([p.shape[1] for p in pwms])
    part = splits["train"]
    in_site = np.zeros(part.X.shape, dtype=bool)
    for row, cls, _, start in part.sites:
        in_site[row, start : start + widths[cls]] = True
    background = part.X[~in_site]
    assert len(background) > 2_500_000
    np.testing.assert_allclose(np.bincount(background, minlength=4) / len(background), 0.25, atol=0.005)


def test_other_seed_changes_data_not_structure(pwms):
    kwargs = {"n_seqs": 2_000, "seq_len": 200}
    a = generate_koo_eddy(pwms, seed=33, **kwargs)
    b = generate_koo_eddy(pwms, seed=7, **kwargs)
    again = generate_koo_eddy(pwms, seed=7, **kwargs)
    widths = np.array([p.shape[1] for p in pwms])
    assert {k: len(v.y) for k, v in b.items()} == {"train": 1400, "valid": 200, "test": 400}
    assert not np.array_equal(a["train"].X, b["train"].X)
    assert not np.array_equal(a["train"].y, b["train"].y)
    for name in SPLITS:
        _check_sites(b[name], widths)
        assert b[name].y.sum(axis=1).min() >= 1
        assert b[name].n_motifs.max() <= 5
        np.testing.assert_array_equal(b[name].X, again[name].X)
        np.testing.assert_array_equal(b[name].sites, again[name].sites)


def test_warmup_draws_shift_the_stream(pwms):
    a = generate_koo_eddy(pwms, n_seqs=200, n_warmup_models=10)
    b = generate_koo_eddy(pwms, n_seqs=200, n_warmup_models=0)
    assert not np.array_equal(a["train"].X, b["train"].X)


def test_reverse_complement_pwm():
    pwm = np.array(
        [
            [0.7, 0.0, 0.1],
            [0.1, 0.0, 0.2],
            [0.1, 0.2, 0.3],
            [0.1, 0.8, 0.4],
        ]
    )
    rc = reverse_complement_pwm(pwm)
    # Column 3 (A .1 C .2 G .3 T .4) reversed and complemented becomes A .4 C .3 G .2 T .1.
    np.testing.assert_array_equal(rc[:, 0], [0.4, 0.3, 0.2, 0.1])
    np.testing.assert_array_equal(rc[:, 2], [0.1, 0.1, 0.1, 0.7])
    np.testing.assert_array_equal(reverse_complement_pwm(rc), pwm)
    with pytest.raises(ValueError, match=r"\(4, W\)"):
        reverse_complement_pwm(np.ones((3, 2)))


def test_inverse_cdf_ties_and_zero_probabilities():
    uniform = _cumulative_columns(np.full((4, 6), 0.25))
    u = np.array([0.0, 0.2499, 0.25, 0.5, 0.75, 0.9999999])
    # The first base whose CDF exceeds u: u = 0.25 exactly is C, not A.
    assert _sample_columns(uniform, u).tolist() == [0, 0, 1, 2, 3, 3]
    # A and G only; the CDF stalls at the zero-probability C and T.
    gapped = _cumulative_columns(np.tile([[0.5], [0.0], [0.5], [0.0]], 3))
    assert _sample_columns(gapped, np.array([0.4999, 0.5, 0.9999999])).tolist() == [0, 2, 2]
    # A column that sums to just under 1 still yields its last possible base, never an N code.
    short = _cumulative_columns(np.array([[0.3], [0.7 - 1e-12], [0.0], [0.0]]))
    assert _sample_columns(short, np.array([1 - 1e-13])).tolist() == [1]


def test_split_sizes():
    assert split_sizes(25_000, (0.7, 0.1, 0.2)) == [17_500, 2_500, 5_000]
    sizes = split_sizes(1_001, (0.7, 0.1, 0.2))
    assert sum(sizes) == 1_001 and sizes == [701, 100, 200]


def test_unknown_motif_id_is_named(tmp_path):
    with pytest.raises(InputError, match=r"config key motif_ids.*MA9999\.1"):
        build_synthetic_dataset(["MA0151.1", "MA9999.1"], tmp_path / "d", tmp_path / "s.tsv")
    assert not (tmp_path / "d").exists() and not (tmp_path / "s.tsv").exists()


def test_duplicate_motif_id_is_rejected(tmp_path):
    with pytest.raises(InputError, match=r"config key motif_ids.*duplicate.*MA0151\.1"):
        build_synthetic_dataset(["MA0151.1", "MA0151.1"], tmp_path / "d", tmp_path / "s.tsv")


@pytest.mark.parametrize(
    "fractions",
    [(0.7, 0.1, 0.1), (0.8, 0.3, -0.1), (0.7, 0.3), (0.7, 0.3, 0.0)],
)
def test_bad_split_fractions(pwms, fractions):
    with pytest.raises(InputError, match=r"config key split_fractions.*summing to 1"):
        generate_koo_eddy(pwms, n_seqs=100, split_fractions=fractions)


def test_bad_fractions_write_nothing(tmp_path):
    with pytest.raises(InputError, match=r"config key split_fractions"):
        build_synthetic_dataset(
            MOTIF_IDS, tmp_path / "d", tmp_path / "s.tsv", split_fractions=(0.5, 0.1, 0.2)
        )
    assert not (tmp_path / "d").exists() and not (tmp_path / "s.tsv").exists()


def test_sequence_too_short(pwms):
    # Five SRF sites (16 bp) must fit: 80 bp is not enough, 81 bp is.
    with pytest.raises(InputError, match=r"config key seq_len.*more than 80"):
        generate_koo_eddy(pwms, n_seqs=100, seq_len=80)
    part = generate_koo_eddy(pwms, n_seqs=100, seq_len=81)["train"]
    assert part.X.shape == (70, 81)


def test_pwm_with_empty_column_is_rejected():
    bad = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    with pytest.raises(InputError, match="probability matrix"):
        generate_koo_eddy([bad], n_seqs=100)
