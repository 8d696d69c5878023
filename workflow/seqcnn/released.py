"""The papers' own released data files, converted once into the on-disk dataset format.

Three released layouts are read (config/README.md, "Released data files", gives every array name, shape,
axis order and file version):

* the DeepSEA bundle (``deepsea_train_bundle.v0.9.tar.gz``): ``train.mat`` (HDF5, MATLAB v7.3),
  ``valid.mat`` and ``test.mat`` (MATLAB v5); sequences one-hot in DeepSEA's A, G, C, T channel order,
  919 binary labels. A selection of label columns is kept, and optionally only the rows positive for at
  least one selected column (Koo & Eddy's in vivo dataset);
* DeepSTARR's released split: ``Sequences_{Train,Val,Test}.fa`` with the activity tables
  ``Sequences_activity_{Train,Val,Test}.txt`` (``Dev_log2_enrichment``, ``Hk_log2_enrichment``);
* Basset's preprocessed HDF5 (``encode_roadmap.h5``): ``{train,valid,test}_in`` ``(N, 4, 1, L)`` one-hot
  in A, C, G, T order, ``{train,valid,test}_out`` ``(N, T)``, ``target_labels``.

Conversion streams chunks of rows into ``.npy`` outputs (a header, then each block appended), so the
4.4-million-row DeepSEA training set converts in bounded memory; MATLAB v5 files cannot be read in
part and are loaded whole after a memory check. Everything is written into a temporary directory that
replaces the dataset only once complete, and every problem with a file is one :class:`InputError` naming
the file and what was expected.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError
from .io import atomic_dir, write_json, write_tsv
from .sequence import N_CODE, encode

log = logging.getLogger("seqcnn.released")

#: Dataset kinds read from released files.
RELEASED_KINDS = ("deepsea", "deepstarr_released", "basset_h5")
#: Where each kind's files come from, for the message when one is missing.
SOURCES = {
    "deepsea": (
        "download deepsea_train_bundle.v0.9.tar.gz from the DeepSEA site "
        "(http://deepsea.princeton.edu/help/, 'Code') and unpack train.mat, valid.mat and test.mat "
        "into {where}"
    ),
    "deepstarr_released": (
        "download Sequences_{{Train,Val,Test}}.fa and Sequences_activity_{{Train,Val,Test}}.txt from Zenodo "
        "record 5502060 (https://doi.org/10.5281/zenodo.5502060) into {where}"
    ),
    "basset_h5": (
        "run the Basset repository's data/get_data.py (it downloads and builds encode_roadmap.h5) and point "
        "this key at the file"
    ),
}
#: DeepSEA's one-hot channel order and its number of labels.
DEEPSEA_CHANNELS, DEEPSEA_LABELS = "AGCT", 919
#: Basset's one-hot channel order.
BASSET_CHANNELS = "ACGT"
#: Our split -> the DeepSEA / DeepSTARR / Basset name of it.
DEEPSEA_SPLITS = {"train": "train", "valid": "valid", "test": "test"}
DEEPSTARR_SPLITS = {"train": "Train", "valid": "Val", "test": "Test"}
DEEPSTARR_COLUMNS = {"dev": "Dev_log2_enrichment", "hk": "Hk_log2_enrichment"}
#: Input bytes a chunk of rows may hold while it is converted.
CHUNK_BYTES = 16 * 2**20


def released_files(entry: Mapping[str, Any]) -> dict[str, str]:
    """The files a released-data dataset reads, by role (``train_x``... or ``train_fasta``...)."""
    kind = entry["kind"]
    if kind == "deepsea":
        return {split: str(Path(entry["dir"]) / f"{name}.mat") for split, name in DEEPSEA_SPLITS.items()}
    if kind == "deepstarr_released":
        files = {}
        for split, name in DEEPSTARR_SPLITS.items():
            files[f"{split}_fasta"] = str(Path(entry["dir"]) / f"Sequences_{name}.fa")
            files[f"{split}_activity"] = str(Path(entry["dir"]) / f"Sequences_activity_{name}.txt")
        return files
    if kind == "basset_h5":
        return {"h5": str(entry["path"])}
    raise ValueError(f"not a released-data kind: {kind!r}")


def missing_file_message(entry: Mapping[str, Any]) -> str | None:
    """``<file> not found; <where to get it>`` for the first released file that is missing, else None."""
    for path in released_files(entry).values():
        if not Path(path).is_file():
            where = entry.get("dir", Path(path).parent)
            how = SOURCES[entry["kind"]].format(where=f"{where}/")
            return f"{path} not found; {how}"
    return None


# --- one-hot to codes -------------------------------------------------------------------------------------


def onehot_to_codes(X: np.ndarray, channels: str, path: str | os.PathLike, first_row: int = 0) -> np.ndarray:
    """``(n, 4, L)`` one-hot rows in the channel order ``channels`` -> ``(n, L)`` uint8 codes (ACGT, N 4).

    A position with one channel 1 and the rest 0 is that base; a position whose four channels are equal
    (all 0, as DeepSEA writes N, or all 0.25, as Basset does) is N. Anything else is an InputError naming
    the file and the first bad row.
    """
    lut = np.array([encode(c)[0] for c in channels], dtype=np.uint8)
    hot = X == 1
    count = hot.sum(axis=1, dtype=np.uint8)
    codes = np.where(count == 1, lut[hot.argmax(axis=1)], np.uint8(N_CODE)).astype(np.uint8)
    lo, hi = X.min(axis=1), X.max(axis=1)
    ok = ((count == 1) & (lo == 0)) | (lo == hi)
    if not ok.all():
        row, col = np.argwhere(~ok)[0]
        raise InputError(
            f"{path}: row {first_row + int(row)}, position {int(col)} is {X[row, :, col].tolist()}; expected "
            f"one-hot columns ({', '.join(channels)}): a single 1, or all four equal for N"
        )
    return codes


# --- array sources ----------------------------------------------------------------------------------------


class MatArray:
    """One array of a MATLAB file by its MATLAB shape (rows first), read in blocks of rows.

    MATLAB v7.3 files are HDF5, where h5py sees the axes reversed (``trainxdata`` as ``(L, 4, N)``);
    rows are read from there as hyperslabs. MATLAB v5 arrays are loaded whole (scipy cannot read part of
    one), after checking that they fit.
    """

    def __init__(self, path: Path, name: str, handle: Any, hdf5: bool):
        self.path, self.name, self.hdf5 = path, name, hdf5
        self._data = handle[name]
        self.shape = tuple(reversed(self._data.shape)) if hdf5 else tuple(self._data.shape)

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` in MATLAB axis order."""
        if self.hdf5:
            block = self._data[(slice(None),) * (len(self.shape) - 1) + (slice(start, stop),)]
            return np.transpose(block)
        return self._data[start:stop]


def _mat_version(path: Path) -> str:
    """``"7.3"`` (HDF5) or ``"5"``; anything else is an InputError naming the file."""
    import h5py
    import scipy.io.matlab

    if h5py.is_hdf5(path):
        return "7.3"
    try:
        major, _ = scipy.io.matlab.matfile_version(str(path))
    except (OSError, ValueError) as exc:
        major = str(exc)
    if major == 1:
        return "5"
    raise InputError(
        f"{path}: not a MATLAB v5 or v7.3 (HDF5) file; expected DeepSEA's {path.name} from "
        "deepsea_train_bundle.v0.9.tar.gz"
    )


def open_mat(path: str | os.PathLike, names: Sequence[str]) -> tuple[dict[str, MatArray], Callable[[], None]]:
    """The arrays ``names`` of a MATLAB v5 or v7.3 file, and a function closing it.

    Raises
    ------
    InputError
        An unreadable file, or one without an array named in ``names`` (the arrays it has are listed).
    """
    path = Path(path)
    version = _mat_version(path)
    if version == "7.3":
        import h5py

        handle = h5py.File(path, "r")
        have = [k for k in handle if isinstance(handle[k], h5py.Dataset)]
        close = handle.close
    else:
        import scipy.io

        have = [name for name, _, _ in scipy.io.whosmat(path)]
        close = _noop
        handle = None
    missing = [n for n in names if n not in have]
    if missing:
        close()
        raise InputError(
            f"{path}: no array {missing[0]!r} in this MATLAB v{version} file (it holds "
            f"{', '.join(have) or 'no arrays'}); expected {' and '.join(names)}"
        )
    if version == "5":
        handle = _load_v5(path, names)
    return {n: MatArray(path, n, handle, version == "7.3") for n in names}, close


def _noop() -> None:
    return None


def _load_v5(path: Path, names: Sequence[str]) -> dict[str, np.ndarray]:
    import scipy.io

    from .logs import available_memory, format_bytes

    shapes = {name: shape for name, shape, _ in scipy.io.whosmat(path)}
    # One byte per element (uint8 or logical), twice while scipy reorders MATLAB's column-major data.
    need = 2 * sum(int(np.prod(shapes[n])) for n in names)
    if need > available_memory():
        raise InputError(
            f"{path}: its arrays need about {format_bytes(need)} to load (a MATLAB v5 file is read whole), "
            f"but {format_bytes(available_memory())} are available; expected a job with more memory, or the "
            "file re-saved as MATLAB v7.3 (HDF5), which is read in blocks of rows"
        )
    return scipy.io.loadmat(path, variable_names=list(names))


def _row_chunk(bytes_per_row: int) -> int:
    return max(1, CHUNK_BYTES // max(1, bytes_per_row))


def _blocks(n: int, chunk: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, chunk):
        yield start, min(n, start + chunk)


# --- writing ----------------------------------------------------------------------------------------------


class SplitWriter:
    """``<split>.x.npy`` and ``<split>.y.npy`` of known size, appended block by block.

    The ``.npy`` header is written first and each block's bytes after it with plain writes, so memory
    stays at one block however large the split (a memory map would keep every written page resident).
    """

    def __init__(self, root: Path, split: str, n: int, seq_len: int, n_targets: int):
        self.split, self.n, self.filled = split, n, 0
        self.files = {
            "X": _npy_open(root / f"{split}.x.npy", np.uint8, (n, seq_len)),
            "y": _npy_open(root / f"{split}.y.npy", np.float32, (n, n_targets)),
        }

    def write(self, codes: np.ndarray, targets: np.ndarray) -> None:
        if len(codes) != len(targets):
            raise ValueError(f"split {self.split}: {len(codes)} sequences but {len(targets)} target rows")
        self.files["X"].write(np.ascontiguousarray(codes, dtype=np.uint8).tobytes())
        self.files["y"].write(np.ascontiguousarray(targets, dtype=np.float32).tobytes())
        self.filled += len(codes)

    def close(self) -> None:
        for fh in self.files.values():
            fh.close()
        if self.filled != self.n:
            raise ValueError(f"split {self.split}: wrote {self.filled} of {self.n} rows")


def _npy_open(path: Path, dtype: Any, shape: tuple[int, ...]) -> Any:
    """A file opened for writing with the ``.npy`` header of a C-ordered ``dtype`` array of ``shape``."""
    fh = open(path, "wb")  # closed by SplitWriter.close
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(fh, header)
    return fh


def _finish(
    root: Path, meta: dict[str, Any], sizes: dict[str, int], seq_len: int, summary: list[dict]
) -> None:
    import pandas as pd

    write_tsv(pd.DataFrame(summary), root / "summary.tsv")
    # meta.json last: its presence marks a complete dataset.
    write_json({**meta, "seq_len": seq_len, "splits": sizes}, root / "meta.json")


# --- DeepSEA ----------------------------------------------------------------------------------------------


def check_label_indices(classes: Sequence[int] | None, n_labels: int, where: str) -> list[int]:
    """The selected 0-based label columns (all when None); an index past the last is an InputError."""
    if classes is None:
        return list(range(n_labels))
    for i, c in enumerate(classes):
        if not 0 <= c < n_labels:
            raise InputError(
                f"{where}: label index {c} (classes[{i}]) is past the last of its {n_labels} labels; "
                f"expected 0-based column indices 0-{n_labels - 1}"
            )
    return list(classes)


def convert_deepsea(
    root: Path,
    files: Mapping[str, str],
    classes: Sequence[int] | None = None,
    class_names: Sequence[str] | None = None,
    keep_any_positive: bool = False,
    window: int = 1000,
) -> dict[str, int]:
    """Convert the DeepSEA bundle's three splits into ``root``; returns rows kept per split."""
    sizes, summary = {}, []
    names: list[str] | None = None
    for split, name in DEEPSEA_SPLITS.items():
        path = Path(files[split])
        arrays, close = open_mat(path, [f"{name}xdata", f"{name}data"])
        try:
            x, y = arrays[f"{name}xdata"], arrays[f"{name}data"]
            _check_deepsea_shapes(path, x, y, name, window)
            cols = check_label_indices(classes, y.shape[1], f"{path}")
            if names is None:
                names = list(class_names) if class_names else [f"label{c}" for c in cols]
            n_rows = x.shape[0]
            chunk = _row_chunk(4 * window + y.shape[1])
            # Pass 1 (labels only) counts the rows kept, so the outputs can be allocated at their size.
            keep = np.ones(n_rows, dtype=bool)
            if keep_any_positive:
                for a, b in _blocks(n_rows, chunk):
                    keep[a:b] = np.asarray(y.rows(a, b))[:, cols].any(axis=1)
            writer = SplitWriter(root, split, int(keep.sum()), window, len(cols))
            for a, b in _blocks(n_rows, chunk):
                sel = keep[a:b]
                if not sel.any():
                    continue
                codes = onehot_to_codes(np.asarray(x.rows(a, b))[sel], DEEPSEA_CHANNELS, path, a)
                writer.write(codes, np.asarray(y.rows(a, b))[sel][:, cols])
                log.info("%s: %d / %d rows read", path, b, n_rows)
            writer.close()
        finally:
            close()
        sizes[split] = writer.n
        summary.append({"split": split, "file": str(path), "rows": n_rows, "kept": writer.n})
    meta = {
        "classes": names,
        "label_indices": cols,
        "source": "DeepSEA bundle (deepsea_train_bundle.v0.9)",
        "kind": "deepsea",
        "task": "binary",
        "rows": "positive for at least one selected label" if keep_any_positive else "all",
    }
    _finish(root, meta, sizes, window, summary)
    return sizes


def _check_deepsea_shapes(path: Path, x: MatArray, y: MatArray, name: str, window: int) -> None:
    if len(x.shape) != 3 or x.shape[1:] != (4, window):
        raise InputError(
            f"{path}: {name}xdata has shape {_as_read(x, x.shape)}; expected "
            f"{_as_read(x, ('N', 4, window))}: N sequences x 4 channels (A, G, C, T) x {window} bp"
            f"{_reversed_note(x)}"
        )
    if len(y.shape) != 2 or y.shape[0] != x.shape[0]:
        raise InputError(
            f"{path}: {name}data has shape {_as_read(y, y.shape)}; expected "
            f"{_as_read(y, (x.shape[0], 'labels'))}: one row of labels per {name}xdata sequence"
            f"{_reversed_note(y)}"
        )


def _as_read(a: MatArray, shape: Sequence[Any]) -> str:
    """A MATLAB shape as h5py (axes reversed) or scipy shows it."""
    return "(" + ", ".join(map(str, reversed(shape) if a.hdf5 else shape)) + ")"


def _reversed_note(a: MatArray) -> str:
    return " (h5py shows a MATLAB v7.3 array's axes reversed)" if a.hdf5 else ""


# --- DeepSTARR --------------------------------------------------------------------------------------------


def _fasta_records(path: Path) -> Iterator[tuple[str, str]]:
    name, parts = None, []
    with open(path) as fh:
        for line in fh:
            line = line.rstrip("\r\n")
            if line.startswith(">"):
                if name is not None:
                    yield name, "".join(parts)
                name, parts = line[1:].split()[0] if line[1:].strip() else "", []
            elif line:
                if name is None:
                    raise InputError(f"{path}: sequence before the first '>' header; expected FASTA")
                parts.append(line)
    if name is not None:
        yield name, "".join(parts)


def _count_records(path: Path) -> int:
    n = 0
    with open(path, "rb") as fh:
        for line in fh:
            n += line.startswith(b">")
    return n


def _read_activity(path: Path) -> np.ndarray:
    import pandas as pd

    try:
        header = pd.read_csv(path, sep="\t", nrows=0)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read as a tab-separated table ({exc})") from None
    missing = [c for c in DEEPSTARR_COLUMNS.values() if c not in header.columns]
    if missing:
        raise InputError(
            f"{path}: no column {missing[0]!r} (columns: {', '.join(map(str, header.columns))}); expected "
            f"DeepSTARR's activity table with {' and '.join(DEEPSTARR_COLUMNS.values())}"
        )
    table = pd.read_csv(path, sep="\t", usecols=list(DEEPSTARR_COLUMNS.values()), dtype=str)
    columns = [pd.to_numeric(table[c], errors="coerce") for c in DEEPSTARR_COLUMNS.values()]
    values = np.stack([c.to_numpy(dtype=np.float32) for c in columns], axis=1)
    if not np.isfinite(values).all():
        row = int(np.argwhere(~np.isfinite(values))[0, 0])
        raise InputError(f"{path}: row {row + 1} has a missing or non-numeric activity; expected numbers")
    return values


def convert_deepstarr(root: Path, files: Mapping[str, str], window: int = 249) -> dict[str, int]:
    """Convert DeepSTARR's released train / val / test FASTA and activity tables into ``root``."""
    sizes, summary = {}, []
    for split in DEEPSTARR_SPLITS:
        fasta, table = Path(files[f"{split}_fasta"]), Path(files[f"{split}_activity"])
        activity = _read_activity(table)
        n = _count_records(fasta)
        if n != len(activity):
            raise InputError(
                f"{table}: {len(activity)} activity rows, but {fasta} holds {n} sequences; expected one row "
                "per FASTA record, in the same order"
            )
        writer = SplitWriter(root, split, n, window, len(DEEPSTARR_COLUMNS))
        chunk = _row_chunk(window)
        block: list[np.ndarray] = []
        for i, (name, seq) in enumerate(_fasta_records(fasta)):
            if len(seq) != window:
                raise InputError(
                    f"{fasta}: record {i + 1} ({name}) is {len(seq)} bp; expected {window}-bp sequences"
                )
            block.append(encode(seq))
            if len(block) == chunk:
                writer.write(np.stack(block), activity[writer.filled : writer.filled + len(block)])
                block = []
        if block:
            writer.write(np.stack(block), activity[writer.filled : writer.filled + len(block)])
        writer.close()
        sizes[split] = n
        summary.append({"split": split, "file": str(fasta), "rows": n, "kept": n})
    meta = {
        "classes": list(DEEPSTARR_COLUMNS),
        "columns": list(DEEPSTARR_COLUMNS.values()),
        "source": "DeepSTARR released split (Zenodo 5502060)",
        "kind": "deepstarr_released",
        "task": "regression",
    }
    _finish(root, meta, sizes, window, summary)
    return sizes


# --- Basset -----------------------------------------------------------------------------------------------


def convert_basset(root: Path, files: Mapping[str, str], window: int = 600) -> dict[str, int]:
    """Convert Basset's preprocessed HDF5 (train / valid / test) into ``root``."""
    import h5py

    path = Path(files["h5"])
    if not h5py.is_hdf5(path):
        raise InputError(f"{path}: not an HDF5 file; expected Basset's preprocessed encode_roadmap.h5")
    sizes, summary = {}, []
    with h5py.File(path, "r") as h5:
        expected = ["target_labels", *(f"{s}_{io}" for s in DEEPSEA_SPLITS for io in ("in", "out"))]
        missing = [k for k in expected if k not in h5]
        if missing:
            raise InputError(
                f"{path}: no dataset {missing[0]!r} (it holds {', '.join(h5) or 'nothing'}); expected "
                f"{', '.join(expected)}"
            )
        labels = [v.decode() if isinstance(v, bytes) else str(v) for v in h5["target_labels"][()]]
        for split in DEEPSEA_SPLITS:
            x, y = h5[f"{split}_in"], h5[f"{split}_out"]
            if x.ndim != 4 or x.shape[1:] != (4, 1, window):
                raise InputError(
                    f"{path}: {split}_in has shape {x.shape}; expected (N, 4, 1, {window}), one-hot "
                    "A, C, G, T"
                )
            if y.shape != (x.shape[0], len(labels)):
                raise InputError(
                    f"{path}: {split}_out has shape {y.shape}; expected ({x.shape[0]}, {len(labels)}), one "
                    f"row per {split}_in sequence and one column per target_labels entry"
                )
            writer = SplitWriter(root, split, x.shape[0], window, len(labels))
            for a, b in _blocks(x.shape[0], _row_chunk(4 * window * x.dtype.itemsize)):
                writer.write(onehot_to_codes(x[a:b][:, :, 0, :], BASSET_CHANNELS, path, a), y[a:b])
            writer.close()
            sizes[split] = writer.n
            summary.append({"split": split, "file": str(path), "rows": writer.n, "kept": writer.n})
    meta = {"classes": labels, "source": "Basset preprocessed HDF5", "kind": "basset_h5", "task": "binary"}
    _finish(root, meta, sizes, window, summary)
    return sizes


def build_released_dataset(entry: Mapping[str, Any], out_dir: str | os.PathLike) -> dict[str, int]:
    """Convert one released-data dataset (a config entry of a kind in :data:`RELEASED_KINDS`).

    Parameters
    ----------
    entry
        The dataset's completed config entry.
    out_dir
        Dataset directory, replaced as a whole once complete.

    Returns
    -------
    dict
        Rows per split.
    """
    missing = missing_file_message(entry)
    if missing:
        raise InputError(missing)
    files = released_files(entry)
    kind = entry["kind"]
    with atomic_dir(out_dir) as tmp:
        if kind == "deepsea":
            sizes = convert_deepsea(
                tmp,
                files,
                classes=entry.get("classes"),
                class_names=entry.get("class_names"),
                keep_any_positive=entry.get("keep") == "any_positive",
                window=entry["window"],
            )
        elif kind == "deepstarr_released":
            sizes = convert_deepstarr(tmp, files, window=entry["window"])
        else:
            sizes = convert_basset(tmp, files, window=entry["window"])
    log.info("%s: %s", out_dir, sizes)
    return sizes
