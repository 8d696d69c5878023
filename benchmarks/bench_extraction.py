"""Window extraction and encoding throughput: this pipeline against bedtools getfasta + Python one-hot.

A genome of at least 100 Mb is generated (or given with ``--genome``) and ``--windows`` random windows are
drawn. Ours: :func:`seqcnn.genome.load_genome_codes` (the genome read once into 1-byte codes) then
:func:`seqcnn.windows.extract` and :func:`seqcnn.sequence.one_hot_numpy`. Peer: ``bedtools getfasta -tab``
on the same BED, then a plain Python one-hot (a per-base dictionary lookup), as hand-written data code
often does; a NumPy lookup of the bedtools output is reported too. Both sides are timed end to end,
genome reading included, and the encoded windows are checked to be identical.

    apt-get install -y bedtools          # the peer only; the pipeline itself does not need bedtools
    python benchmarks/bench_extraction.py --size-mb 100 --windows 50000

Writes a TSV (``--out``) with windows per second of each side and the ratios.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))

from seqcnn.genome import load_genome_codes  # noqa: E402
from seqcnn.sequence import encode, one_hot_numpy  # noqa: E402
from seqcnn.windows import extract  # noqa: E402

ONE_HOT = {"A": (1, 0, 0, 0), "C": (0, 1, 0, 0), "G": (0, 0, 1, 0), "T": (0, 0, 0, 1)}


def write_genome(path: Path, size_mb: int, n_chroms: int, seed: int) -> dict[str, int]:
    """Random soft-masked genome with N runs, 60 bp lines."""
    rng = np.random.default_rng(seed)
    sizes = {f"chr{i + 1}": size_mb * 1_000_000 // n_chroms for i in range(n_chroms)}
    letters = np.frombuffer(b"ACGTacgt", dtype=np.uint8)
    with open(path, "wb") as fh:
        for name, n in sizes.items():
            seq = letters[rng.integers(0, 8, n)]
            seq[rng.integers(0, n - 10_000) :][:5000] = ord("N")
            fh.write(f">{name}\n".encode())
            lines = seq[: n // 60 * 60].reshape(-1, 60)
            fh.write(np.hstack([lines, np.full((len(lines), 1), ord("\n"), np.uint8)]).tobytes())
            if n % 60:
                fh.write(seq[n // 60 * 60 :].tobytes() + b"\n")
    return sizes


def ours(fasta: Path, chroms: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    codes = load_genome_codes(fasta, chroms=sorted(set(chroms)))
    return one_hot_numpy(extract(codes, chroms, starts, window))


def peer(fasta: Path, bed: Path, window: int, plain: bool) -> np.ndarray:
    out = subprocess.run(
        ["bedtools", "getfasta", "-fi", str(fasta), "-bed", str(bed), "-tab"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    X = np.zeros((len(out), 4, window), dtype=np.float32)
    for i, line in enumerate(out):
        seq = line.split("\t", 1)[1].upper()
        if plain:
            for j, base in enumerate(seq):
                if base in ONE_HOT:
                    X[i, :, j] = ONE_HOT[base]
        else:
            X[i] = one_hot_numpy(encode(seq)[None])[0]
    return X


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--genome", help="FASTA to use (default: generate one of --size-mb)")
    ap.add_argument("--size-mb", type=int, default=100)
    ap.add_argument("--windows", type=int, default=50_000)
    ap.add_argument("--window", type=int, default=600)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="results/benchmarks/extraction.tsv")
    args = ap.parse_args(argv)
    if shutil.which("bedtools") is None:
        sys.exit("bedtools not found on PATH (apt-get install -y bedtools): it is the peer being compared")
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.genome:
            fasta = Path(args.genome)
            sizes = dict(pd.read_csv(f"{fasta}.fai", sep="\t", header=None, usecols=[0, 1]).values)
        else:
            fasta = tmp / "genome.fa"
            t0 = time.perf_counter()
            sizes = write_genome(fasta, args.size_mb, 4, args.seed)
            print(f"generated {sum(sizes.values()) / 1e6:.0f} Mb in {time.perf_counter() - t0:.1f} s")
            subprocess.run(["bedtools", "getfasta", "-fi", fasta, "-bed", "/dev/null"], capture_output=True)
        names = np.array(list(sizes))
        chroms = names[rng.integers(0, len(names), args.windows)]
        starts = np.array([rng.integers(0, sizes[c] - args.window) for c in chroms])
        bed = tmp / "windows.bed"
        pd.DataFrame({"c": chroms, "s": starts, "e": starts + args.window}).to_csv(
            bed, sep="\t", header=False, index=False
        )
        timings = {}
        results = {}
        for label, fn in (
            ("seqcnn", lambda: ours(fasta, chroms, starts, args.window)),
            ("bedtools_numpy", lambda: peer(fasta, bed, args.window, plain=False)),
            ("bedtools_python", lambda: peer(fasta, bed, args.window, plain=True)),
        ):
            t0 = time.perf_counter()
            results[label] = fn()
            timings[label] = time.perf_counter() - t0
            print(f"{label}: {timings[label]:.2f} s ({args.windows / timings[label]:,.0f} windows/s)")
        assert all(np.array_equal(results["seqcnn"], r) for r in results.values()), "encodings differ"
    row = {
        "genome_mb": round(sum(sizes.values()) / 1e6, 1),
        "windows": args.windows,
        "window_bp": args.window,
        **{f"{k}_windows_per_s": round(args.windows / v, 1) for k, v in timings.items()},
        "ratio_vs_bedtools_python": round(timings["bedtools_python"] / timings["seqcnn"], 2),
        "ratio_vs_bedtools_numpy": round(timings["bedtools_numpy"] / timings["seqcnn"], 2),
    }
    table = pd.DataFrame([row])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, sep="\t", index=False)
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
