"""Training: ``set_seed``, a small ``fit`` loop, and checkpoints.

``fit`` is deliberately short: one optimizer step per batch, the loss computed by a function you give,
gradient clipping, validation after each epoch (or every ``eval_every`` steps), early stopping, and a
``History`` of what happened. Read it before using it: it is the loop every chapter runs.
"""

from __future__ import annotations

import copy
import math
import os
import random
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .seeding import derive_seed, rng

__all__ = [
    "set_seed",
    "generator",
    "derive_seed",
    "rng",
    "fit",
    "History",
    "evaluate",
    "save_checkpoint",
    "load_checkpoint",
    "to_device",
]


def set_seed(seed: int) -> np.random.Generator:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and every GPU) with
    ``derive_seed(seed)``: ``seed`` plus ``$LSTMLIB_SEED_SHIFT`` (0 when unset; see ``lstmlib.seeding``).

    CPU runs then repeat bit for bit; on a GPU, cuDNN is also put in deterministic mode.
    Returns a fresh ``np.random.default_rng(derive_seed(seed))`` for code that prefers a local generator.
    """
    seed = derive_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    return np.random.default_rng(seed)


def generator(seed: int, device=None) -> torch.Generator:
    """A ``torch.Generator`` on ``device`` (default CPU) seeded with ``derive_seed(seed)``, for
    sampling that must not disturb the global stream."""
    return torch.Generator(device=device if device is not None else "cpu").manual_seed(derive_seed(seed))


def to_device(batch, device):
    """Move every tensor in a (nested) tuple/list/dict ``batch`` to ``device``; other values unchanged."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch


def _progress_enabled(progress: bool) -> bool:
    if not progress or os.environ.get("TQDM_DISABLE", "") not in ("", "0"):
        return False
    if "PYTEST_CURRENT_TEST" in os.environ:
        return False
    return "ipykernel" in sys.modules or sys.stderr.isatty()


@dataclass
class History:
    """What ``fit`` did. One entry per evaluation (end of each epoch, or every ``eval_every`` steps)
    in ``loss`` (mean training loss since the previous evaluation), ``val_loss`` and ``metric``
    (on the validation batches; empty when none), and one per step in ``step_loss``."""

    loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    metric: list = field(default_factory=list)
    step_loss: list = field(default_factory=list)
    steps: int = 0  # optimizer steps taken
    best: int | None = None  # index of the best evaluation (lowest val_loss) when validating
    stopped_early: bool = False  # True when early stopping ended training


@torch.no_grad()
def evaluate(
    model: torch.nn.Module, loss_fn: Callable, batches: Iterable, metric: Callable | None = None, device=None
) -> tuple[float, float | None]:
    """Mean of ``loss_fn(model, batch)`` and of ``metric(model, batch)`` over ``batches``, in eval mode,
    weighted equally per batch. Returns ``(loss, metric or None)``."""
    _check_functions(loss_fn, metric)
    device = device if device is not None else _model_device(model)
    was_training = model.training
    model.eval()
    losses, metrics = [], []
    for batch in batches:
        batch = to_device(batch, device)
        losses.append(float(loss_fn(model, batch)))
        if metric is not None:
            metrics.append(float(metric(model, batch)))
    model.train(was_training)
    if not losses:
        raise ValueError("evaluate needs at least one batch; got none")
    return float(np.mean(losses)), (float(np.mean(metrics)) if metric is not None else None)


def _check_functions(loss_fn, metric) -> None:
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be a function loss_fn(model, batch) -> tensor; got {type(loss_fn).__name__}")
    if metric is not None and not callable(metric):
        raise TypeError(f"metric must be a function metric(model, batch) -> float; got {type(metric).__name__}")


def _check_count(name: str, value) -> None:
    """``value`` must be None or a positive int (a count of epochs, steps, evaluations)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{name} must be a positive integer (or None); got {value!r}")


def _model_device(model: torch.nn.Module):
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


def fit(
    model: torch.nn.Module,
    loss_fn: Callable,
    train_batches: Iterable,
    *,
    epochs: int | None = None,
    steps: int | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 1e-3,
    clip: float | None = None,
    val_batches: Iterable | None = None,
    metric: Callable | None = None,
    early_stopping: int | None = None,
    eval_every: int | None = None,
    progress: bool = True,
    device=None,
) -> History:
    """Train ``model`` by gradient descent on ``loss_fn``; return the ``History``.

    Args:
        model: the module; it stays on its device (batches are moved there).
        loss_fn: ``loss_fn(model, batch) -> scalar tensor``; the batch is whatever ``train_batches``
            yields (tensors moved to the model's device).
        train_batches: an iterable of batches, iterated once per epoch (a ``Batches`` reshuffles itself).
        epochs: passes over ``train_batches``; steps: optimizer steps in all. Give one or both (training
            stops at whichever comes first).
        optimizer: default ``torch.optim.Adam(model.parameters(), lr=lr)``.
        clip: clip the gradient's global norm to this value (``clip_grad_norm_``) before each step.
        val_batches: batches to compute ``val_loss`` (and ``metric``) on at each evaluation.
        metric: ``metric(model, batch) -> float`` (e.g. accuracy), averaged over ``val_batches``.
        early_stopping: stop after this many evaluations without a lower ``val_loss``, and restore the
            best weights (needs ``val_batches``).
        eval_every: evaluate every this many steps instead of at the end of each epoch.
        progress: show a tqdm bar (never under pytest, nor with ``TQDM_DISABLE`` set, nor when stderr
            is not a terminal or notebook).
    """
    if epochs is None and steps is None:
        raise ValueError("fit needs epochs or steps; got neither")
    counts = {"epochs": epochs, "steps": steps, "eval_every": eval_every, "early_stopping": early_stopping}
    for name, value in counts.items():
        _check_count(name, value)
    for name, value in (("clip", clip), ("lr", lr)):
        if value is not None and not (isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0):
            raise ValueError(f"{name} must be a positive number; got {value!r}")
    _check_functions(loss_fn, metric)
    if early_stopping is not None and val_batches is None:
        raise ValueError("early_stopping needs val_batches; got none")
    if metric is not None and val_batches is None:
        raise ValueError("metric is computed on val_batches; got a metric but no val_batches")
    device = device if device is not None else _model_device(model)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    history, best_loss, best_state, bad_evals = History(), math.inf, None, 0
    since_eval: list[float] = []

    def run_evaluation() -> bool:  # returns True when training must stop early
        nonlocal best_loss, best_state, bad_evals
        history.loss.append(float(np.mean(since_eval)) if since_eval else math.nan)
        since_eval.clear()
        if val_batches is None:
            return False
        val_loss, val_metric = evaluate(model, loss_fn, val_batches, metric, device)
        history.val_loss.append(val_loss)
        if val_metric is not None:
            history.metric.append(val_metric)
        if val_loss < best_loss:
            best_loss, bad_evals, history.best = val_loss, 0, len(history.val_loss) - 1
            if early_stopping is not None:
                best_state = copy.deepcopy(model.state_dict())
        else:
            bad_evals += 1
        return early_stopping is not None and bad_evals >= early_stopping

    total = steps if steps is not None else (epochs * len(train_batches) if hasattr(train_batches, "__len__") else None)
    from tqdm.auto import tqdm

    bar = tqdm(total=total, disable=not _progress_enabled(progress), leave=False)
    model.train()
    epoch, stop = 0, False
    while not stop and (epochs is None or epoch < epochs):
        n_batches = 0
        for batch in train_batches:
            n_batches += 1
            batch = to_device(batch, device)
            optimizer.zero_grad()
            loss = loss_fn(model, batch)
            loss.backward()
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            history.steps += 1
            history.step_loss.append(float(loss.detach()))
            since_eval.append(history.step_loss[-1])
            bar.update(1)
            bar.set_postfix(loss=f"{history.step_loss[-1]:.4f}")
            if eval_every is not None and history.steps % eval_every == 0 and run_evaluation():
                history.stopped_early = stop = True
            if steps is not None and history.steps >= steps:
                stop = True
            if stop:
                break
        if n_batches == 0:
            raise ValueError("train_batches yielded no batch (an empty data set, or a spent generator)")
        epoch += 1
        if eval_every is None and (not stop or since_eval) and run_evaluation():
            history.stopped_early = stop = True
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history


# ----------------------------------------------------------------------------------------------------
# Checkpoints

_FORMAT = "lstmlib-checkpoint-1"


def _architecture(model: torch.nn.Module) -> tuple[str, dict]:
    config = getattr(model, "config", None)
    if config is not None and not isinstance(config, dict):
        config = dict(vars(config))  # a dataclass
    return f"{type(model).__module__}.{type(model).__qualname__}", dict(config or {})


def save_checkpoint(model: torch.nn.Module, path, **meta) -> Path:
    """Save ``model``'s weights as CPU tensors with its class, its ``config`` (if any) and ``meta``.

    The file loads with ``torch.load(path, weights_only=True)`` on any device: it holds only tensors
    and plain Python values (``meta`` must be str/int/float/bool/None/lists/dicts of them).
    """
    name, config = _architecture(model)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "format": _FORMAT,
            "architecture": name,
            "config": config,
            "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
            "meta": meta,
        },
        path,
    )
    return path


def load_checkpoint(path, model_or_factory, device=None):
    """Load a checkpoint written by ``save_checkpoint``.

    Args:
        path: the file.
        model_or_factory: a model to load into (it must be of the saved class and config), or a
            class/callable called as ``factory(**config)`` to build one.
        device: where to put the model (default: the model's device, or CPU for a factory).

    Returns:
        (model, meta).

    Raises:
        ValueError: the file is not a checkpoint of this format, or holds a different architecture
            (class, config or parameter shapes); the message names both.
    """
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(ckpt, dict) or ckpt.get("format") != _FORMAT:
        raise ValueError(f"{path} is not an lstmlib checkpoint (expected format {_FORMAT!r})")
    if isinstance(model_or_factory, torch.nn.Module):
        model = model_or_factory
        name, config = _architecture(model)
        if name != ckpt["architecture"] or (config and ckpt["config"] and config != ckpt["config"]):
            raise ValueError(
                f"checkpoint holds a different architecture: expected {name} with config {config}; "
                f"got {ckpt['architecture']} with config {ckpt['config']}"
            )
    else:
        model = model_or_factory(**ckpt["config"])
        name, _ = _architecture(model)
        if name != ckpt["architecture"]:
            raise ValueError(f"checkpoint holds {ckpt['architecture']}; the factory built {name}")
    own = model.state_dict()
    saved = ckpt["state_dict"]
    mismatch = sorted(set(own) ^ set(saved)) or [k for k in own if own[k].shape != saved[k].shape]
    if mismatch:
        raise ValueError(
            f"checkpoint holds a different architecture: parameters {mismatch[:5]} differ "
            f"(expected {[tuple(own[k].shape) for k in mismatch[:5] if k in own]}, "
            f"got {[tuple(saved[k].shape) for k in mismatch[:5] if k in saved]})"
        )
    device = (
        device
        if device is not None
        else (_model_device(model) if isinstance(model_or_factory, torch.nn.Module) else "cpu")
    )
    model.load_state_dict(saved)
    model.to(device)
    return model, ckpt["meta"]
