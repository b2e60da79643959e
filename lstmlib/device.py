"""The one place the course chooses its device: CUDA when present, else Apple's MPS, else the CPU."""

import torch


def get_device():
    """Return the best available ``torch.device``: ``cuda``, then ``mps``, then ``cpu``.

    Every chapter and helper asks this function, so the same code runs on a laptop, a Mac and a GPU
    machine without edits. Move a model with ``model.to(get_device())`` and create tensors with
    ``device=get_device()``.

    Returns:
        torch.device: ``cuda`` if ``torch.cuda.is_available()``, else ``mps`` if
        ``torch.backends.mps.is_available()``, else ``cpu``.
    """
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
