"""Tests for :mod:`seqcnn.tracks`: bigWig reading, window and bin summaries, train-only normalisation."""

from __future__ import annotations

import numpy as np
import pyBigWig
import pytest

from seqcnn.errors import InputError
from seqcnn.tracks import BigWigs, normalize_tracks, track_features, window_signal

SIZES = {"chr1": 100, "chr2": 50}


def _bigwig(path, chroms, entries):
    bw = pyBigWig.open(str(path), "w")
    bw.addHeader([(c, SIZES[c]) for c in chroms])
    for chrom, start, end, value in entries:
        bw.addEntries(chrom, [start], values=[value], span=end - start)
    bw.close()
    return path


@pytest.fixture
def signal(tmp_path):
    # chr1: 2.0 on [0, 50), no data on [50, 60), 5.0 on [60, 80), no data after.
    return _bigwig(tmp_path / "signal.bw", ["chr1", "chr2"], [("chr1", 0, 50, 2.0), ("chr1", 60, 80, 5.0)])


def test_window_and_bin_summaries(signal):
    chroms, starts = np.array(["chr1", "chr1"], dtype=object), np.array([0, 40])
    with BigWigs({"s": signal}, SIZES, None) as bws:
        np.testing.assert_allclose(window_signal(bws, "s", chroms, starts, 40, "mean"), [2.0, 3.0])
        np.testing.assert_allclose(window_signal(bws, "s", chroms, starts, 40, "sum"), [80.0, 120.0])
        F = track_features(bws, ["s", "s"], chroms, starts, 40, 10)
    assert F.shape == (2, 2, 4) and F.dtype == np.float32
    np.testing.assert_allclose(F[1, 0], [2.0, 0.0, 5.0, 5.0])
    np.testing.assert_allclose(F[0, 1], [2.0, 2.0, 2.0, 2.0])


def test_bigwig_errors_name_the_file(signal, tmp_path):
    partial = _bigwig(tmp_path / "chr1_only.bw", ["chr1"], [("chr1", 0, 100, 1.0)])
    with BigWigs({"s": signal, "p": partial}, SIZES, None) as bws:
        bws.require(["chr1"])
        with pytest.raises(InputError, match=r"chr1_only\.bw: bigWig \(track 'p'\) lacks chromosome 'chr2'"):
            bws.require(["chr1", "chr2"])
    with pytest.raises(InputError, match=r"nowhere\.bw: bigWig not found \(track 'x'\)"):
        BigWigs({"x": tmp_path / "nowhere.bw"}, SIZES, None)
    text = tmp_path / "text.bw"
    text.write_text("not a bigWig\n")
    with pytest.raises(InputError, match=r"text\.bw: not a readable bigWig"):
        BigWigs({"x": text}, SIZES, None)


def test_normalisation_uses_train_rows_only():
    rng = np.random.default_rng(0)
    F = rng.gamma(2.0, 3.0, size=(8, 2, 5)).astype(np.float32)
    F[6:] += 100.0  # held-out rows far off: they must not move the statistics
    train = np.arange(8) < 6
    Z, stats = normalize_tracks(F, train, ["a", "b"], "zscore")
    np.testing.assert_allclose(Z[train].mean(axis=(0, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(Z[train].std(axis=(0, 2)), 1.0, atol=1e-5)
    assert stats["b"]["mean"] == pytest.approx(F[train, 1].mean(), rel=1e-5)
    np.testing.assert_allclose(Z[6:, 0], (F[6:, 0] - stats["a"]["mean"]) / stats["a"]["std"], rtol=1e-5)

    L, stats = normalize_tracks(F, train, ["a", "b"], "log1p", clip_quantile=0.5)
    caps = np.quantile(np.log1p(F[train]), 0.5, axis=(0, 2))
    assert [stats[t]["clip"] for t in "ab"] == pytest.approx(caps.tolist())
    np.testing.assert_allclose(L, np.minimum(np.log1p(F), caps[None, :, None]), rtol=1e-6)
    assert (L[6:] == caps[None, :, None]).all()

    same, stats = normalize_tracks(F, train, ["a", "b"], "none")
    assert stats == {} and same.dtype == np.float32 and np.array_equal(same, F)
    with pytest.raises(InputError, match="needs train windows"):
        normalize_tracks(F, np.zeros(8, dtype=bool), ["a", "b"], "zscore")
