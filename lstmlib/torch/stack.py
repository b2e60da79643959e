"""Several independent models trained as one: their parameters stacked along a leading axis of M models.

Small recurrent models spend most of their time in Python and in many tiny operations, not in arithmetic.
Stacking M models of one shape (say, one variant from five seeds) runs them in one set of operations:
each weight ``W`` of shape S becomes a tensor of shape (M, *S), and a function that broadcasts over that
axis (``lstmlib.torch.variants.variant_lstm_step`` does) computes all M models at once. The models stay
independent: the loss is the sum of the M models' losses, so each model's gradient is its own; Adam works
entry by entry, so one Adam over the stacked tensors takes each model's own steps; and the gradient
clipping of ``clip_grad_norm_per_model_`` rescales each model's gradient by that model's norm alone, as
``torch.nn.utils.clip_grad_norm_`` would on the model by itself (the tests check all three).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

Tensor = torch.Tensor

__all__ = ["stack_parameters", "clip_grad_norm_per_model_"]


def stack_parameters(modules: Sequence[nn.Module]) -> dict[str, Tensor]:
    """The modules' parameters stacked: name -> a new leaf tensor (M, *shape) that requires grad.

    A parameter that some modules lack (e.g. the peepholes ``weight_ch_l0`` of a ``VariantLSTM`` built
    without them) is stacked with zeros in their place; mask its gradient to keep those zeros.

    Raises:
        ValueError: no modules; or a parameter's shape differs between modules.
    """
    if not modules:
        raise ValueError("stack_parameters needs at least one module; got none")
    shapes: dict[str, tuple[int, ...]] = {}
    reference: dict[str, Tensor] = {}
    for module in modules:
        for name, p in module.named_parameters():
            if name in shapes and tuple(p.shape) != shapes[name]:
                raise ValueError(
                    f"parameter {name} must have shape {shapes[name]} in every module; got {tuple(p.shape)}"
                )
            shapes.setdefault(name, tuple(p.shape))
            reference.setdefault(name, p)
    stacked = {}
    for name, ref in reference.items():
        parts = [dict(m.named_parameters()).get(name, torch.zeros_like(ref)).detach() for m in modules]
        stacked[name] = torch.stack(parts).clone().requires_grad_()
    return stacked


@torch.no_grad()
def clip_grad_norm_per_model_(params: Sequence[Tensor], max_norm: float) -> Tensor:
    """Clip each model's gradient to norm ``max_norm``, in place; returns the M norms before clipping.

    ``params`` are stacked tensors (M, ...) with ``.grad``; model m's norm is taken over the m-th slice of
    every gradient, and that slice is scaled by min(1, max_norm / norm), as ``torch.nn.utils.clip_grad_norm_``
    does for one model (which adds 1e-6 to the norm; so does this).
    """
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        raise ValueError("clip_grad_norm_per_model_ needs gradients; got parameters without .grad")
    M = grads[0].shape[0]
    norms = torch.sqrt(sum(g.reshape(M, -1).pow(2).sum(1) for g in grads))
    scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(scale.view(-1, *[1] * (g.dim() - 1)))
    return norms
