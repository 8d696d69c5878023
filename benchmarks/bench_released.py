"""Peak memory and time to convert a DeepSEA bundle scaled up: the conversion streams, so memory stays flat.

A bundle in the released layout is generated block by block (``train.mat`` as MATLAB v7.3 / HDF5 with
``--rows`` training rows, ``valid.mat`` and ``test.mat`` as MATLAB v5 with ``--small-rows`` each), then
converted by :func:`seqcnn.released.build_released_dataset` in a child process whose peak resident memory
(``ru_maxrss``) and wall time are reported beside the size of the arrays converted. Nothing is kept unless
``--keep`` names a folder; the generated files are never committed.

    python benchmarks/bench_released.py --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow"))
sys.path.insert(0, str(ROOT / "tests"))

from released_fixtures import DEEPSEA_ORDER, mat73_header, onehot, random_codes  # noqa: E402


def write_train_mat(path: Path, rows: int, block: int, seed: int, length: int = 1000) -> None:
    """``train.mat`` with ``rows`` rows, written ``block`` rows at a time (h5py: (1000, 4, N), (919, N))."""
    import h5py

    rng = np.random.default_rng(seed)
    with h5py.File(path, "w", userblock_size=512) as h5:
        x = h5.create_dataset("trainxdata", shape=(length, 4, rows), dtype=np.uint8, chunks=(length, 4, 256))
        y = h5.create_dataset("traindata", shape=(919, rows), dtype=np.uint8, chunks=(919, 256))
        for start in range(0, rows, block):
            stop = min(rows, start + block)
            codes = random_codes(rng, stop - start, length)
            x[:, :, start:stop] = onehot(codes, DEEPSEA_ORDER).T
            y[:, start:stop] = (rng.random((919, stop - start)) < 0.02).astype(np.uint8)
    with open(path, "r+b") as fh:
        fh.write(mat73_header())


def write_small_mat(path: Path, split: str, rows: int, seed: int, length: int = 1000) -> None:
    import scipy.io

    rng = np.random.default_rng(seed)
    x = onehot(random_codes(rng, rows, length), DEEPSEA_ORDER)
    y = (rng.random((rows, 919)) < 0.02).astype(np.uint8)
    scipy.io.savemat(path, {f"{split}xdata": x, f"{split}data": y}, format="5")


CHILD = """
import json, resource, sys, time
sys.path.insert(0, {workflow!r})
from seqcnn.released import build_released_dataset
start = time.perf_counter()
sizes = build_released_dataset(json.loads({entry!r}), {out!r})
print(json.dumps({{"sizes": sizes, "seconds": time.perf_counter() - start,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="training rows of train.mat")
    parser.add_argument("--small-rows", type=int, default=8000, help="rows of valid.mat and test.mat")
    parser.add_argument("--keep", type=Path, default=None, help="write here and keep (default: a temp dir)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.keep) as tmp:
        bundle = Path(tmp) / "deepsea"
        bundle.mkdir()
        start = time.perf_counter()
        write_train_mat(bundle / "train.mat", args.rows, 20_000, args.seed)
        for i, split in enumerate(("valid", "test")):
            write_small_mat(bundle / f"{split}.mat", split, args.small_rows, args.seed + 1 + i)
        generated = time.perf_counter() - start
        entry = {
            "kind": "deepsea",
            "dir": str(bundle),
            "window": 1000,
            "classes": list(range(12)),
            "class_names": None,
            "keep": "all",
        }
        code = CHILD.format(
            workflow=str(ROOT / "workflow"), entry=json.dumps(entry), out=str(Path(tmp) / "out")
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        report = json.loads(result.stdout.strip().splitlines()[-1])
        input_gib = (args.rows + 2 * args.small_rows) * (4000 + 919) / 2**30
        report.update(
            {
                "train_rows": args.rows,
                "input_gib": round(input_gib, 2),
                "generate_seconds": round(generated, 1),
                "seconds": round(report["seconds"], 1),
                "peak_rss_mib": round(report["peak_rss_mib"], 0),
                "rows_per_second": round(sum(report["sizes"].values()) / report["seconds"]),
                "peak_rss_over_input": round(report["peak_rss_mib"] / 1024 / input_gib, 4),
            }
        )
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
