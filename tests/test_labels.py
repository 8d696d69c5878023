"""Tests for :mod:`seqcnn.labels`: peak windows, labels, negatives, splits and bad input on the toy genome."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqcnn.datasets import load_meta, load_split
from seqcnn.errors import InputError
from seqcnn.labels import build_peak_dataset, dinucleotide_shuffle, label_windows, read_sample_sheet
from seqcnn.toy import build_toy_genome

SPLITS = {"valid": ["chr2"], "test": ["chr3"]}
WINDOW = 600


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return build_toy_genome(tmp_path_factory.mktemp("toy"), seed=1)


def _build(toy, out: Path, samples: Path | None = None, **kwargs):
    settings = {"splits": SPLITS, "blacklist": toy.blacklist, "seed": 3, **kwargs}
    return build_peak_dataset(
        samples or toy.samples,
        toy.fasta,
        out / "dataset",
        out / "summary.tsv",
        out / "windows.bed",
        **settings,
    )


def _read_bed(path: Path) -> pd.DataFrame:
    return pd.read_csv(
        path, sep="\t", comment="#", header=None, names=["chrom", "start", "end", "name", "split", "label"],
        dtype={"label": str},
    )  # fmt: skip


@pytest.fixture(scope="module")
def built(toy, tmp_path_factory):
    out = tmp_path_factory.mktemp("labels")
    result = _build(toy, out)
    return result, _read_bed(result.windows_bed), out


@pytest.fixture(scope="module")
def tf_sheet(toy, tmp_path_factory):
    """The four TF ChIP-seq experiments only: sparse enough for a full 1:1 set of genomic negatives."""
    sheet = pd.read_csv(toy.samples, sep="\t")
    sheet = sheet[sheet["assay"] == "TF ChIP-seq"].assign(
        path=lambda d: [str(toy.out_dir / p) for p in d.path]
    )
    path = tmp_path_factory.mktemp("tf") / "samples.tsv"
    sheet.to_csv(path, sep="\t", index=False)
    return path


def test_default_build_matches_truth(toy, built):
    result, bed, _ = built
    meta = load_meta(result.out_dir)
    classes = list(pd.read_csv(toy.samples, sep="\t")["experiment"])
    assert meta["classes"] == classes == result.classes
    assert meta["window"] == WINDOW and meta["strategy"] == "gc_matched" and meta["seed"] == 3

    # Dataset rows and BED rows agree, split by split, and labels match the BED label strings.
    offset = 0
    for split in ("train", "valid", "test"):
        X, y = load_split(result.out_dir, split)
        assert X.shape == (result.sizes[split], WINDOW) and X.dtype == np.uint8
        assert y.shape == (len(X), len(classes))
        rows = bed.iloc[offset : offset + len(X)]
        offset += len(X)
        assert (rows["split"] == split).all()
        assert rows["label"].map(lambda s: [int(c) for c in s]).tolist() == y.astype(int).tolist()
        assert int((y.sum(axis=1) == 0).sum()) >= result.n_negative_windows[split]
    assert offset == len(bed)

    # Splits hold out whole chromosomes.
    owners = bed.groupby("chrom")["split"].unique()
    assert all(len(v) == 1 for v in owners)
    assert dict(owners.map(lambda v: v[0])) == {"chr1": "train", "chr2": "valid", "chr3": "test"} | (
        {"chrUn_toy": "train"} if "chrUn_toy" in owners else {}
    )

    # Every planted CTCF element that can hold a window gets one centred on it, labelled 1 for CTCF;
    # windows far from any CTCF peak (motif or noise) are 0 for CTCF.
    elements = pd.read_csv(toy.elements, sep="\t")
    ctcf = elements[elements["experiments"].fillna("").str.contains("CTCF_cellA")]
    planted = (ctcf["kind"] == "chip") & ctcf["motifs"].fillna("").str.contains("CTCF")
    fits = planted & ~ctcf["near_end"] & ~ctcf["blacklisted"]
    assert fits.sum() > 250
    pos = bed[bed["name"].str.startswith("w")]
    centre = pos["start"] + WINDOW // 2
    index = {(c, x): lab for c, x, lab in zip(pos["chrom"], centre, pos["label"], strict=True)}
    t = classes.index("CTCF_cellA")
    labels = [
        index.get((c, x)) for c, x in zip(ctcf.loc[fits, "chrom"], ctcf.loc[fits, "centre"], strict=True)
    ]
    assert all(lab is not None and lab[t] == "1" for lab in labels)
    far = np.ones(len(pos), dtype=bool)
    for chrom, group in ctcf.groupby("chrom"):
        on = (pos["chrom"] == chrom).to_numpy()
        dist = np.abs(centre.to_numpy()[on, None] - group["centre"].to_numpy()[None, :]).min(axis=1)
        far[on] = dist > WINDOW
    assert far.sum() > 1000
    assert (pos.loc[far, "label"].str[t] == "0").all()


def test_gc_matched_negatives_match_positive_gc(toy, built, tf_sheet, tmp_path):
    result, bed, out = built
    summary = pd.read_csv(out / "summary.tsv", sep="\t")
    gc = summary[summary["metric"] == "mean_gc"].set_index(["split", "name"])["value"]
    for split, (gc_pos, gc_neg) in result.gc.items():
        assert abs(gc_pos - gc_neg) < 0.02, (split, gc_pos, gc_neg)
        assert gc.loc[(split, "positives")] == pytest.approx(gc_pos, abs=1e-4)
    # With the TF experiments only there is room for the full 1:1 ratio, and the match still holds.
    tf = _build(toy, tmp_path, tf_sheet, window=200, center_bp=200)
    for split, (gc_pos, gc_neg) in tf.gc.items():
        assert tf.n_negative_windows[split] == tf.n_positive_windows[split]
        assert abs(gc_pos - gc_neg) < 0.02, (split, gc_pos, gc_neg)
    # Genomic negatives lie outside every peak, so no overlap rule could label them.
    X, y = load_split(tf.out_dir, "train")
    assert (y[tf.n_positive_windows["train"] :] == 0).all()
    neg = _read_bed(tf.windows_bed)
    neg = neg[neg["name"].str.startswith("gc_matched")]
    columns = {"sep": "\t", "header": None, "usecols": [0, 1, 2], "names": ["chrom", "start", "end"]}
    peaks = [pd.read_csv(path, **columns) for path in pd.read_csv(tf_sheet, sep="\t")["path"]]
    cover = label_windows(
        neg["chrom"].to_numpy(), neg["start"].to_numpy() + 100, peaks, center_bp=200, overlap=1e-9
    )
    assert cover.sum() == 0


def test_dinucleotide_shuffle_preserves_counts():
    rng = np.random.default_rng(0)
    seq = rng.choice(5, size=600, p=[0.28, 0.2, 0.2, 0.28, 0.04]).astype(np.uint8)

    def counts(s):
        return np.bincount(s[:-1].astype(int) * 5 + s[1:], minlength=25)

    shuffled = [dinucleotide_shuffle(seq, np.random.default_rng(k)) for k in range(5)]
    for out in shuffled:
        assert out.dtype == seq.dtype and out.shape == seq.shape
        assert np.array_equal(counts(out), counts(seq))
        assert out[0] == seq[0] and out[-1] == seq[-1]
        assert (out != seq).mean() > 0.3
    assert not np.array_equal(shuffled[0], shuffled[1])
    assert np.array_equal(shuffled[0], dinucleotide_shuffle(seq, np.random.default_rng(0)))
    # A sequence with a single Eulerian path has nothing to shuffle.
    assert np.array_equal(dinucleotide_shuffle(np.array([0, 1, 2, 3]), rng), [0, 1, 2, 3])


def test_shuffled_negatives(toy, tf_sheet, tmp_path):
    result = _build(toy, tmp_path, tf_sheet, negatives="shuffled", neg_ratio=2.0)
    X, y = load_split(result.out_dir, "valid")
    n_pos = result.n_positive_windows["valid"]
    assert result.n_negative_windows["valid"] == 2 * n_pos == len(X) - n_pos
    assert (y[n_pos:] == 0).all()
    bed = _read_bed(result.windows_bed)
    bed = bed[bed["split"] == "valid"].reset_index(drop=True)
    # Each negative is a shuffle of the positive named in it: same dinucleotides, different sequence.
    source = bed.loc[n_pos:, "name"].str.extract(r"_of_w(\d+)$")[0].astype(int)
    row_of = {int(name[1:]): i for i, name in enumerate(bed.loc[: n_pos - 1, "name"])}
    for k, j in enumerate(source.iloc[:50]):
        a, b = X[row_of[j]], X[n_pos + k]
        pairs_a = np.bincount(a[:-1].astype(int) * 5 + a[1:], minlength=25)
        pairs_b = np.bincount(b[:-1].astype(int) * 5 + b[1:], minlength=25)
        assert np.array_equal(pairs_a, pairs_b) and not np.array_equal(a, b)
    # The same seed gives the same shuffles.
    again = _build(toy, tmp_path / "again", tf_sheet, negatives="shuffled", neg_ratio=2.0)
    assert np.array_equal(load_split(again.out_dir, "valid")[0], X)


def test_windows_past_ends_and_blacklist_dropped(toy, built):
    result, bed, out = built
    sizes = toy.sizes
    assert (bed["start"] >= 0).all() and (bed["end"] <= bed["chrom"].map(sizes)).all()
    elements = pd.read_csv(toy.elements, sep="\t")
    near = elements[elements["near_end"]]
    assert len(near) >= 4
    # Every near-end element lies within half a window of its chromosome end: its window was dropped.
    assert result.dropped["past_chrom_end"] >= len(near)
    centres = set(zip(bed["chrom"], bed["start"] + WINDOW // 2, strict=True))
    assert not any((c, x) in centres for c, x in zip(near["chrom"], near["centre"], strict=True))
    summary = pd.read_csv(out / "summary.tsv", sep="\t")
    dropped = summary[summary["metric"] == "dropped"].set_index("name")["value"]
    assert dropped["past_chrom_end"] == result.dropped["past_chrom_end"]
    assert dropped["blacklist"] == result.dropped["blacklist"] > 0
    assert list(dropped.index) == ["peak_chrom_not_in_genome", "past_chrom_end", "blacklist", "too_many_n"]
    assert dropped.to_dict() == result.dropped

    black = pd.read_csv(
        toy.blacklist, sep="\t", header=None, usecols=[0, 1, 2], names=["chrom", "start", "end"]
    )
    for row in black.itertuples():
        on = bed[bed["chrom"] == row.chrom]
        assert not ((on["start"] < row.end) & (on["end"] > row.start)).any(), row
    # Without the blacklist those windows come back.
    again = _build(toy, out / "noblack", blacklist=None)
    assert (
        sum(again.n_positive_windows.values())
        == sum(result.n_positive_windows.values()) + dropped["blacklist"]
    )


# ----------------------------------------------------------------------------------------------------
# Bad input: one clear message, nothing left behind
# ----------------------------------------------------------------------------------------------------


def _sheet_with(toy, tmp_path: Path, experiment: str, new_path: str) -> Path:
    sheet = pd.read_csv(toy.samples, sep="\t")
    sheet["path"] = [str(toy.out_dir / p) for p in sheet["path"]]
    sheet.loc[sheet["experiment"] == experiment, "path"] = new_path
    path = tmp_path / "samples.tsv"
    sheet.to_csv(path, sep="\t", index=False)
    return path


def _fails(toy, tmp_path: Path, samples: Path, match: str, **kwargs) -> str:
    out = tmp_path / "out"
    with pytest.raises(InputError, match=match) as info:
        _build(toy, out, samples, **kwargs)
    assert not out.exists() or not any(out.rglob("*")), sorted(out.rglob("*"))
    return str(info.value)


def test_missing_peak_file(toy, tmp_path):
    samples = _sheet_with(toy, tmp_path, "GATA1_cellA", "peaks/nowhere.narrowPeak")
    msg = _fails(toy, tmp_path, samples, "not found")
    assert f"{samples}:3" in msg and "GATA1_cellA" in msg and "nowhere.narrowPeak" in msg
    with pytest.raises(InputError, match="listed twice"):
        bad = tmp_path / "dup.tsv"
        bad.write_text(samples.read_text().replace("GATA1_cellA", "CTCF_cellA"))
        read_sample_sheet(bad)


def test_empty_peak_file(toy, tmp_path):
    empty = tmp_path / "empty.narrowPeak"
    empty.write_text("track name=empty\n")
    msg = _fails(toy, tmp_path, _sheet_with(toy, tmp_path, "SPI1_cellB", str(empty)), "empty")
    assert str(empty) in msg and "SPI1_cellB" in msg


def test_malformed_narrowpeak_line(toy, tmp_path):
    lines = toy.peaks["CTCF_cellA"].read_text().splitlines()
    fields = lines[4].split("\t")
    fields[9] = "summit"
    lines[4] = "\t".join(fields)
    bad = tmp_path / "bad.narrowPeak"
    bad.write_text("\n".join(lines) + "\n")
    samples = _sheet_with(toy, tmp_path, "CTCF_cellA", str(bad))
    msg = _fails(toy, tmp_path, samples, "field 10")
    assert f"{bad}:5" in msg and "'summit'" in msg
    fields[9], fields[1] = "10", "12x"
    lines[4] = "\t".join(fields)
    bad.write_text("\n".join(lines) + "\n")
    assert f"{bad}:5: field 2 (start)" in _fails(toy, tmp_path, samples, "field 2")


def test_chromosome_names_match_nowhere(toy, tmp_path):
    text = toy.peaks["FOXA1_cellA"].read_text()
    stripped = tmp_path / "nochr.narrowPeak"
    stripped.write_text("".join(line[3:] + "\n" for line in text.splitlines()))
    msg = _fails(toy, tmp_path, _sheet_with(toy, tmp_path, "FOXA1_cellA", str(stripped)), "none of the")
    assert str(stripped) in msg
    assert "'1'" in msg and "'chr1'" in msg  # examples from both sides
    assert "aliases" in msg and "'1': 'chr1'" in msg  # the alias hint
    # The alias it suggests fixes it.
    samples = _sheet_with(toy, tmp_path, "FOXA1_cellA", str(stripped))
    ok = _build(toy, tmp_path / "ok", samples, aliases={"1": "chr1", "2": "chr2", "3": "chr3"})
    assert ok.positives["train"]["FOXA1_cellA"] > 0


def test_unknown_split_chromosome(toy, tmp_path):
    msg = _fails(toy, tmp_path, toy.samples, "chr9", splits={"valid": ["chr2"], "test": ["chr9"]})
    assert "splits.test" in msg and "not in the genome" in msg and "'chr1'" in msg
    _fails(toy, tmp_path, toy.samples, "both", splits={"valid": ["chr2"], "test": ["chr2"]})


def test_experiments_select_rows_of_the_sheet(toy, built, tmp_path):
    """One TF of the sheet (DeepBind's setting): its labels equal that column of the full dataset."""
    result = _build(toy, tmp_path, experiments=["CTCF_cellA"], negatives="none")
    meta = load_meta(result.out_dir)
    assert meta["classes"] == ["CTCF_cellA"]
    X, y = load_split(result.out_dir, "test")
    assert y.shape[1] == 1 and (y[:, 0] == 1).all()  # every window is a CTCF summit, no negatives asked
    full, full_bed, _ = built
    full_classes = load_meta(full.out_dir)["classes"]
    bed = _read_bed(result.windows_bed)
    column = full_classes.index("CTCF_cellA")
    shared = bed.merge(full_bed, on=["chrom", "start"], suffixes=("", "_full"))
    assert len(shared) > 0.5 * len(bed)
    assert (shared["label_full"].str[column] == "1").all()
    _fails(toy, tmp_path / "bad", None, r"samples.tsv: experiments \['CTCF'\] not in the sample sheet",
           experiments=["CTCF"])  # fmt: skip
