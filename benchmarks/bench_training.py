"""Training throughput of the engine against the compute bound of the same model.

For each model, sequences per second through :func:`seqcnn.train.train_epoch` (resident codes, per-batch
shuffling, one-hot on the device, loss, penalty, Adam) are compared with the bound: the same
forward + backward + optimiser steps on one-hot batches staged on the device beforehand. Engine and
bound epochs are interleaved and the median of each is reported, so machine noise hits both alike.

    python benchmarks/bench_training.py                      # CNN-25 and CNN-1, synthetic dataset
    python benchmarks/bench_training.py --models cnn_25 --repeats 5 --device cuda

Writes a TSV (``--out``) with seq/s of both and their ratio (target >= 0.9). With ``--full-trial`` it
also trains each model once to completion (early stopping, spec settings) and adds the wall time and
epochs of that trial.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
import yaml  # noqa: E402

from seqcnn.datasets import load_meta, load_split  # noqa: E402
from seqcnn.models import build_model  # noqa: E402
from seqcnn.synthetic import build_synthetic_dataset  # noqa: E402
from seqcnn.train import (  # noqa: E402
    BatchSource,
    TrainSettings,
    bce_loss,
    penalty,
    pick_device,
    train_epoch,
    train_model,
)

ROOT = Path(__file__).resolve().parents[1]


def bound_epoch(model, optimizer, batches, settings, device) -> float:
    """Forward + backward + step over pre-staged batches; returns seconds."""
    model.train()
    t0 = time.perf_counter()
    for xb, yb in batches:
        optimizer.zero_grad(set_to_none=True)
        loss = bce_loss(model(xb), yb, settings.prob_clip)
        (loss + penalty(model, settings.l2)).backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - t0


def benchmark(model_name, dataset, device, repeats, settings) -> dict:
    meta = load_meta(dataset)
    X, y = load_split(dataset, "train")
    source = BatchSource(X, y, device)
    torch.manual_seed(0)
    model = build_model(model_name, n_classes=len(meta["classes"]), seq_len=meta["seq_len"]).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=settings.lr, betas=(settings.beta1, settings.beta2))
    gen = torch.Generator().manual_seed(0)
    # Pre-staged: every batch of one epoch already one-hot and on the device.
    staged = [(xb.clone(), yb.clone()) for xb, yb in source.batches(settings.batch_size, gen)]
    n = sum(len(xb) for xb, _ in staged)
    bound_epoch(model, opt, staged[:20], settings, device)  # warm-up
    engine_s, bound_s = [], []
    for _ in range(repeats):
        engine_s.append(train_epoch(model, opt, source, settings, gen)[1])
        bound_s.append(bound_epoch(model, opt, staged, settings, device))
    engine = n / statistics.median(engine_s)
    bound = n / statistics.median(bound_s)
    return {
        "model": model_name,
        "device": str(device),
        "threads": torch.get_num_threads(),
        "sequences_per_epoch": n,
        "engine_seq_per_s": round(engine, 1),
        "bound_seq_per_s": round(bound, 1),
        "ratio": round(engine / bound, 3),
        "engine_epoch_s": round(statistics.median(engine_s), 3),
        "bound_epoch_s": round(statistics.median(bound_s), 3),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["cnn_25", "cnn_1"])
    ap.add_argument("--dataset", help="dataset directory (default: build the synthetic one in a temp dir)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3, help="interleaved epochs of each kind")
    ap.add_argument("--full-trial", action="store_true", help="also time one complete trial per model")
    ap.add_argument("--out", default="results/benchmarks/training_throughput.tsv")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    settings = TrainSettings()
    with tempfile.TemporaryDirectory() as tmp:
        dataset = args.dataset
        if dataset is None:
            dataset = Path(tmp) / "synthetic"
            config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
            build_synthetic_dataset(config["synthetic"]["motif_ids"], dataset, Path(tmp) / "summary.tsv")
        rows = [benchmark(m, dataset, device, args.repeats, settings) for m in args.models]
        if args.full_trial:
            for row in rows:
                t0 = time.perf_counter()
                summary = train_model(
                    row["model"], dataset, Path(tmp) / "runs" / row["model"], device=args.device
                )
                row["full_trial_s"] = round(time.perf_counter() - t0, 1)
                row["full_trial_epochs"] = summary["epochs"]
    table = pd.DataFrame(rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, sep="\t", index=False)
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
