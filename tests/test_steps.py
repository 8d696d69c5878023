"""A failing workflow step: one line naming the key, the file or the full disk, and nothing half-written."""

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqcnn.datasets import write_dataset
from seqcnn.errors import InputError, qualify_keys
from seqcnn.logs import run_step


@pytest.mark.parametrize(
    "message, prefix, expected",
    [
        ("config key window: expected a positive integer", "datasets.d",
         "config key datasets.d.window: expected a positive integer"),
        ("config keys tasks[*].peaks and regions: none given", "datasets.s",
         "config keys datasets.s.tasks[*].peaks and datasets.s.regions: none given"),
        ("config key datasets.d.window: already full", "datasets.d",
         "config key datasets.d.window: already full"),
        ("training key crop: expected a length", "studies.s", "config key studies.s.crop: expected a length"),
        ("peaks.bed:3: bad start", "datasets.d", "peaks.bed:3: bad start"),
    ],
)  # fmt: skip
def test_messages_name_keys_by_their_full_path(message, prefix, expected):
    assert qualify_keys(message, prefix) == expected


def test_a_failed_step_names_the_full_key_and_removes_its_outputs(tmp_path):
    out = tmp_path / "dataset"

    def build(path):
        Path(path).mkdir()
        (Path(path) / "train.x.npy").write_bytes(b"partial")
        raise InputError("config key splits.test: chromosome 'chr9' is not in the genome")

    with pytest.raises(SystemExit) as exc:
        run_step(build, out, outputs=[out], key="datasets.mine")
    assert str(exc.value) == (
        "error: config key datasets.mine.splits.test: chromosome 'chr9' is not in the genome"
    )
    assert not out.exists()


def test_out_of_memory_is_one_line(tmp_path):
    def grow():
        raise MemoryError("Unable to allocate 46.6 GiB for an array with shape (25000, 2000000)")

    with pytest.raises(SystemExit) as exc:
        run_step(grow, outputs=[tmp_path / "x"])
    assert str(exc.value).startswith("error: out of memory in test_out_of_memory_is_one_line.<locals>.grow")
    assert "46.6 GiB" in str(exc.value) and "GiB are available to this job" in str(exc.value)


@pytest.fixture
def small_disk(tmp_path):
    """A 1-MiB file system (tmpfs; needs root), unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_is_named_and_leaves_nothing_behind(small_disk):
    out = small_disk / "results/datasets/big/dataset"
    X = np.zeros((1000, 3500), dtype=np.uint8)  # 3.5 MB: more than the disk holds
    y = np.zeros((1000, 1), dtype=np.float32)
    windows = pd.DataFrame({"chrom": ["chr1"], "start": [0], "end": [1]})
    with pytest.raises(SystemExit) as exc:
        run_step(
            write_dataset,
            out,
            {"train": (X, y)},
            {"classes": ["a"]},
            windows,
            pd.DataFrame({"n": [1]}),
            outputs=[out],
        )
    message = str(exc.value)
    assert message.startswith(f"error: {out}") and "the disk is full (No space left on device;" in message
    assert "MiB free of 1 MiB" in message and "partial outputs were removed" in message
    leftovers = [p for p in small_disk.rglob("*") if p.is_file()]
    assert leftovers == []


def test_arrays_that_cannot_fit_are_refused_naming_the_keys(monkeypatch):
    import seqcnn.logs as logs
    from seqcnn.synthetic import generate_koo_eddy
    from seqcnn.windows import extract

    monkeypatch.setattr(logs, "available_memory", lambda: 8 * 2**20)
    with pytest.raises(InputError) as err:
        generate_koo_eddy([np.full((4, 6), 0.25)], n_seqs=100_000, seq_len=200)
    assert qualify_keys(str(err.value), "datasets.big") == (
        "config keys datasets.big.n_seqs and datasets.big.seq_len: 100,000 sequences of 200 bp need about "
        "38 MiB, but 8 MiB are available to this job; expected fewer or shorter sequences, or a job with "
        "more memory"
    )
    genome = {"chr1": np.zeros(100_000, dtype=np.uint8)}
    with pytest.raises(InputError, match=r"^config key window: 20,000 windows of 1,000 bp need about"):
        extract(genome, np.array(["chr1"] * 20_000), np.zeros(20_000, dtype=np.int64), 1000)


def test_windows_are_gathered_in_chunks_identically(monkeypatch):
    import seqcnn.windows as windows

    rng = np.random.default_rng(0)
    genome = {c: rng.integers(0, 5, 5000).astype(np.uint8) for c in ("chr1", "chr2")}
    chroms = rng.choice(["chr1", "chr2"], 500)
    starts = rng.integers(0, 5000 - 40, 500)
    expected = np.stack([genome[c][s : s + 40] for c, s in zip(chroms, starts, strict=True)])
    monkeypatch.setattr(windows, "EXTRACT_CHUNK_BYTES", 8 * 40 * 7)  # 7 windows a chunk
    np.testing.assert_array_equal(windows.extract(genome, chroms, starts, 40), expected)
