"""DECODE-style enhancer datasets on the toy genome: windows follow DECODE's rules, tracks separate classes.

One toy genome and two DECODE datasets (raw and z-scored) are built per module; every check reads the
written files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyBigWig
import pytest

from seqcnn.datasets import load_split
from seqcnn.decode import build_decode_dataset
from seqcnn.errors import InputError
from seqcnn.toy import build_toy_genome

TASKS = ("dev", "hk")
SPLIT_CHROMS = {"splits": {"valid": ["chr2"], "test": ["chr3"]}}
CHROMATIN = ("ATAC_cellA", "H3K27ac_cellA", "H3K4me1_cellA")
DECODE_WINDOW = 500


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return build_toy_genome(tmp_path_factory.mktemp("toy") / "g", seed=1)


def _read_windows(root) -> pd.DataFrame:
    frame = pd.read_csv(root / "windows.bed", sep="\t")
    return frame.rename(columns={"#chrom": "chrom"})


def _overlaps(chrom, start, end, bed: pd.DataFrame) -> bool:
    on = bed[bed["chrom"] == chrom]
    return bool(((on["start"] < end) & (on["end"] > start)).any())


def _decode(toy, root, normalization):
    return build_decode_dataset(
        toy.fasta,
        toy.chrom_sizes,
        [toy.peaks[f"STARR_{t}_cellA"] for t in TASKS],
        toy.peaks["ATAC_cellA"],
        {t: toy.bigwigs[t] for t in CHROMATIN},
        root,
        window=DECODE_WINDOW,
        normalization=normalization,
        blacklist=toy.blacklist,
        seed=3,
        **SPLIT_CHROMS,
    )


@pytest.fixture(scope="module")
def decode(toy, tmp_path_factory):
    root = tmp_path_factory.mktemp("decode") / "zscore"
    return root, _decode(toy, root, "zscore")


@pytest.fixture(scope="module")
def decode_raw(toy, tmp_path_factory):
    root = tmp_path_factory.mktemp("decode") / "none"
    return root, _decode(toy, root, "none")


def _all_splits(root):
    parts = [load_split(root, s) for s in ("train", "valid", "test")]
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    F = np.concatenate([np.load(root / f"{s}.tracks.npy") for s in ("train", "valid", "test")])
    return X, y, F


def test_decode_windows_follow_the_rules(decode, toy):
    root, meta = decode
    windows = _read_windows(root)
    X, y, F = _all_splits(root)
    assert F.shape == (len(windows), len(CHROMATIN), DECODE_WINDOW // 10) and F.dtype == np.float32
    assert X.shape == (len(windows), DECODE_WINDOW) and y.shape == (len(windows), 1)
    assert meta["tracks"]["names"] == list(CHROMATIN) and meta["tracks"]["bins"] == DECODE_WINDOW // 10
    np.testing.assert_array_equal(y[:, 0], windows["label"].to_numpy())

    cols = {0: "chrom", 1: "start", 2: "end", 8: "log10q"}
    starr = pd.concat([pd.read_csv(toy.peaks[f"STARR_{t}_cellA"], sep="\t", header=None) for t in TASKS])
    starr = starr.rename(columns=cols)
    passing = starr[starr["log10q"] > 1.30]
    atac = pd.read_csv(toy.peaks["ATAC_cellA"], sep="\t", header=None).rename(columns=cols)
    black = pd.read_csv(toy.blacklist, sep="\t", header=None).rename(columns=cols)
    pos = windows[windows["label"] == 1]
    neg = windows[windows["label"] == 0]
    assert len(pos) >= 100
    for _, w in pos.iterrows():
        assert _overlaps(w["chrom"], w["start"], w["end"], passing)
        assert _overlaps(w["chrom"], w["start"], w["end"], atac)
    for _, w in neg.iterrows():
        for bed in (starr, pos, black):
            assert not _overlaps(w["chrom"], w["start"], w["end"], bed)
    # 1:1 within every split, and split by chromosome.
    counts = windows.groupby(["split", "label"]).size().unstack()
    assert (counts[0] == counts[1]).all() and len(counts) == 3
    assert set(windows.loc[windows["split"] == "test", "chrom"]) == {"chr3"}


def test_decode_zscore_uses_train_statistics_only(decode, decode_raw):
    root, meta = decode
    raw_root, _ = decode_raw
    F_train = np.load(root / "train.tracks.npy")
    np.testing.assert_allclose(F_train.mean(axis=(0, 2)), 0.0, atol=1e-4)
    np.testing.assert_allclose(F_train.std(axis=(0, 2)), 1.0, atol=1e-3)
    stats = meta["tracks"]["train_stats"]
    raw_train = np.load(raw_root / "train.tracks.npy")
    for t, track in enumerate(CHROMATIN):
        assert stats[track]["mean"] == pytest.approx(raw_train[:, t].mean(), rel=1e-4)
    # Test features are the raw ones scaled with the train statistics, not their own.
    raw_test = np.load(raw_root / "test.tracks.npy")
    F_test = np.load(root / "test.tracks.npy")
    mean = np.array([stats[t]["mean"] for t in CHROMATIN])[None, :, None]
    std = np.array([stats[t]["std"] for t in CHROMATIN])[None, :, None]
    np.testing.assert_allclose(F_test, (raw_test - mean) / std, rtol=1e-4, atol=1e-4)
    assert np.abs(F_test.mean(axis=(0, 2))).max() > 1e-3


def test_decode_track_baseline_separates_classes(decode_raw):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    root, _ = decode_raw
    F_train, F_test = np.load(root / "train.tracks.npy"), np.load(root / "test.tracks.npy")
    _, y_train = load_split(root, "train")
    _, y_test = load_split(root, "test")
    model = LogisticRegression(max_iter=1000).fit(np.log1p(F_train.mean(axis=2)), y_train[:, 0])
    score = model.predict_proba(np.log1p(F_test.mean(axis=2)))[:, 1]
    auroc = roc_auc_score(y_test[:, 0], score)
    print(f"DECODE track baseline test auROC: {auroc:.3f}")
    assert auroc >= 0.9


def test_decode_counts_dropped_windows_by_reason(decode):
    root, meta = decode
    summary = pd.read_csv(root / "summary.tsv", sep="\t")
    dropped = summary[summary["metric"] == "dropped"].set_index("reason")["value"]
    assert list(dropped.index) == [
        "starr_peaks_failing_q",
        "starr_regions_short",
        "starr_regions_not_accessible",
        "past_chrom_end",
        "blacklist",
        "too_many_n",
    ]
    assert meta["dropped"] == dropped.to_dict()
    # The toy blacklists one accessible STARR element with a peak; with this seed it passes the q cut, so
    # exactly one positive window is lost to the blacklist.
    assert dropped["starr_peaks_failing_q"] > 0 and dropped["blacklist"] == 1


# ----------------------------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------------------------


def _leftovers(parent):
    return sorted(p.name for p in parent.iterdir()) if parent.exists() else []


def test_bigwig_lacking_a_chromosome(toy, tmp_path):
    partial = tmp_path / "chr1_only.bw"
    bw = pyBigWig.open(str(partial), "w")
    bw.addHeader([("chr1", toy.sizes["chr1"])])
    bw.addEntries("chr1", [0], values=[20.0], span=toy.sizes["chr1"])
    bw.close()
    out = tmp_path / "out" / "decode"
    with pytest.raises(InputError, match=r"chr1_only\.bw.*lacks chromosome 'chr2'"):
        build_decode_dataset(
            toy.fasta,
            toy.chrom_sizes,
            toy.peaks["STARR_dev_cellA"],
            toy.peaks["ATAC_cellA"],
            {"ATAC_cellA": toy.bigwigs["ATAC_cellA"], "bad": partial},
            out,
            window=DECODE_WINDOW,
        )
    assert _leftovers(out.parent) == []


def test_shared_split_chromosome(toy, tmp_path):
    out = tmp_path / "decode"
    with pytest.raises(InputError, match="both"):
        build_decode_dataset(
            toy.fasta,
            toy.chrom_sizes,
            toy.peaks["STARR_dev_cellA"],
            toy.peaks["ATAC_cellA"],
            {"ATAC_cellA": toy.bigwigs["ATAC_cellA"]},
            out,
            splits={"valid": ["chr2"], "test": ["chr2"]},
        )
    assert _leftovers(tmp_path) == []
