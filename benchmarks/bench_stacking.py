"""Trials trained together (seqcnn.stacked) against trials trained apart, and both against the bound.

For each model, on the synthetic dataset (its first ``--limit`` training sequences), the median of
``--repeats`` epochs of:

* ``bound``: the eager bound, forward + backward + Adam on pre-staged one-hot batches, one trial, all
  ``--threads`` threads (benchmarks/bench_training.py);
* ``apart_1t``: the per-trial engine (:func:`seqcnn.train.train_epoch`) on one thread;
* ``apart_jobs``: ``--threads`` such one-thread engines at once in separate processes, as the DAG runs
  one job per trial on ``--cores`` (the default), summed;
* ``stacked``: ``--trials`` trials in one stacked computation (:func:`seqcnn.stacked.stacked_epoch`) on all
  threads, counting every trial's sequences;
* ``stacked_jobs``: ``--threads`` one-thread stacked processes at once, summed.

Every rate is in trial-sequences per second and set against ``bound`` (the issue's target: stacked
>= 1.5 x bound for 5 trials of CNN-25 on 2 cores). The model's arithmetic per sequence (multiply-adds of
one forward pass, x 3 for forward and backward) and the machine's measured float32 matmul rate give the
distance of the bound to the physical limit. With ``--epochs-from`` (a study's ``runs/`` directory) it
projects the whole study's wall time from the epochs each model's trials ran there.

    python benchmarks/bench_stacking.py                                   # CNN-25, CNN-1, CNN-50-2, CNN-1-3
    python benchmarks/bench_stacking.py --models cnn_25 --repeats 5 --limit 17500
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
import yaml  # noqa: E402
from bench_training import bound_epoch, synthetic_dataset  # noqa: E402

from seqcnn.datasets import load_split  # noqa: E402
from seqcnn.resources import model_size  # noqa: E402
from seqcnn.stacked import TrialStack, stacked_epoch  # noqa: E402
from seqcnn.train import (  # noqa: E402
    BatchSource,
    TrainSettings,
    build_run_model,
    make_optimizer,
    resolve_run,
    train_epoch,
)

ROOT = Path(__file__).resolve().parents[1]


def _source(dataset: Path, limit: int) -> BatchSource:
    X, y = load_split(dataset, "train")
    return BatchSource(X[:limit], y[:limit], torch.device("cpu"))


def measure(kind: str, model_name: str, dataset: Path, limit: int, repeats: int, trials: int) -> float:
    """Median trial-sequences per second of ``kind`` (bound, apart or stacked) in this process."""
    settings = TrainSettings()
    spec = resolve_run(model_name, dataset)
    source = _source(dataset, limit)
    gens = [torch.Generator().manual_seed(t) for t in range(trials)]
    models = []
    for t in range(trials if kind == "stacked" else 1):
        torch.manual_seed(t)
        models.append(build_run_model(model_name, spec))
    if kind == "stacked":
        stack = TrialStack(models[0], [m.state_dict() for m in models], [None] * trials, settings)

        def epoch():
            return stacked_epoch(stack, source, settings, gens, spec["task"])[1]

        per_epoch = trials * source.n
    else:
        model, opt = models[0], make_optimizer(models[0], settings)
        staged = [
            ({k: v.clone() for k, v in xb.items()}, yb.clone()) for xb, yb in source.batches(100, gens[0])
        ]

        def epoch():
            if kind == "bound":
                return bound_epoch(model, opt, staged, settings, torch.device("cpu"), spec["task"])
            return train_epoch(model, opt, source, settings, gens[0], spec["task"])[1]

        per_epoch = source.n
    epoch()  # warm-up
    return per_epoch / statistics.median(epoch() for _ in range(repeats))


def in_processes(n: int, kind: str, args, dataset: Path) -> float:
    """Summed rate of ``n`` one-thread processes measuring ``kind`` at the same time."""
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        kind,
        "--models",
        args.models[0],
        "--dataset",
        str(dataset),
        "--limit",
        str(args.limit),
        "--repeats",
        str(args.repeats),
        "--trials",
        str(args.trials),
        "--threads",
        "1",
    ]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(n)]
    rates = [float(json.loads(p.communicate()[0].strip().splitlines()[-1])["rate"]) for p in procs]
    return sum(rates)


def matmul_rate(threads: int, n: int = 1536, repeats: int = 10, tries: int = 5) -> float:
    """Measured float32 matmul rate (FLOP/s) on ``threads`` threads: the best of ``tries`` timings (a peak,
    so the fastest is the truest; on these machines single timings vary by up to 1.6x)."""
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = float("inf")
    for _ in range(tries):
        t0 = time.perf_counter()
        for _ in range(repeats):
            a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 * repeats / best


def forward_flops(model_name: str, dataset: Path) -> float:
    """Arithmetic of one forward pass of one sequence (2 FLOP a multiply-add); a training step is 3x."""
    return 2 * model_size(model_name, resolve_run(model_name, dataset)).macs


def epochs_run(runs: Path) -> dict[str, list[int]]:
    """Epochs each trial of each model ran, from a study's ``runs/<model>/trial<t>/metrics.tsv``."""
    out: dict[str, list[int]] = {}
    for metrics in sorted(runs.glob("*/trial*/metrics.tsv")):
        out.setdefault(metrics.parent.parent.name, []).append(len(pd.read_csv(metrics, sep="\t")))
    return out


def project(args) -> None:
    """Wall time of the default run's trainings on ``--threads`` cores, one one-thread job per trial,
    from each model's measured rate (training plus one validation pass per epoch), and the arithmetic
    floor: the run's multiply-adds at the machine's measured matmul rate on all cores."""
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    study = config["studies"]["koo_eddy"]
    models = list(dict.fromkeys([*study["models"], *(d["model"] for d in study.get("deeper_layers", []))]))
    settings = TrainSettings()
    peak = matmul_rate(args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        dataset = synthetic_dataset(Path(tmp))
        n_train, n_valid = (len(load_split(dataset, s)[1]) for s in ("train", "valid"))
        for name in models:
            one = argparse.Namespace(**{**vars(args), "models": [name]})
            rate = in_processes(args.threads, "apart", one, dataset)  # summed over the side-by-side jobs
            # A validation pass is a forward pass: about a third of a training step per sequence.
            epoch_s = args.threads * (n_train + n_valid / 3) / rate
            rows.append(
                {
                    "model": name,
                    "jobs_seq_per_s": rate,
                    "epoch_s_per_job": epoch_s,
                    "epoch_gflop": forward_flops(name, dataset) * (3 * n_train + n_valid) / 1e9,
                }
            )
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    trials = study["trials"]
    spans = {"earliest": settings.patience + 1, "typical": args.epochs, "max_epochs": settings.max_epochs}
    for label, epochs in spans.items():
        table[f"trial_min_{label}"] = table["epoch_s_per_job"] * epochs / 60
    total = {k: trials * table[f"trial_min_{k}"].sum() / args.threads / 60 for k in spans}
    floor_h = trials * args.epochs * table["epoch_gflop"].sum() * 1e9 / peak / 3600
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.round(3).to_csv(args.out, sep="\t", index=False)
    print(table.round(2).to_string(index=False))
    print(
        f"{len(models)} models x {trials} trials on {args.threads} cores: {total['typical']:.2f} h at "
        f"{args.epochs} epochs a trial; {total['earliest']:.2f} h if every trial stopped at its earliest "
        f"({spans['earliest']} epochs), {total['max_epochs']:.2f} h at {spans['max_epochs']} epochs each"
    )
    print(
        f"arithmetic floor at {args.epochs} epochs a trial: {floor_h:.2f} h "
        f"({table['epoch_gflop'].sum():.0f} GFLOP an epoch of every model at the measured "
        f"{peak / 1e9:.0f} GFLOP/s matmul rate on {args.threads} cores)"
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["cnn_25", "cnn_1", "cnn_50_2", "cnn_1_3"])
    ap.add_argument("--dataset", help="dataset directory (default: build the synthetic one in a temp dir)")
    ap.add_argument("--threads", type=int, default=2, help="cores: threads of one process, or processes")
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--limit", type=int, default=5000, help="training sequences per epoch")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs-from", type=Path, help="a study's runs/ directory: project its wall time")
    ap.add_argument(
        "--project",
        action="store_true",
        help="only the one-thread jobs' rate of every model of the default run, and its wall time between "
        "the earliest stop (patience + 1 epochs) and max_epochs",
    )
    ap.add_argument(
        "--epochs",
        type=int,
        default=48,
        help="epochs of a typical trial for --project (full runs here: CNN-25 45 epochs, CNN-1 50)",
    )
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--out", default="results/benchmarks/stacking.tsv")
    args = ap.parse_args(argv)
    if args.worker:
        torch.set_num_threads(args.threads)
        rate = measure(args.worker, args.models[0], Path(args.dataset), args.limit, args.repeats, args.trials)
        print(json.dumps({"rate": rate}))
        return
    if args.project:
        project(args)
        return
    peak = matmul_rate(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        dataset = Path(args.dataset) if args.dataset else synthetic_dataset(Path(tmp))
        rows = []
        for name in args.models:
            one = argparse.Namespace(**{**vars(args), "models": [name]})
            torch.set_num_threads(args.threads)
            row = {"model": name, "cores": args.threads, "trials": args.trials}
            row["bound"] = measure("bound", name, dataset, args.limit, args.repeats, 1)
            row["stacked"] = measure("stacked", name, dataset, args.limit, args.repeats, args.trials)
            torch.set_num_threads(1)
            row["apart_1t"] = measure("apart", name, dataset, args.limit, args.repeats, 1)
            row["apart_jobs"] = in_processes(args.threads, "apart", one, dataset)
            row["stacked_jobs"] = in_processes(args.threads, "stacked", one, dataset)
            for key in ("stacked", "apart_jobs", "stacked_jobs"):
                row[f"{key}/bound"] = row[key] / row["bound"]
            row["stacked_jobs/apart_jobs"] = row["stacked_jobs"] / row["apart_jobs"]
            flops = 3 * forward_flops(name, dataset)  # forward + backward per sequence
            row["gflop_per_seq"] = flops / 1e9
            row["bound/matmul_peak"] = row["bound"] * flops / peak
            rows.append(row)
            print({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}, flush=True)
    table = pd.DataFrame(rows)
    table["matmul_gflops"] = peak / 1e9
    if args.epochs_from:
        n_train = len(load_split(dataset, "train")[1]) if args.dataset else 17500
        epochs = epochs_run(args.epochs_from)
        # Training seconds of every trial at the rate of one-thread jobs side by side (the DAG's default).
        table["trial_epochs"] = [sum(epochs.get(m, [])) for m in table["model"]]
        table["projected_train_h"] = table["trial_epochs"] * n_train / table["apart_jobs"] / 3600
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.round(4).to_csv(args.out, sep="\t", index=False)
    print(table.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
