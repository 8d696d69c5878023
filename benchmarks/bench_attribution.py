"""Attribution speed: sequences per second of each method, and saturation mutagenesis against its bound.

For each model (random weights, eval mode; the arithmetic does not depend on training), on random
one-hot sequences of the model's input length:

- ``saliency``: gradient x input (one forward + backward per sequence);
- ``ism_naive`` and ``ism_fast``: saturation mutagenesis through tangermeme with ``fast=False`` (every
  substitution a full forward pass) and with its receptive-field-aware fastISM path forced on;
- ``deep_lift_shap``: ``--shuffles`` dinucleotide-shuffled references per sequence;
- ``forward``: plain forward passes, from which the ISM bound follows: 3L forward passes per sequence
  (the identity edit skipped), i.e. ``forward seq/s / (3L)`` sequences per second.

The ratio column of an ISM row is its speed over that bound: 1.0 is as fast as 3L independent forward
passes; above 1 the path does less work than the passes it replaces.

    python benchmarks/bench_attribution.py                       # CNN-25 (L=200) and DeepSTARR (L=249)
    python benchmarks/bench_attribution.py --models basset --length 600 --n 16

Writes a TSV (``--out``) with one row per model and method.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))

from seqcnn.attribution import deep_lift_shap_map, ism_map, saliency_map  # noqa: E402
from seqcnn.models import build_model  # noqa: E402

#: Input length of each model as published (CNN-25: Koo & Eddy's 200 bp; DeepSTARR: 249 bp).
LENGTHS = {"cnn_25": 200, "deepstarr": 249, "basset": 600, "deepbind": 101}


def random_one_hot(n: int, length: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    X = torch.zeros(n, 4, length)
    X[torch.arange(n)[:, None], torch.randint(0, 4, (n, length), generator=g), torch.arange(length)[None]] = 1
    return X


def timed(func, *args, **kwargs) -> float:
    start = time.perf_counter()
    func(*args, **kwargs)
    return time.perf_counter() - start


def forward_rate(model: torch.nn.Module, X: torch.Tensor, batch_size: int, repeats: int = 3) -> float:
    """Sequences per second of plain batched forward passes (the unit of the ISM bound)."""
    batch = X[:1].expand(batch_size, -1, -1).contiguous()
    with torch.no_grad():
        model(batch)
        best = min(timed(model, batch) for _ in range(repeats))
    return batch_size / best


def bench_model(name: str, length: int, n: int, shuffles: int, batch_size: int) -> list[dict]:
    torch.manual_seed(0)
    model = build_model(name, n_classes=1, seq_len=length).eval()
    X = random_one_hot(n, length)
    rows = []
    fwd = forward_rate(model, X, batch_size)
    bound = fwd / (3 * length)
    rows.append(
        {"model": name, "length": length, "method": "forward", "seqs_per_s": fwd, "ratio_to_bound": None}
    )
    # Warm-up calls (numba and torch.export caches), not timed.
    saliency_map(model, X[:2], 0)
    deep_lift_shap_map(model, X[:2], 0, n_shuffles=2)
    for method, call in (
        ("saliency", lambda: saliency_map(model, X, 0, batch_size=batch_size)),
        (
            "deep_lift_shap",
            lambda: deep_lift_shap_map(model, X, 0, n_shuffles=shuffles, batch_size=batch_size),
        ),
        ("ism_naive", lambda: ism_map(model, X, 0, batch_size=batch_size, fast=False)),
        ("ism_fast", lambda: _forced_fast_ism(model, X, batch_size)),
    ):
        seconds = timed(call)
        rate = n / seconds
        ratio = rate / bound if method.startswith("ism") else None
        rows.append(
            {"model": name, "length": length, "method": method, "seqs_per_s": rate, "ratio_to_bound": ratio}
        )
        print(
            f"{name:10s} {method:15s} {rate:9.2f} seq/s" + (f"  {ratio:.2f}x bound" if ratio else ""),
            flush=True,
        )
    return rows


def _forced_fast_ism(model: torch.nn.Module, X: torch.Tensor, batch_size: int) -> None:
    """fastISM even where tangermeme would judge the job too short to be worth capturing the model."""
    import tangermeme.saturation_mutagenesis as sm

    threshold = getattr(sm, "_FAST_MIN_SECONDS", None)
    if threshold is not None:
        sm._FAST_MIN_SECONDS = 0.0
    try:
        ism_map(model, X, 0, batch_size=batch_size, fast=True)
    finally:
        if threshold is not None:
            sm._FAST_MIN_SECONDS = threshold


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["cnn_25", "deepstarr"])
    parser.add_argument("--length", type=int, default=None, help="input length (default: the model's own)")
    parser.add_argument("--n", type=int, default=32, help="sequences per method")
    parser.add_argument("--shuffles", type=int, default=20, help="DeepLIFT-SHAP references per sequence")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="results/benchmarks/attribution.tsv")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = []
    for name in args.models:
        rows += bench_model(
            name, args.length or LENGTHS.get(name, 200), args.n, args.shuffles, args.batch_size
        )
    table = pd.DataFrame(rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, sep="\t", index=False, float_format="%.4g")
    print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
