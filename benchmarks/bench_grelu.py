"""The training engine against a peer: the same CNN-25 trained by gReLU's Lightning loop.

gReLU (1.1.0) is not a dependency of the project; install it apart, e.g. in a virtual environment that
sees this one's packages, with torch held at this project's version:

    python -m venv --system-site-packages /tmp/grelu && echo torch==2.13.0 > /tmp/c.txt
    /tmp/grelu/bin/pip install grelu==1.1.0 -c /tmp/c.txt
    /tmp/grelu/bin/python benchmarks/bench_grelu.py --threads 2

Both train the project's CNN-25 (gReLU's ``LightningModel`` is handed it as its model) on the synthetic
dataset's training split with batch 100 and Adam, and are timed per training epoch (gReLU: from a
Lightning callback, so its validation passes are left out; its data loader one-hot encodes each item, as
gReLU does). The median epoch of each is reported in sequences per second, and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
from bench_training import synthetic_dataset  # noqa: E402

from seqcnn.datasets import load_split  # noqa: E402
from seqcnn.sequence import ALPHABET  # noqa: E402
from seqcnn.train import BatchSource, TrainSettings, build_run_model, make_optimizer, resolve_run, train_epoch  # noqa: E402


def grelu_rate(dataset: Path, limit: int, epochs: int, workers: int) -> float:
    """Median training epoch of gReLU's Lightning loop on CNN-25, in sequences per second."""
    import grelu.model.models
    import pytorch_lightning as pl
    from grelu.data.dataset import LabeledSeqDataset
    from grelu.lightning import LightningModel

    spec = resolve_run("cnn_25", dataset)

    class CNN25(torch.nn.Module):
        """The project's CNN-25, with gReLU's output shape (N, tasks, length 1)."""

        def __init__(self, **_):
            super().__init__()
            self.net = build_run_model("cnn_25", spec)
            self.head = SimpleNamespace(n_tasks=len(spec["classes"]))  # what gReLU reads of its heads

        def forward(self, x):
            return self.net(x).unsqueeze(-1)

    grelu.model.models.SeqcnnCNN25 = CNN25

    def data(split):
        X, y = load_split(dataset, split)
        X, y = X[:limit], y[:limit]
        seqs = ["".join(ALPHABET[c] for c in row) for row in X]
        return LabeledSeqDataset(seqs, labels=y[:, :, None].astype("float32"), tasks=spec["classes"])

    times: list[float] = []

    class EpochTimer(pl.Callback):
        def on_train_epoch_start(self, trainer, module):
            self.t0 = time.perf_counter()

        def on_train_epoch_end(self, trainer, module):
            times.append(time.perf_counter() - self.t0)

    train, valid = data("train"), data("valid")
    with tempfile.TemporaryDirectory() as save_dir:
        model = LightningModel(
            model_params={"model_type": "SeqcnnCNN25"},
            train_params={
                "task": "binary",
                "loss": "bce",
                "lr": 1e-3,
                "batch_size": 100,
                "num_workers": workers,
                "max_epochs": epochs,
                "devices": "cpu",
                "save_dir": save_dir,
                "checkpoint": True,
            },
        )
        # gReLU's own loop (train_on_dataset) with the epoch timer added to its trainer.
        original = pl.Trainer.__init__

        def with_timer(self, *args, callbacks=None, **kwargs):
            original(self, *args, callbacks=[*(callbacks or []), EpochTimer()], **kwargs)

        pl.Trainer.__init__ = with_timer
        try:
            model.train_on_dataset(train, valid)
        finally:
            pl.Trainer.__init__ = original
    return len(train) / statistics.median(times[1:] or times)


def engine_rate(dataset: Path, limit: int, epochs: int) -> float:
    """Median training epoch of seqcnn.train.train_epoch on CNN-25, in sequences per second."""
    settings = TrainSettings()
    spec = resolve_run("cnn_25", dataset)
    X, y = load_split(dataset, "train")
    source = BatchSource(X[:limit], y[:limit], torch.device("cpu"))
    torch.manual_seed(0)
    model = build_run_model("cnn_25", spec)
    opt = make_optimizer(model, settings)
    gen = torch.Generator().manual_seed(0)
    times = [train_epoch(model, opt, source, settings, gen)[1] for _ in range(epochs)]
    return source.n / statistics.median(times[1:] or times)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", help="dataset directory (default: build the synthetic one in a temp dir)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=17500, help="training sequences per epoch")
    ap.add_argument("--epochs", type=int, default=4, help="epochs of each (the first is not counted)")
    ap.add_argument("--workers", type=int, default=1, help="gReLU data-loader workers (its default: 1)")
    ap.add_argument("--out", default="results/benchmarks/grelu.tsv")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        dataset = Path(args.dataset) if args.dataset else synthetic_dataset(Path(tmp))
        engine = engine_rate(dataset, args.limit, args.epochs)
        peer = grelu_rate(dataset, args.limit, args.epochs, args.workers)
    import grelu

    row = {
        "model": "cnn_25",
        "threads": args.threads,
        "grelu": grelu.__version__,
        "engine_seq_per_s": round(engine, 1),
        "grelu_seq_per_s": round(peer, 1),
        "engine/grelu": round(engine / peer, 3),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame([row]).to_csv(args.out, sep="\t", index=False)
    print(pd.DataFrame([row]).to_string(index=False))


if __name__ == "__main__":
    main()
