"""DECODE-style enhancer datasets on the toy genome: windows follow DECODE's rules, tracks separate classes.

One toy genome and two DECODE datasets (raw and z-scored) are built per module; every check reads the
written files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyBigWig
import pyfaidx
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


def _decode(toy, root, normalization, **extra):
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
        **extra,
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


SCAN_STRIDE = 250


def test_decode_scan_tiles_the_test_chromosome_and_changes_no_split(decode, toy, tmp_path):
    root, meta = decode
    scanned = tmp_path / "scan"
    scan_meta = _decode(toy, scanned, "zscore", scan_stride=SCAN_STRIDE)
    # The labelled splits are byte for byte those of the same dataset built without a scan.
    for split in ("train", "valid", "test"):
        for suffix in (".x.npy", ".y.npy", ".tracks.npy"):
            assert (scanned / f"{split}{suffix}").read_bytes() == (root / f"{split}{suffix}").read_bytes()
    windows = _read_windows(scanned)
    labelled = windows[windows["split"] != "scan"].reset_index(drop=True)
    pd.testing.assert_frame_equal(labelled, _read_windows(root))
    assert scan_meta["tracks"]["train_stats"] == meta["tracks"]["train_stats"]
    assert "scan" not in scan_meta["splits"]

    # Every stride step of the test chromosome whose tile misses the blacklist and the assembly gaps (N),
    # and nothing else.
    scan = windows[windows["split"] == "scan"].reset_index(drop=True)
    chr3 = str(pyfaidx.Fasta(str(toy.fasta))["chr3"][:]).upper()
    cols = {0: "chrom", 1: "start", 2: "end", 8: "log10q"}
    black = pd.read_csv(toy.blacklist, sep="\t", header=None).rename(columns=cols)
    expected = [
        s
        for s in range(0, toy.sizes["chr3"] - DECODE_WINDOW + 1, SCAN_STRIDE)
        if not _overlaps("chr3", s, s + DECODE_WINDOW, black) and "N" not in chr3[s : s + DECODE_WINDOW]
    ]
    assert scan_meta["dropped"]["scan_too_many_n"] > 0 and scan_meta["dropped"]["scan_blacklist"] > 0
    assert set(scan["chrom"]) == {"chr3"} and scan["start"].tolist() == expected
    assert scan_meta["scan"] == {
        "stride": SCAN_STRIDE,
        "chroms": ["chr3"],
        "windows": len(expected),
        "positives": int(scan["label"].sum()),
    }
    X, y = load_split(scanned, "scan")
    F = np.load(scanned / "scan.tracks.npy")
    assert X.shape == (len(scan), DECODE_WINDOW) and F.shape == (
        len(scan),
        len(CHROMATIN),
        DECODE_WINDOW // 10,
    )

    # Label 1 exactly where a tile overlaps a positive window's STARR region: a passing STARR peak that
    # overlaps an accessibility peak (the toy's regions are single peaks, so no merge is needed here).
    starr = pd.concat([pd.read_csv(toy.peaks[f"STARR_{t}_cellA"], sep="\t", header=None) for t in TASKS])
    starr = starr.rename(columns=cols)
    atac = pd.read_csv(toy.peaks["ATAC_cellA"], sep="\t", header=None).rename(columns=cols)
    regions = starr[(starr["log10q"] > 1.30) & (starr["chrom"] == "chr3")]
    regions = regions[[_overlaps(r.chrom, r.start, r.end, atac) for r in regions.itertuples()]]
    truth = [_overlaps("chr3", s, s + DECODE_WINDOW, regions) for s in scan["start"]]
    np.testing.assert_array_equal(y[:, 0], np.array(truth, dtype=np.float32))
    assert 0 < y.sum() < len(y)

    # Tracks: the bigWigs' 10-bp means, z-scored with the train split's statistics.
    stats = meta["tracks"]["train_stats"]
    for i in (0, len(scan) // 2, int(np.flatnonzero(y[:, 0])[0])):
        start = int(scan["start"][i])
        for t, track in enumerate(CHROMATIN):
            with pyBigWig.open(str(toy.bigwigs[track])) as bw:
                raw = np.nan_to_num(np.array(bw.values("chr3", start, start + DECODE_WINDOW), dtype=float))
            want = (raw.reshape(-1, 10).mean(axis=1) - stats[track]["mean"]) / stats[track]["std"]
            np.testing.assert_allclose(F[i, t], want, rtol=1e-4, atol=1e-4)


def test_decode_scan_stride_must_be_positive(toy, tmp_path):
    with pytest.raises(
        InputError, match=r"config key scan_stride: expected a positive integer or null, got 0"
    ):
        _decode(toy, tmp_path / "bad", "none", scan_stride=0)
    assert _leftovers(tmp_path) == []


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
