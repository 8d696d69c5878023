"""Several trials of one model trained together, as one stacked computation.

The trials' parameters, buffers and optimiser moments are stacked along a leading trial axis
(:func:`torch.func.stack_module_state`) and one step runs every trial's forward and backward pass at
once (:func:`torch.func.vmap` over :func:`torch.func.functional_call`): convolutions become grouped
convolutions, BatchNorm updates each trial's running statistics. The summed loss has each trial's
gradient in that trial's slice, and Adam and RMSprop act element by element, so each trial takes the
step it would take alone. Every trial keeps what it has when trained apart: its seed, initialisation
and shuffling order (its own generator), its early stopping and best checkpoint. A trial that stops
is written out and leaves the stack, so it stops updating and costs nothing more. Dropout masks come
from the one process generator, so they are not the masks of a separate run: trials trained together
agree with trials trained apart within training noise, exactly where a model has no dropout.

Each trial's run directory gets what :func:`seqcnn.train.train_model` writes, and its checkpoint has
the same form, so a killed job resumes each trial from its last epoch, and a trial begun apart can be
finished together and the other way round.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from .predict import call_model, output_transform, pick_device
from .train import (
    BatchSource,
    RunProgress,
    TrainSettings,
    _load_checkpoint,
    _monitor,
    _rng_state,
    _set_rng_state,
    _source,
    build_run_model,
    check_memory,
    finish_run,
    make_optimizer,
    remove_checkpoints,
    resolve_run,
    resumable,
    reverse_complement,
    run_record,
    save_checkpoint,
    task_loss,
    trial_seed,
)

log = logging.getLogger("seqcnn.stacked")


class TrialStack:
    """The parameters, buffers and optimiser state of several trials of one model, stacked.

    Parameters
    ----------
    template
        A model of the architecture (its values are not used).
    states
        One ``state_dict`` per trial.
    optimizer_states
        One optimiser ``state_dict`` per trial (``None``: fresh moments).
    settings
        Optimiser settings.
    """

    def __init__(
        self,
        template: nn.Module,
        states: list[dict[str, torch.Tensor]],
        optimizer_states: list[dict | None],
        settings: TrainSettings,
    ):
        self.template = template
        self.settings = settings
        models = []
        for state in states:
            m = copy.deepcopy(template)
            m.load_state_dict(state)
            models.append(m)
        self.params, self.buffers = stack_module_state(models)
        self.names = list(self.params)
        # The penalised tensors of the model, by name (identity with the template's parameters).
        by_id = {id(p): n for n, p in template.named_parameters()}
        self.penalized = [by_id[id(p)] for p in template.penalized_parameters()]
        self.l1 = getattr(template, "l1", 0.0)
        self.base = copy.deepcopy(template).to("meta")
        holder = nn.ParameterList([nn.Parameter(self.params[n], requires_grad=True) for n in self.names])
        self.params = dict(zip(self.names, holder, strict=True))
        self.optimizer = make_optimizer(holder, settings)
        if all(s is not None for s in optimizer_states):
            self.optimizer.load_state_dict(_stack_optimizer_states(optimizer_states))
        self._forward = vmap(self._one, in_dims=(0, 0, 0), randomness="different")

    @property
    def size(self) -> int:
        return len(next(iter(self.params.values())))

    def _one(self, params, buffers, inputs):
        return call_model(_Functional(self.base, params, buffers), inputs)

    def forward(self, inputs: dict[str, torch.Tensor], train: bool) -> torch.Tensor:
        """``(S, B, ...)`` inputs, one batch per trial, to ``(S, B, T)`` outputs."""
        self.base.train(train)
        return self._forward(self.params, self.buffers, inputs)

    def penalty(self) -> torch.Tensor:
        """Each trial's ``l2 * sum(w^2) + l1 * sum(|w|)``: ``(S,)``."""
        total = 0.0
        for name in self.penalized:
            p = self.params[name].flatten(1)
            total = total + self.settings.l2 * (p * p).sum(1)
            if self.l1:
                total = total + self.l1 * p.abs().sum(1)
        return total

    def state(self, i: int) -> dict[str, torch.Tensor]:
        """Trial ``i``'s ``state_dict`` (copies)."""
        values = {**self.params, **self.buffers}
        return {k: values[k][i].detach().clone() for k in self.template.state_dict()}

    def optimizer_state(self, i: int) -> dict[str, Any]:
        """Trial ``i``'s optimiser ``state_dict``, as a separate run's optimiser would have it."""
        full = self.optimizer.state_dict()
        state = {
            k: {name: (v[i].clone() if v.dim() else v.clone()) for name, v in s.items()}
            for k, s in full["state"].items()
        }
        return {"state": state, "param_groups": copy.deepcopy(full["param_groups"])}


class _Functional(nn.Module):
    """``template`` called with the given parameters and buffers (for :func:`call_model`)."""

    def __init__(self, template: nn.Module, params, buffers):
        super().__init__()
        self.inputs = getattr(template, "inputs", ("sequence",))
        self._call = lambda *args: functional_call(template, (params, buffers), args)

    def forward(self, *args):
        return self._call(*args)


def _stack_optimizer_states(states: list[dict]) -> dict:
    """Per-trial optimiser ``state_dict`` s -> one over the stacked parameters (0-d values are shared)."""
    first = states[0]
    stacked = {
        k: {
            name: (torch.stack([s["state"][k][name] for s in states]) if v.dim() else v)
            for name, v in st.items()
        }
        for k, st in first["state"].items()
    }
    return {"state": stacked, "param_groups": copy.deepcopy(first["param_groups"])}


def stacked_epoch(
    stack: TrialStack,
    source: BatchSource,
    settings: TrainSettings,
    generators: list[torch.Generator],
    task: str,
) -> tuple[np.ndarray, float]:
    """One pass over ``source`` for every trial of ``stack``, each in its own shuffled order.

    Returns
    -------
    tuple
        Each trial's mean training loss (without the penalty) ``(S,)``, and wall seconds.
    """
    t0 = time.perf_counter()
    running = None
    per_loss = vmap(lambda out, y: task_loss(out, y, task, settings))
    for batches in zip(*(source.batches(settings.batch_size, g) for g in generators), strict=True):
        inputs, ys = [], []
        for (xb, yb), g in zip(batches, generators, strict=True):
            if settings.rc_augment:
                flip = torch.rand(len(yb), generator=g) < 0.5
                xb = reverse_complement(xb, flip.to(yb.device))
            inputs.append(xb)
            ys.append(yb)
        xs = {k: torch.stack([x[k] for x in inputs]) for k in inputs[0]}
        y = torch.stack(ys)
        stack.optimizer.zero_grad(set_to_none=True)
        losses = per_loss(stack.forward(xs, train=True), y)
        (losses + stack.penalty()).sum().backward()
        stack.optimizer.step()
        batch = losses.detach() * y.shape[1]
        running = batch if running is None else running + batch
    totals = running.cpu().numpy()
    return totals / source.n, time.perf_counter() - t0


@torch.no_grad()
def stacked_evaluate(stack: TrialStack, source: BatchSource, settings: TrainSettings, task: str):
    """Each trial's validation loss (penalty included) ``(S,)``, the targets ``(N, T)`` and each trial's
    predictions ``(S, N, T)``."""
    per_loss = vmap(lambda out, y: task_loss(out, y, task, settings), in_dims=(0, None))
    total, preds, ys = 0.0, [], []
    for xb, yb in source.batches(settings.eval_batch_size):
        xs = {k: v.expand(stack.size, *v.shape) for k, v in xb.items()}
        out = stack.forward(xs, train=False)
        total = total + per_loss(out, yb) * len(yb)
        preds.append(output_transform(out, task).float().cpu())
        ys.append(yb.cpu())
    loss = (total / source.n + stack.penalty()).cpu().numpy()
    return loss, torch.cat(ys).numpy(), torch.cat(preds, dim=1).numpy()


def train_trials(
    model_name: str,
    dataset_dir: str | os.PathLike,
    run_dirs: list[str | os.PathLike],
    trials: list[int],
    seed: int = 2019,
    device: str | None = "auto",
    threads: int | None = None,
    resident: bool | None = None,
    tasks: list[str] | None = None,
    crop: int | None = None,
    model_options: dict[str, Any] | None = None,
    **settings_kwargs: Any,
) -> list[dict[str, Any]]:
    """Train ``trials`` of one model together; each trial resumes from its ``checkpoint.pt`` if present.

    Parameters are those of :func:`seqcnn.train.train_model`, with one run directory per trial.

    Returns
    -------
    list of dict
        Each trial's summary, in the order of ``trials``.
    """
    if len(run_dirs) != len(trials):
        raise ValueError(f"{len(run_dirs)} run directories for {len(trials)} trials")
    settings = TrainSettings(**settings_kwargs)
    if threads:
        torch.set_num_threads(int(threads))
    dev = pick_device(device)
    spec = resolve_run(model_name, dataset_dir, tasks, crop, model_options)
    task = spec["task"]
    train_src = _source(dataset_dir, "train", spec, dev, resident)
    valid_src = _source(dataset_dir, "valid", spec, dev, resident)

    runs = []
    for trial, run_dir in zip(trials, run_dirs, strict=True):
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(trial_seed(seed, trial))
        model = build_run_model(model_name, spec).to(dev)
        resolved = run_record(
            model_name, spec, trial, seed, dataset_dir, dev, model, train_src, valid_src, settings
        )
        resolved["stacked_trials"] = len(trials)
        progress = RunProgress(resumable(resolved))
        gen = torch.Generator().manual_seed(trial_seed(seed, trial))
        run = {"dir": run_dir, "resolved": resolved, "progress": progress, "gen": gen, "optimizer": None}
        ckpt = _load_checkpoint(run_dir / "checkpoint.pt", dev, progress.same_run)
        if ckpt is not None:
            model.load_state_dict(ckpt["model"])
            run["optimizer"] = ckpt["optimizer"]
            _set_rng_state(gen, ckpt["rng"])  # the process generator follows the last trial resumed
            progress.resume(ckpt)
            log.info(
                "resumed %s trial %d from its checkpoint: %d epoch(s) done",
                model_name,
                trial,
                progress.epochs,
            )
        run["state"] = model.state_dict()
        runs.append(run)
    # One step holds every trial's batch, activations, parameters and moments.
    n_parameters = runs[0]["resolved"]["n_parameters"]
    together = dataclasses.replace(settings, batch_size=settings.batch_size * len(runs))
    check_memory(model_name, spec, together, n_parameters * len(runs))
    log.info(
        "training %s trials %s together on %s: %s task(s) %s, %d train / %d valid sequences, "
        "%d parameters each",
        model_name,
        ",".join(map(str, trials)),
        dev,
        task,
        ",".join(map(str, spec["classes"])),
        train_src.n,
        valid_src.n,
        n_parameters,
    )
    template = build_run_model(model_name, spec).to(dev)
    t_start = time.perf_counter()
    summaries: dict[int, dict[str, Any]] = {}
    active = [r for r in runs if not r["progress"].done(settings)]
    for r in runs:
        if r not in active:
            summaries[r["resolved"]["trial"]] = _finish(r, template, time.perf_counter() - t_start)
    stack = _restack(template, active, settings) if active else None
    while active:
        train_loss, seconds = stacked_epoch(stack, train_src, settings, [r["gen"] for r in active], task)
        valid_loss, yv, pv = stacked_evaluate(stack, valid_src, settings, task)
        extra = {"stacked_trials": len(active)}
        for i, r in enumerate(active):
            state = stack.state(i)
            monitored = _monitor(task, yv, pv[i])
            r["progress"].record(
                state, float(train_loss[i]), float(valid_loss[i]), monitored, seconds, train_src.n, extra
            )
            r["state"], r["optimizer"] = state, stack.optimizer_state(i)
            save_checkpoint(r["dir"], r["progress"].checkpoint(state, r["optimizer"], _rng_state(r["gen"])))
        finished = [r for r in active if r["progress"].done(settings)]
        for r in finished:
            summaries[r["resolved"]["trial"]] = _finish(r, template, time.perf_counter() - t_start)
        if finished:
            active = [r for r in active if r not in finished]
            stack = _restack(template, active, settings) if active else None
    # Checkpoints go only when every trial is written: a killed job's finished trials resume as finished.
    for r in runs:
        remove_checkpoints(r["dir"])
    return [summaries[t] for t in trials]


def _restack(template: nn.Module, runs: list[dict[str, Any]], settings: TrainSettings) -> TrialStack:
    return TrialStack(template, [r["state"] for r in runs], [r["optimizer"] for r in runs], settings)


def _finish(run: dict[str, Any], template: nn.Module, seconds: float) -> dict[str, Any]:
    model = copy.deepcopy(template)
    model.load_state_dict(run["progress"].best_state)
    return finish_run(run["dir"], model, run["progress"], run["resolved"], seconds)
