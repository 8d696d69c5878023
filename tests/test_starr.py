"""STARR-seq regression datasets on the toy genome: labels follow the planted activity.

One toy genome and one regression dataset are built per module; every check reads the written files.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyBigWig
import pytest

from seqcnn.datasets import load_split
from seqcnn.errors import InputError
from seqcnn.starr import build_starr_regression_dataset
from seqcnn.toy import build_toy_genome

TASKS = ("dev", "hk")
SPLIT_CHROMS = {"splits": {"valid": ["chr2"], "test": ["chr3"]}}


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return build_toy_genome(tmp_path_factory.mktemp("toy") / "g", seed=1)


@pytest.fixture(scope="module")
def truth(toy):
    return pd.read_csv(toy.elements, sep="\t")


def _tasks(toy):
    return [
        {
            "name": t,
            "rna": toy.bigwigs[f"STARR_{t}_cellA_rna"],
            "input": toy.bigwigs[f"STARR_{t}_cellA_input"],
            "peaks": toy.peaks[f"STARR_{t}_cellA"],
        }
        for t in TASKS
    ]


def _read_windows(root) -> pd.DataFrame:
    frame = pd.read_csv(root / "windows.bed", sep="\t")
    return frame.rename(columns={"#chrom": "chrom"})


def _overlaps(chrom, start, end, bed: pd.DataFrame) -> bool:
    on = bed[bed["chrom"] == chrom]
    return bool(((on["start"] < end) & (on["end"] > start)).any())


@pytest.fixture(scope="module")
def regression(toy, truth, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reg")
    # Every planted STARR element (peak or not) is a window, so labels cover the whole activity range; one
    # extra region sits 20 bp from the end of chr1 and must be dropped as past the end.
    elements = truth.loc[truth["kind"] == "starr", ["chrom", "start", "end"]]
    chr1 = toy.sizes["chr1"]
    extra = pd.DataFrame({"chrom": ["chr1"], "start": [chr1 - 40], "end": [chr1]})
    regions = tmp / "regions.bed"
    pd.concat([elements, extra]).to_csv(regions, sep="\t", header=False, index=False)
    root = tmp / "dataset"
    meta = build_starr_regression_dataset(
        toy.fasta,
        toy.chrom_sizes,
        _tasks(toy),
        root,
        regions=regions,
        blacklist=toy.blacklist,
        **SPLIT_CHROMS,
    )
    return root, meta


def _all_splits(root):
    parts = [load_split(root, s) for s in ("train", "valid", "test")]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def test_regression_layout_and_splits(regression, toy):
    root, meta = regression
    windows = _read_windows(root)
    X, y = _all_splits(root)
    assert X.shape == (len(windows), 249) and X.dtype == np.uint8
    assert y.shape == (len(windows), 2) and y.dtype == np.float32
    assert json.loads((root / "meta.json").read_text())["classes"] == list(TASKS)
    # Rows of the BED are the split arrays in order.
    np.testing.assert_allclose(y, windows[["log2_dev", "log2_hk"]].to_numpy(), rtol=1e-5, atol=1e-5)
    assert (windows["end"] - windows["start"] == 249).all()
    by_split = windows.groupby("split")["chrom"].unique()
    assert set(by_split["valid"]) == {"chr2"} and set(by_split["test"]) == {"chr3"}
    assert not {"chr2", "chr3"} & set(by_split["train"])
    # Background windows in every split, none on a STARR peak.
    peaks = pd.concat([pd.read_csv(toy.peaks[f"STARR_{t}_cellA"], sep="\t", header=None) for t in TASKS])
    peaks = peaks.rename(columns={0: "chrom", 1: "start", 2: "end"})
    bg = windows[windows["source"] == "background"]
    assert set(bg["split"]) == {"train", "valid", "test"}
    spans = zip(bg["chrom"], bg["start"], bg["end"], strict=True)
    assert not any(_overlaps(c, s, e, peaks) for c, s, e in spans)
    summary = pd.read_csv(root / "summary.tsv", sep="\t")
    dropped = summary[summary["metric"] == "dropped"].set_index("reason")["value"]
    assert dropped["past_chrom_end"] == 1 and dropped["blacklist"] >= 1
    assert list(dropped.index) == ["merged_centres", "past_chrom_end", "blacklist", "too_many_n"]
    assert meta["dropped"] == dropped.to_dict()
    assert meta["splits"] == {s: int((windows["split"] == s).sum()) for s in ("train", "valid", "test")}
    assert set(summary["metric"]) >= {"windows", "activity_mean", "activity_std", "dropped"}


def test_regression_activity_follows_planted_truth(regression, truth):
    root, _ = regression
    windows = _read_windows(root)
    merged = windows.merge(truth[truth["kind"] == "starr"], on=["chrom", "start"], suffixes=("", "_truth"))
    assert len(merged) >= 650
    for task in TASKS:
        r = np.corrcoef(merged[f"log2_{task}"], merged[f"activity_{task}"])[0, 1]
        print(f"pearson {task}: {r:.3f} over {len(merged)} elements")
        assert r > 0.7
    # Background windows carry no planted activity.
    bg = windows[windows["source"] == "background"]
    assert abs(bg["log2_dev"].mean()) < 0.15 and abs(bg["log2_hk"].mean()) < 0.15


def test_cooperative_elements_score_higher(regression, toy):
    root, _ = regression
    windows = _read_windows(root)
    pairs = pd.read_csv(toy.pairs, sep="\t")
    starr = pd.read_csv(toy.elements, sep="\t")
    labelled = windows.merge(starr[["chrom", "start", "element"]], on=["chrom", "start"])
    for task in TASKS:
        same = pairs[(pairs["task"] == task) & pairs["heterotypic"]]
        coop = set(same.loc[same["cooperative"], "element"])
        other = set(same.loc[~same["cooperative"], "element"]) - coop
        label = labelled.set_index("element")[f"log2_{task}"]
        hi = label[label.index.isin(coop)]
        lo = label[label.index.isin(other)]
        assert len(hi) > 20 and len(lo) > 20
        print(f"{task}: cooperative {hi.mean():.2f} (n={len(hi)}) vs not {lo.mean():.2f} (n={len(lo)})")
        assert hi.mean() > lo.mean() + 1.0


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
    tasks = _tasks(toy)
    tasks[1]["input"] = partial
    out = tmp_path / "out" / "reg"
    with pytest.raises(InputError, match=r"chr1_only\.bw.*lacks chromosome 'chr2'"):
        build_starr_regression_dataset(toy.fasta, toy.chrom_sizes, tasks, out, **SPLIT_CHROMS)
    assert not out.exists() and _leftovers(out.parent) == []


def test_unknown_split_chromosome(toy, tmp_path):
    out = tmp_path / "reg"
    with pytest.raises(InputError, match=r"splits\.test.*chr9"):
        build_starr_regression_dataset(
            toy.fasta, toy.chrom_sizes, _tasks(toy), out, splits={"test": ["chr9"]}
        )
    assert _leftovers(tmp_path) == []


def test_malformed_peak_line_names_file_and_line(toy, tmp_path):
    bad = tmp_path / "bad.narrowPeak"
    lines = toy.peaks["STARR_dev_cellA"].read_text().splitlines()
    fields = lines[2].split("\t")
    fields[8] = "high"
    lines[2] = "\t".join(fields)
    bad.write_text("\n".join(lines) + "\n")
    tasks = _tasks(toy)
    tasks[0]["peaks"] = bad
    with pytest.raises(InputError, match=r"bad\.narrowPeak:3: field 9 \(qValue\)"):
        build_starr_regression_dataset(toy.fasta, toy.chrom_sizes, tasks, tmp_path / "out")
    assert not (tmp_path / "out").exists()
