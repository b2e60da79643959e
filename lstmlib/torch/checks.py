"""Checks on the models' inputs: each raises an error that names what was expected and what came.

Used by ``lstmlib.torch.models`` before any computation, so that a wrong shape, dtype or device fails at
the call that caused it rather than deep inside a matrix product (and nothing broadcasts silently).
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

__all__ = ["module_device", "check_device", "check_tokens", "check_features", "check_lengths", "check_state"]

INTEGER_DTYPES = (torch.int64, torch.int32, torch.int16, torch.uint8)


def module_device(module: nn.Module) -> torch.device:
    """The device of ``module``'s first parameter (or buffer)."""
    return next(itertools.chain(module.parameters(), module.buffers())).device


def check_device(module: nn.Module, name: str, tensor: torch.Tensor) -> None:
    """``tensor`` (called ``name`` in the message) must be on ``module``'s device."""
    if tensor.device != module_device(module):
        raise ValueError(
            f"{name} is on device {tensor.device} but the model is on {module_device(module)}; "
            f"move one of them (model.to({name}.device))"
        )


def check_tokens(module: nn.Module, name: str, x: object, vocab_size: int) -> None:
    """``x`` must be a non-empty (T, B) integer tensor of ids in [0, vocab_size), on ``module``'s device."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of token ids (T, B); got {type(x).__name__}")
    if x.dtype not in INTEGER_DTYPES:
        raise TypeError(f"{name} must hold integer token ids (T, B) int64; got dtype {x.dtype}")
    if x.dim() != 2:
        raise ValueError(f"{name} must have shape (T, B) of token ids; got {tuple(x.shape)}")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty: T and B must be at least 1; got shape {tuple(x.shape)}")
    check_device(module, name, x)
    lo, hi = int(x.min()), int(x.max())
    if lo < 0 or hi >= vocab_size:
        raise ValueError(f"token ids in {name} must be in [0, {vocab_size}); got min {lo}, max {hi}")


def check_features(module: nn.Module, name: str, x: object, size: int) -> None:
    """``x`` must be a non-empty floating-point (T, B, size) tensor on ``module``'s device."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor (T, B, {size}); got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor (T, B, {size}); got dtype {x.dtype}")
    if x.dim() != 3 or x.shape[2] != size:
        raise ValueError(f"{name} must have shape (T, B, {size}); got {tuple(x.shape)}")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty: T and B must be at least 1; got shape {tuple(x.shape)}")
    check_device(module, name, x)


def check_lengths(lengths: object, T: int, B: int, device: torch.device | str) -> torch.Tensor:
    """``lengths`` must be B integers in [1, T]; returns them as an int64 tensor (B,) on ``device``."""
    lengths = torch.as_tensor(lengths, device=device)
    if lengths.shape != (B,) or lengths.is_floating_point():
        raise ValueError(
            f"lengths must be an integer tensor of shape ({B},); got {tuple(lengths.shape)} {lengths.dtype}"
        )
    if int(lengths.min()) < 1 or int(lengths.max()) > T:
        raise ValueError(
            f"lengths must be in [1, {T}] (T = {T}); got min {int(lengths.min())}, max {int(lengths.max())}"
        )
    return lengths.long()


def check_state(state: object, shapes: dict[str, tuple[int, ...]], dtype: torch.dtype, device: torch.device) -> None:
    """A recurrent state given as a tuple of tensors, one per name of ``shapes`` in that order, each with
    its shape, the model's dtype and the input's device (the sLSTM's (h, c, n, m), the mLSTM's (C, n, m))."""
    names = tuple(shapes)
    if not isinstance(state, (tuple, list)) or len(state) != len(names):
        raise TypeError(
            f"state must be a tuple ({', '.join(names)}) of tensors {tuple(shapes.values())}; got {state!r:.80}"
        )
    for (name, expected), s in zip(shapes.items(), state):
        if not isinstance(s, torch.Tensor):
            raise TypeError(f"state {name} must be a torch.Tensor {expected}; got {type(s).__name__}")
        if tuple(s.shape) != expected:
            raise ValueError(f"state {name} must have shape {expected}; got {tuple(s.shape)}")
        if s.dtype != dtype:
            raise ValueError(f"state {name} has dtype {s.dtype} but the model's parameters are {dtype}")
        if s.device != device:
            raise ValueError(f"state {name} is on device {s.device} but x is on {device}")
