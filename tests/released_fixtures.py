"""Small files in the papers' released layouts (config/README.md, "Released data files").

Each writer draws random sequences (a few N positions included) and labels, writes them exactly as the
paper released them (file names, array names, dtypes, axis orders, MATLAB versions) and returns what it
wrote as ``{split: (codes (N, L) uint8 ACGT/N, targets (N, T))}``, so a test can compare the conversion
with it. The benchmark imports them to write larger files block by block.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

DEEPSEA_ORDER = np.array([0, 2, 1, 3])  # ACGT code -> DeepSEA channel (A, G, C, T)


def random_codes(rng: np.random.Generator, n: int, length: int, n_rate: float = 0.01) -> np.ndarray:
    codes = rng.integers(0, 4, size=(n, length), dtype=np.uint8)
    codes[rng.random((n, length)) < n_rate] = 4
    return codes


def onehot(
    codes: np.ndarray, channel_of_code: np.ndarray, n_value: float = 0.0, dtype=np.uint8
) -> np.ndarray:
    """``(N, L)`` codes -> ``(N, 4, L)`` one-hot with code c in channel ``channel_of_code[c]``."""
    out = np.zeros((len(codes), 4, codes.shape[1]), dtype=dtype)
    for code in range(4):
        out[:, channel_of_code[code], :][codes == code] = 1
    if n_value:
        out.transpose(0, 2, 1)[codes == 4] = n_value
    return out


def mat73_header() -> bytes:
    """The 128-byte MATLAB v7.3 header that precedes the HDF5 data (a 512-byte user block)."""
    text = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2015 HDF5 schema 1.00 ."
    return text.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02" + b"IM"


def write_mat73(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """MATLAB v7.3: HDF5 with the MATLAB header; each array stored with its axes reversed (as MATLAB
    writes column-major data), so h5py shows ``(L, 4, N)`` for an ``N x 4 x L`` MATLAB array."""
    import h5py

    with h5py.File(path, "w", userblock_size=512) as h5:
        for name, arr in arrays.items():
            ds = h5.create_dataset(name, data=np.ascontiguousarray(arr.T), compression="gzip")
            ds.attrs["MATLAB_class"] = np.bytes_("uint8")
    with open(path, "r+b") as fh:
        fh.write(mat73_header())


def write_deepsea_bundle(
    root: Path, rows: dict[str, int] | None = None, seed: int = 0, positives: float = 0.02, length: int = 1000
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``train.mat`` (MATLAB v7.3 / HDF5: ``trainxdata`` as (1000, 4, N), ``traindata`` as (919, N) in
    h5py), ``valid.mat`` and ``test.mat`` (MATLAB v5: ``validxdata`` (N, 4, 1000), ``validdata``
    (N, 919)); uint8, one-hot in A, G, C, T order."""
    import scipy.io

    rows = rows or {"train": 300, "valid": 80, "test": 120}
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    written = {}
    for split, n in rows.items():
        codes = random_codes(rng, n, length)
        labels = (rng.random((n, 919)) < positives).astype(np.uint8)
        x = onehot(codes, DEEPSEA_ORDER)
        if split == "train":
            write_mat73(root / "train.mat", {"trainxdata": x, "traindata": labels})
        else:
            scipy.io.savemat(root / f"{split}.mat", {f"{split}xdata": x, f"{split}data": labels}, format="5")
        written[split] = (codes, labels)
    return written


def write_deepstarr(root: Path, rows: dict[str, int] | None = None, seed: int = 0, length: int = 249):
    """``Sequences_{Train,Val,Test}.fa`` (one 249-bp record per region, 60-bp lines here to exercise
    wrapping) and ``Sequences_activity_{Train,Val,Test}.txt`` (tab-separated, header row, in FASTA order)."""
    rows = rows or {"train": 200, "valid": 60, "test": 60}
    names = {"train": "Train", "valid": "Val", "test": "Test"}
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    written = {}
    for split, n in rows.items():
        codes = random_codes(rng, n, length)
        activity = rng.normal(size=(n, 2)).astype(np.float32)
        with open(root / f"Sequences_{names[split]}.fa", "w") as fh:
            for i, row in enumerate(codes):
                seq = "".join("ACGTN"[c] for c in row)
                fh.write(f">chr2L_{1000 + i * 300}_{1248 + i * 300}_+_positive_peaks\n")
                fh.write("\n".join(seq[j : j + 60] for j in range(0, length, 60)) + "\n")
        with open(root / f"Sequences_activity_{names[split]}.txt", "w") as fh:
            fh.write("Dev_log2_enrichment\tHk_log2_enrichment\n")
            for dev, hk in activity:
                fh.write(f"{float(dev)!r}\t{float(hk)!r}\n")
        written[split] = (codes, activity)
    return written


def write_basset_h5(
    path: Path, rows: dict[str, int] | None = None, seed: int = 0, length: int = 600, n_targets: int = 7
):
    """``encode_roadmap.h5``: ``target_labels`` (bytes), ``{split}_in`` (N, 4, 1, L) float16 one-hot in
    A, C, G, T order with N as 0.25 in every channel, ``{split}_out`` (N, T) uint8, ``test_headers``."""
    import h5py

    rows = rows or {"train": 200, "valid": 50, "test": 50}
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    labels = [f"cell{i}-DNase" for i in range(n_targets)]
    written = {}
    with h5py.File(path, "w") as h5:
        h5.create_dataset("target_labels", data=np.array(labels, dtype="S"))
        for split, n in rows.items():
            codes = random_codes(rng, n, length)
            targets = (rng.random((n, n_targets)) < 0.3).astype(np.uint8)
            x = onehot(codes, np.arange(4), n_value=0.25, dtype=np.float16)[:, :, None, :]
            h5.create_dataset(f"{split}_in", data=x)
            h5.create_dataset(f"{split}_out", data=targets)
            if split == "test":
                h5.create_dataset(
                    "test_headers", data=np.array([f"chr1:{i}-{i + length}" for i in range(n)], dtype="S")
                )
            written[split] = (codes, targets)
    return written, labels
