"""The one place the course chooses its device: CUDA when present, else Apple's MPS, else the CPU."""

import os

import torch

DEVICE_VARIABLE = "LSTMLIB_DEVICE"


def get_device(small_model: bool = False):
    """Return the ``torch.device`` to run on: ``cuda``, then ``mps``, then ``cpu``.

    Every chapter and helper asks this function, so the same code runs on a laptop, a Mac and a GPU
    machine without edits. Move a model with ``model.to(get_device())`` and create tensors with
    ``device=get_device()``.

    Args:
        small_model: True for a model so small, or run so many steps one at a time (greedy and beam
            decoding, a character at a time), that a GPU waits on every step and ends up slower than
            the CPU: such a model gets the CPU wherever it runs.

    The environment variable ``LSTMLIB_DEVICE`` (``cpu``, ``cuda``, ``mps``), when set, overrides the
    choice, e.g. to run a chapter on the CPU of a GPU machine.

    Returns:
        torch.device: the device named by ``LSTMLIB_DEVICE`` if set; else ``cpu`` for a small model;
        else ``cuda`` if ``torch.cuda.is_available()``, else ``mps`` if
        ``torch.backends.mps.is_available()``, else ``cpu``.
    """
    forced = os.environ.get(DEVICE_VARIABLE, "").strip()
    if forced:
        if forced.split(":")[0] not in available_devices():
            raise ValueError(
                f"{DEVICE_VARIABLE} must name an available device, one of {available_devices()}; got {forced!r}"
            )
        return torch.device(forced)
    if small_model:
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def available_devices():
    """Return the names of every device this machine can run on, ``"cpu"`` first (for tests).

    Returns:
        list[str]: ``["cpu"]``, plus ``"cuda"`` and/or ``"mps"`` where available.
    """
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return devices
