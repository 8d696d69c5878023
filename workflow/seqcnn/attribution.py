"""Attribution maps of trained sequence models: saliency, saturation mutagenesis and DeepLIFT-SHAP.

The maps come from tangermeme (``saliency`` with gradient correction, ``saturation_mutagenesis``,
``deep_lift_shap`` with dinucleotide-shuffled references); this module picks the sequences (the top-scoring
test positives of each task), checks that a model can be explained by DeepLIFT before it is asked to, and
measures what DeepLIFT promises: the contributions of a sequence sum to its output minus the mean output
of its references. A model whose convergence deltas exceed a threshold is reported by name, with the
operations that break the rule where they can be found (a functional ``relu`` or ``amax`` that bypasses
the modules DeepLIFT has rules for, a module called twice in one forward pass).

Shapes: one-hot ``X`` is ``(N, 4, L)`` in ACGT order; every map has the shape of ``X``.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from .datasets import load_split, load_tracks
from .errors import InputError
from .io import atomic_path, write_tsv
from .predict import crop_window, load_run, pick_device, predict, read_settings
from .sequence import one_hot

log = logging.getLogger(__name__)

#: Attribution methods, in the order they are computed and stored.
METHODS = ("saliency", "ism", "deep_lift_shap")

#: Module types DeepLIFT (tangermeme 1.6) has a rule for; every other module is treated as linear.
_RULED = (
    nn.ReLU,
    nn.ELU,
    nn.LeakyReLU,
    nn.GELU,
    nn.SiLU,
    nn.Sigmoid,
    nn.Tanh,
    nn.Softplus,
    nn.MaxPool1d,
    nn.MaxPool2d,
    nn.Softmax,
)

#: Functional calls that are nonlinear: outside a ruled module DeepLIFT takes them for linear.
_NONLINEAR_FUNCS = {
    torch.relu: "relu",
    torch.nn.functional.relu: "F.relu",
    torch.sigmoid: "sigmoid",
    torch.tanh: "tanh",
    torch.amax: "amax",
    torch.Tensor.amax: "amax",
    torch.max: "max",
    torch.Tensor.max: "max",
    torch.nn.functional.max_pool1d: "F.max_pool1d",
    torch.nn.functional.max_pool2d: "F.max_pool2d",
    torch.softmax: "softmax",
    torch.nn.functional.softmax: "F.softmax",
    torch.nn.functional.gelu: "F.gelu",
}


def deep_lift_refusal(model: nn.Module) -> str | None:
    """Why DeepLIFT cannot explain ``model`` faithfully, or None when it can.

    DeepLIFT's rescale rule covers elementwise activations and max-pooling; the gated products inside a
    recurrent layer and a squeeze-excite block's activation-times-activation have no rule, and tangermeme
    would silently treat them as linear.
    """
    inputs = tuple(getattr(model, "inputs", ("sequence",)))
    if "sequence" not in inputs:
        return f"{type(model).__name__} reads {' and '.join(inputs)} only, no sequence to attribute"
    for name, module in model.named_modules():
        if isinstance(module, nn.RNNBase):
            return (
                f"its recurrent layer {name!r} ({type(module).__name__}) multiplies gates with states, and "
                "DeepLIFT has no rule for that product"
            )
        if type(module).__name__ == "SqueezeExcite":
            return (
                f"its squeeze-excite block {name!r} multiplies activations by activations, and DeepLIFT "
                "has no rule for that product"
            )
    return None


class _OpRecorder(TorchFunctionMode):
    """Records nonlinear functional calls made outside a module DeepLIFT has a rule for."""

    def __init__(self, stack: list[nn.Module]):
        super().__init__()
        self.stack = stack
        self.found: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = _NONLINEAR_FUNCS.get(func)
        if name is not None and not (self.stack and isinstance(self.stack[-1], _RULED)):
            where = getattr(self.stack[-1], "_seqcnn_path", "") if self.stack else ""
            self.found.append(f"{name} in {where or 'forward'}")
        return func(*args, **(kwargs or {}))


def unsupported_ops(model: nn.Module, inputs: Sequence[torch.Tensor]) -> list[str]:
    """Operations that break DeepLIFT's summation in one forward pass of ``model`` on ``inputs``.

    Returns
    -------
    list of str
        ``"F.relu in conv_block"``-style entries for nonlinear functional calls outside a module with a
        DeepLIFT rule, and ``"module X called N times"`` for ruled modules reused within one pass; empty
        when none is found (the cause of a large delta is then unknown).
    """
    stack: list[nn.Module] = []
    calls: dict[str, int] = {}
    handles = []
    for path, module in model.named_modules():
        module._seqcnn_path = path or type(model).__name__

        def pre(mod, args, path=path):
            stack.append(mod)
            calls[path] = calls.get(path, 0) + 1

        def post(mod, args, out):
            stack.pop()

        handles += [module.register_forward_pre_hook(pre), module.register_forward_hook(post)]
    recorder = _OpRecorder(stack)
    try:
        with torch.no_grad(), recorder:
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
        for module in model.modules():
            module.__dict__.pop("_seqcnn_path", None)
    ruled = {p for p, m in model.named_modules() if isinstance(m, _RULED)}
    reused = [f"module {p!r} called {n} times" for p, n in calls.items() if n > 1 and p in ruled]
    return list(dict.fromkeys(recorder.found)) + reused


def _forward(model: nn.Module, X: torch.Tensor, args: tuple, target: int) -> torch.Tensor:
    with torch.no_grad():
        return model(X, *args)[:, target]


def saliency_map(
    model: nn.Module, X: torch.Tensor, target: int, args: tuple = (), batch_size: int = 64
) -> torch.Tensor:
    """Gradient x input with gradient correction (the gradient minus its mean over the 4 bases).

    Returns
    -------
    torch.Tensor
        ``(N, 4, L)``, non-zero at the observed bases only.
    """
    from tangermeme.saliency import saliency

    args = tuple(args) or None
    return saliency(model, X, args=args, target=target, batch_size=batch_size, device=X.device)


def ism_map(
    model: nn.Module,
    X: torch.Tensor,
    target: int,
    args: tuple = (),
    batch_size: int = 64,
    fast: bool = True,
) -> torch.Tensor:
    """Saturation mutagenesis: output of every single-base substitution minus the output of ``X``.

    Returns
    -------
    torch.Tensor
        ``(N, 4, L)``: entry ``[n, b, i]`` is ``f(X_n with base b at i) - f(X_n)`` for output ``target``
        (0 at the observed bases).
    """
    from tangermeme.saturation_mutagenesis import saturation_mutagenesis

    y0, y1 = saturation_mutagenesis(
        model,
        X,
        args=tuple(args) or None,
        batch_size=batch_size,
        raw_outputs=True,
        fast=fast,
        device=X.device,
    )
    # Raw outputs hold every output: (N, T) before and (N, 4, L, T) after each substitution.
    return (y1[..., target] - y0[:, target, None, None]).float().to(X.device)


def ism_naive(model: nn.Module, X: torch.Tensor, target: int, args: tuple = ()) -> torch.Tensor:
    """Saturation mutagenesis by an explicit loop over positions and bases (the reference for tests)."""
    out = torch.zeros_like(X)
    base = _forward(model, X, args, target)
    for i in range(X.shape[-1]):
        for b in range(4):
            Xm = X.clone()
            Xm[:, :, i] = 0
            Xm[:, b, i] = 1
            out[:, b, i] = _forward(model, Xm, args, target) - base
    return out


def deep_lift_shap_map(
    model: nn.Module,
    X: torch.Tensor,
    target: int,
    args: tuple = (),
    n_shuffles: int = 20,
    random_state: int = 0,
    batch_size: int = 64,
    references: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """DeepLIFT-SHAP with dinucleotide-shuffled references, hypothetical contributions kept.

    Parameters
    ----------
    args
        Further inputs of the model (accessibility tracks), held fixed: they get no attribution.
    n_shuffles
        References per sequence.
    references
        ``(N, R, 4, L)`` references to use instead of ``n_shuffles`` dinucleotide shuffles.

    Returns
    -------
    hypothetical, deltas
        ``(N, 4, L)`` hypothetical contributions (``hypothetical * X`` are the contributions) and ``(N,)``
        convergence deltas: summed contributions minus ``f(X) - mean f(references)``.

    Raises
    ------
    InputError
        For a model DeepLIFT has no rules for (:func:`deep_lift_refusal`).
    """
    from tangermeme.deep_lift_shap import deep_lift_shap
    from tangermeme.ersatz import dinucleotide_shuffle

    reason = deep_lift_refusal(model)
    if reason is not None:
        raise InputError(
            f"DeepLIFT-SHAP cannot explain {type(model).__name__}: {reason}; expected saliency or saturation "
            "mutagenesis for it"
        )
    args = tuple(args)
    if references is not None:
        n_shuffles = references.shape[1]
    with warnings.catch_warnings():
        # Deltas are measured and reported below, per model; tangermeme's own warning would repeat it.
        warnings.simplefilter("ignore")
        hyp, refs = deep_lift_shap(
            model,
            X,
            args=args or None,
            target=target,
            batch_size=batch_size,
            references=dinucleotide_shuffle if references is None else references,
            n_shuffles=n_shuffles,
            hypothetical=True,
            return_references=True,
            random_state=random_state,
            warning_threshold=float("inf"),
            device=X.device,
        )
    refs = refs.to(X.device).reshape(-1, *X.shape[1:]).float()
    rep = tuple(a.repeat_interleave(n_shuffles, dim=0) for a in args)
    with torch.no_grad():
        f_ref = torch.cat(
            [
                _forward(model, refs[i : i + 1024], tuple(a[i : i + 1024] for a in rep), target)
                for i in range(0, len(refs), 1024)
            ]
        )
    f_ref = f_ref.reshape(len(X), n_shuffles).mean(1)
    hyp = hyp.to(X.device).float()
    deltas = (hyp * X).sum(dim=(1, 2)) - (_forward(model, X, args, target) - f_ref)
    return hyp, deltas


def top_positives(y: np.ndarray, y_hat: np.ndarray, n: int, task: str = "binary") -> tuple[np.ndarray, bool]:
    """Rows of the ``n`` top-scoring positives of one task, best first.

    Parameters
    ----------
    y, y_hat
        ``(N,)`` labels and predictions of one task.
    task
        ``"binary"``: positives are ``y == 1``; ``"regression"``: every sequence (ranked by prediction).

    Returns
    -------
    rows, short
        Row indices and whether fewer than ``n`` positives exist.
    """
    pool = np.flatnonzero(y > 0.5) if task == "binary" else np.arange(len(y))
    order = pool[np.argsort(-y_hat[pool], kind="stable")]
    return order[:n], len(order) < n


def attribute_run(
    run_dir: str | os.PathLike,
    dataset_dir: str | os.PathLike,
    out_npz: str | os.PathLike,
    out_tsv: str | os.PathLike,
    tasks: Sequence[str] | None = None,
    methods: Sequence[str] = METHODS,
    n_sequences: int = 100,
    ism_sequences: int | None = None,
    n_shuffles: int = 20,
    delta_threshold: float = 1e-3,
    fast_ism: bool = True,
    batch_size: int = 64,
    seed: int = 0,
    device: str | None = None,
) -> pd.DataFrame:
    """Attribution maps of one run's top-scoring test positives per task.

    Parameters
    ----------
    run_dir, dataset_dir
        A trained run and the dataset it was trained on.
    out_npz
        Written with, per task ``t``: ``rows:t`` (test rows, best-scoring first), ``X:t`` ``(n, 4, L)``
        uint8 one-hot, ``y_hat:t``, ``saliency:t``, ``ism:t``, ``deep_lift_shap:t`` (hypothetical
        contributions) and ``deltas:t``, for the methods asked for.
    out_tsv
        One row per task and method: sequences, seconds, sequences per second, and for DeepLIFT-SHAP the
        largest absolute convergence delta, whether it passes ``delta_threshold`` and what breaks it.
    tasks
        Task names (None: every task the run learns).
    methods
        A subset of :data:`METHODS`.
    n_sequences
        Top-scoring test positives per task.
    ism_sequences
        Saturation mutagenesis of the top this-many only (None: all ``n_sequences``): ``ism:t`` holds
        the first ``ism_sequences`` rows.
    n_shuffles
        Dinucleotide-shuffled references per sequence (DeepLIFT-SHAP).
    delta_threshold
        Largest acceptable absolute convergence delta.
    fast_ism
        Let tangermeme use its receptive-field-aware (fastISM) path where it pays.
    seed
        Seed of the reference shuffles.

    Raises
    ------
    InputError
        For a task the run does not learn, a method not in :data:`METHODS`, a track-only model, more
        sequences than a task's test positives hold, or DeepLIFT-SHAP asked of a model it cannot explain.
    """
    settings = read_settings(run_dir)
    classes = list(settings["classes"])
    name = settings["model"]
    bad = [m for m in methods if m not in METHODS]
    if bad:
        raise InputError(
            f"config key methods: unknown method {bad[0]!r}; expected some of: {', '.join(METHODS)}"
        )
    tasks = list(classes if tasks is None else tasks)
    for t in tasks:
        if t not in classes:
            raise InputError(
                f"config key tasks: {t!r} is not a task of run {run_dir} ({name}); expected some of: "
                f"{', '.join(classes)}"
            )
    inputs = settings.get("inputs", ["sequence"])
    if "sequence" not in inputs:
        raise InputError(
            f"config key models: {name!r} reads {' and '.join(inputs)} only; "
            "expected a model that reads sequence"
        )
    dev = pick_device(device)
    model = load_run(run_dir, device=dev)
    reason = deep_lift_refusal(model) if "deep_lift_shap" in methods else None
    if reason is not None:
        raise InputError(
            f"config key methods: deep_lift_shap cannot explain {name!r}: {reason}; expected saliency and "
            "ism only for it"
        )
    task_kind = settings.get("task", "binary")
    X_codes, y = load_split(dataset_dir, "test")
    if settings.get("task_index") is not None:
        y = y[:, settings["task_index"]]
    tracks = load_tracks(dataset_dir, "test") if "tracks" in inputs else None
    crop = settings.get("crop")
    y_hat = predict(model, X_codes, device=dev, tracks=tracks, task=task_kind, crop=crop)
    torch.manual_seed(seed)
    arrays: dict[str, np.ndarray] = {}
    rows_out: list[dict[str, Any]] = []
    for t in tasks:
        j = classes.index(t)
        rows, short = top_positives(y[:, j], y_hat[:, j], n_sequences, task_kind)
        if short:
            raise InputError(
                f"config key n_sequences: {n_sequences} but the test split holds {len(rows)} positives of "
                f"task {t!r}; expected at most {len(rows)}"
            )
        X = one_hot(torch.as_tensor(np.array(X_codes[rows]))).float().to(dev)
        if crop is not None:
            X = X[..., crop_window(X.shape[-1], crop)]
        args = ()
        if tracks is not None:
            tb = torch.as_tensor(np.array(tracks[rows])).float().to(dev)
            if crop is not None and tb.shape[-1] == X_codes.shape[-1]:
                tb = tb[..., crop_window(tb.shape[-1], crop)]
            args = (tb,)
        arrays[f"rows:{t}"] = rows
        arrays[f"X:{t}"] = X.cpu().numpy().astype(np.uint8)
        arrays[f"y_hat:{t}"] = y_hat[rows, j]
        for method in METHODS:
            if method not in methods:
                continue
            start = time.perf_counter()
            row: dict[str, Any] = {"model": name, "trial": settings["trial"], "task": t, "method": method}
            if method == "saliency":
                arrays[f"{method}:{t}"] = saliency_map(model, X, j, args, batch_size).cpu().numpy()
            elif method == "ism":
                k = len(rows) if ism_sequences is None else min(ism_sequences, len(rows))
                some = tuple(a[:k] for a in args)
                arrays[f"{method}:{t}"] = (
                    ism_map(model, X[:k], j, some, batch_size, fast=fast_ism).cpu().numpy()
                )
            else:
                hyp, deltas = deep_lift_shap_map(model, X, j, args, n_shuffles, seed, batch_size)
                arrays[f"{method}:{t}"] = hyp.cpu().numpy()
                arrays[f"deltas:{t}"] = deltas.cpu().numpy()
                worst = float(deltas.abs().max())
                row.update(max_abs_delta=worst, converged=worst <= delta_threshold, unsupported_ops="")
                if worst > delta_threshold:
                    ops = unsupported_ops(model, (X[:2], *(a[:2] for a in args)))
                    row["unsupported_ops"] = "; ".join(ops)
                    log.warning(
                        "%s: DeepLIFT-SHAP convergence deltas up to %.3g exceed %.3g for task %s; %s",
                        name,
                        worst,
                        delta_threshold,
                        t,
                        f"operations without a DeepLIFT rule: {', '.join(ops)}" if ops else "cause unknown",
                    )
            seconds = time.perf_counter() - start
            n_done = len(arrays[f"{method}:{t}"])
            row.update(n=n_done, seconds=round(seconds, 3), seqs_per_s=round(n_done / max(seconds, 1e-9), 2))
            log.info("%s %s task %s: %d sequences in %.1f s", name, method, t, n_done, seconds)
            rows_out.append(row)
    with atomic_path(out_npz) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    table = pd.DataFrame(rows_out)
    write_tsv(table, out_tsv, float_format="%.6g")
    return table


def load_attributions(path: str | os.PathLike, task: str) -> dict[str, np.ndarray]:
    """One task's arrays of an :func:`attribute_run` file, keyed without the ``:task`` suffix."""
    with np.load(Path(path)) as data:
        out = {k.split(":", 1)[0]: data[k] for k in data.files if k.split(":", 1)[1] == task}
    if not out:
        raise InputError(f"{path}: no attributions of task {task!r}")
    return out


#: Callables the benchmark and tests use by method name.
MAP_FUNCS: dict[str, Callable[..., Any]] = {
    "saliency": saliency_map,
    "ism": ism_map,
    "deep_lift_shap": deep_lift_shap_map,
}
