"""Training time per step against sequence length: ``torch.nn.LSTM`` against a causal Transformer.

An LSTM must compute h_t before h_{t+1}: a training step (forward, backward through time, optimizer step)
runs T dependent steps one after the other, on oneDNN's kernel on a CPU or cuDNN's on a GPU, so its time
grows in proportion to T however wide the machine is. A causal Transformer with as many parameters
computes all T positions at once: its matrix products grow in proportion to T (the linear maps) and to T^2
(the attention scores Q K^T, T x T per head), but they are large, independent products that a GPU runs
in parallel. ``step_times`` measures both on the device of ``lstmlib.device.get_device()``, as the fastest
of a few repeats after a warm-up (CPU time on the CPU), so the reader sees which effect wins on the machine at hand.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .device import get_device
from .torch.transformer import CausalTransformer

__all__ = ["TimingConfig", "timing_models", "step_time", "step_times", "growth"]


@dataclass(frozen=True)
class TimingConfig:
    """What ``step_times`` measures."""

    lengths: tuple = (64, 128, 256, 512, 1024)  # sequence lengths T
    batch_size: int = 8  # B
    input_size: int = 32  # D
    hidden_size: int = 64  # the LSTM's H
    d_model: int = 64  # the Transformer's width (its feed-forward width is matched to the LSTM's count)
    num_heads: int = 4  # the Transformer's heads
    num_layers: int = 1  # the Transformer's blocks (the LSTM has one layer)
    repeats: int = 3  # timed steps per length (the fastest is reported), after one warm-up step


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def timing_models(config: TimingConfig = TimingConfig(), device=None) -> dict[str, nn.Module]:
    """{"LSTM": torch.nn.LSTM, "Transformer": CausalTransformer} with parameter counts matched (within 10 %):
    the Transformer's feed-forward width is the one whose count comes closest to the LSTM's."""
    device = device if device is not None else get_device()
    lstm = nn.LSTM(config.input_size, config.hidden_size)
    target, max_len = _count(lstm), max(config.lengths)

    def transformer(width):
        return CausalTransformer(
            config.input_size,
            config.d_model,
            config.num_layers,
            config.num_heads,
            max_len=max_len,
            dim_feedforward=width,
        )

    base = _count(transformer(1))
    slope = _count(transformer(2)) - base  # the count grows linearly with the feed-forward width
    model = transformer(max(1, 1 + round((target - base) / slope)))
    if abs(_count(model) / target - 1) > 0.1:
        raise ValueError(f"no feed-forward width matches the LSTM's {target} parameters within 10 %")
    return {"LSTM": lstm.to(device), "Transformer": model.to(device)}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def step_time(model: nn.Module, T: int, config: TimingConfig = TimingConfig(), seed: int = 0) -> float:
    """Seconds of one training step (forward, backward, Adam step) of ``model`` on (T, B, D) inputs: the
    fastest of ``config.repeats`` steps.

    On the CPU the clock is the process's CPU time, which other programs' load does not inflate (with
    one thread it is the step's own work; with several it sums their work); on a GPU it is wall time
    between synchronisations. The fastest repeat is the one least disturbed. The loss is the mean
    squared output (the readout does not matter for the time); one warm-up step is not timed (it
    allocates Adam's state and warms the kernels).
    """
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(T, config.batch_size, config.input_size, generator=generator).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    clock = time.process_time if device.type == "cpu" else time.perf_counter
    times = []
    for k in range(config.repeats + 1):
        _sync(device)
        start = clock()
        output, _ = model(x)
        loss = F.mse_loss(output, torch.zeros_like(output))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        _sync(device)
        if k:  # the first step is the warm-up
            times.append(clock() - start)
    return float(min(times))


def step_times(config: TimingConfig = TimingConfig(), device=None) -> dict[str, np.ndarray]:
    """Seconds per training step for each model of ``timing_models`` at each of ``config.lengths``.

    Returns:
        {"LSTM": (len(lengths),) seconds, "Transformer": (len(lengths),) seconds}.
    """
    models = timing_models(config, device)
    return {name: np.array([step_time(model, T, config) for T in config.lengths]) for name, model in models.items()}


def growth(times: np.ndarray, lengths, short: int, long: int) -> float:
    """How many times longer a step at T = ``long`` takes than at T = ``short`` (both in ``lengths``)."""
    lengths = list(lengths)
    for T in (short, long):
        if T not in lengths:
            raise ValueError(f"T = {T} was not measured; lengths are {lengths}")
    return float(times[lengths.index(long)] / times[lengths.index(short)])
