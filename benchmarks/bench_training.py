"""Training throughput of the engine against the compute bound of the same model.

For each model, sequences per second through :func:`seqcnn.train.train_epoch` (resident codes, per-batch
shuffling, one-hot on the device, loss, penalty, Adam) are compared with the bound: the same
forward + backward + optimiser steps on one-hot batches staged on the device beforehand. Engine and
bound epochs are interleaved and the median of each is reported, so machine noise hits both alike.

    python benchmarks/bench_training.py                      # CNN-25 and CNN-1, synthetic dataset
    python benchmarks/bench_training.py --models cnn_25 --repeats 5 --device cuda
    python benchmarks/bench_training.py --models deepstarr \
        --dataset results/toy/starr/dataset --batch-size 128
    python benchmarks/bench_training.py --models basset \
        --dataset results/toy/peaks/dataset --batch-size 128

Any registered model on any dataset: binary or regression targets, sequence and/or track inputs.

Writes a TSV (``--out``) with seq/s of both and their ratio (target >= 0.9). With ``--full-trial`` it
also trains each model once to completion (early stopping, spec settings) and adds the wall time and
epochs of that trial.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
import yaml  # noqa: E402

from seqcnn.datasets import load_split, load_tracks  # noqa: E402
from seqcnn.predict import call_model, pick_device  # noqa: E402
from seqcnn.synthetic import build_synthetic_dataset  # noqa: E402
from seqcnn.train import (  # noqa: E402
    BatchSource,
    TrainSettings,
    build_run_model,
    make_optimizer,
    penalty,
    resolve_run,
    task_loss,
    train_epoch,
    train_model,
)

ROOT = Path(__file__).resolve().parents[1]


def synthetic_dataset(tmp: Path) -> Path:
    """Koo & Eddy's synthetic dataset of the default config, built under ``tmp``."""
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    build_synthetic_dataset(
        config["datasets"]["ke_synthetic"]["motif_ids"], tmp / "synthetic", tmp / "summary.tsv"
    )
    return tmp / "synthetic"


def bound_epoch(model, optimizer, batches, settings, device, task="binary") -> float:
    """Forward + backward + step over pre-staged batches; returns seconds."""
    model.train()
    t0 = time.perf_counter()
    for xb, yb in batches:
        optimizer.zero_grad(set_to_none=True)
        loss = task_loss(call_model(model, xb), yb, task, settings)
        (loss + penalty(model, settings.l2)).backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - t0


def benchmark(model_name, dataset, device, repeats, settings, limit=None, model_options=None) -> dict:
    spec = resolve_run(model_name, dataset, model_options=model_options)
    task = spec["task"]
    X, y = load_split(dataset, "train")
    tracks = load_tracks(dataset, "train") if "tracks" in spec["inputs"] else None
    keep = slice(0, limit)  # the first `limit` training sequences (all by default)
    source = BatchSource(
        X[keep] if "sequence" in spec["inputs"] else None,
        y[keep],
        device,
        tracks=tracks[keep] if tracks is not None else None,
        crop=spec["crop"],
    )
    torch.manual_seed(0)
    model = build_run_model(model_name, spec).to(device)
    opt = make_optimizer(model, settings)
    gen = torch.Generator().manual_seed(0)
    # Pre-staged: every batch of one epoch already one-hot and on the device.
    staged = [
        ({k: v.clone() for k, v in xb.items()}, yb.clone())
        for xb, yb in source.batches(settings.batch_size, gen)
    ]
    n = sum(len(yb) for _, yb in staged)
    bound_epoch(model, opt, staged[:20], settings, device, task)  # warm-up
    engine_s, bound_s = [], []
    for _ in range(repeats):
        engine_s.append(train_epoch(model, opt, source, settings, gen, task)[1])
        bound_s.append(bound_epoch(model, opt, staged, settings, device, task))
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
    ap.add_argument("--batch-size", type=int, default=TrainSettings.batch_size)
    ap.add_argument("--limit", type=int, help="time on the first N training sequences only")
    ap.add_argument("--options", default="{}", help="model options as JSON")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved epochs of each kind")
    ap.add_argument("--full-trial", action="store_true", help="also time one complete trial per model")
    ap.add_argument("--out", default="results/benchmarks/training_throughput.tsv")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    settings = TrainSettings(batch_size=args.batch_size)
    with tempfile.TemporaryDirectory() as tmp:
        dataset = args.dataset
        if dataset is None:
            dataset = synthetic_dataset(Path(tmp))
        options = json.loads(args.options)
        rows = [
            benchmark(m, dataset, device, args.repeats, settings, args.limit, options) for m in args.models
        ]
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
