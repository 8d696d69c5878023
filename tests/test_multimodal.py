"""Tests for :mod:`seqcnn.multimodal`: accessibility tracks added to the windows of a toy peak dataset."""

from __future__ import annotations

import numpy as np
import pytest

from seqcnn.datasets import load_split, load_tracks
from seqcnn.errors import InputError
from seqcnn.labels import build_peak_dataset
from seqcnn.multimodal import build_multimodal_dataset
from seqcnn.toy import build_toy_genome

SPLITS = {"valid": ["chr2"], "test": ["chr3"]}
WINDOW = 600


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return build_toy_genome(tmp_path_factory.mktemp("toy"), seed=1)


@pytest.fixture(scope="module")
def peaks(toy, tmp_path_factory):
    out = tmp_path_factory.mktemp("labels")
    return build_peak_dataset(
        toy.samples,
        toy.fasta,
        out / "dataset",
        out / "summary.tsv",
        out / "windows.bed",
        splits=SPLITS,
        blacklist=toy.blacklist,
        seed=3,
    )


def test_multimodal_dataset_adds_accessibility_to_peak_windows(toy, peaks, tmp_path):
    sizes = toy.chrom_sizes
    meta = build_multimodal_dataset(
        peaks.out_dir,
        peaks.windows_bed,
        sizes,
        {"ATAC_cellA": toy.bigwigs["ATAC_cellA"]},
        tmp_path / "mm",
        tasks=["FOXA1_cellA"],
    )
    assert meta["classes"] == ["FOXA1_cellA"] and meta["tracks"]["bins"] == WINDOW
    col = peaks.classes.index("FOXA1_cellA")
    bound, other = [], []
    for split in ("train", "valid", "test"):
        X, y = load_split(tmp_path / "mm", split)
        X0, y0 = load_split(peaks.out_dir, split)
        F = load_tracks(tmp_path / "mm", split)
        assert np.array_equal(X, X0) and np.array_equal(y[:, 0], y0[:, col])
        assert F.shape == (len(X), 1, WINDOW) and F.dtype == np.float32
        centre = F[:, 0, WINDOW // 2 - 50 : WINDOW // 2 + 50].mean(axis=1)
        bound.append(centre[y[:, 0] == 1])
        other.append(centre[(y0.sum(axis=1) == 0)])
    # FOXA1 binds only where cellA is open: bound windows carry ATAC signal, genomic negatives little.
    assert np.concatenate(bound).mean() > 3 * np.concatenate(other).mean()


def test_unknown_task_or_mismatched_windows_bed(toy, peaks, tmp_path):
    sizes = toy.chrom_sizes
    with pytest.raises(InputError, match=r"config key tasks: \['NOPE'\] not in"):
        build_multimodal_dataset(
            peaks.out_dir, peaks.windows_bed, sizes, {"a": toy.bigwigs["ATAC_cellA"]}, tmp_path / "x",
            tasks=["NOPE"],
        )  # fmt: skip
    short = tmp_path / "short.bed"
    short.write_text("".join(peaks.windows_bed.read_text().splitlines(keepends=True)[:-5]))
    with pytest.raises(InputError, match=r"short.bed: \d+ windows of split 'test', but .* holds \d+"):
        build_multimodal_dataset(
            peaks.out_dir, short, sizes, {"a": toy.bigwigs["ATAC_cellA"]}, tmp_path / "y"
        )
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
