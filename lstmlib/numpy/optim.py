"""Optimizers, gradient clipping and truncated backpropagation through time.

Parameters are dicts name -> array (a model's ``.params``); optimizers update them in place, so the
model sees the new values. ``step(grads)`` takes a dict with the same keys (a model's ``.grads``).
For several modules, ``collect(lstm=lstm, head=head)`` builds one dict with prefixed names; build it
again for the gradients after every backward (``collect(..., what="grads")``).

Truncated BPTT: cut a long sequence into chunks of k steps (``sequence_chunks``); run each chunk
starting from the previous chunk's final state, and backpropagate within the chunk only::

    state = None
    for x_chunk, y_chunk in zip(sequence_chunks(x, k), sequence_chunks(y, k)):
        out, state = lstm.forward(x_chunk, state)  # carry (h, c) across the boundary
        loss, d_out = ...                            # a loss on this chunk
        lstm.backward(d_out)                         # returns (dx, d_state0); d_state0 is dropped:
        optimizer.step(lstm.grads)                   # the gradient stops at the chunk boundary

NumPy arrays carry no graph, so the state returned by ``forward`` is already "detached" (what
``h.detach()`` does in PyTorch); ``detach_state`` copies it for symmetry with the PyTorch version.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ._validate import Array


def _check_keys(params, grads):
    missing, extra = sorted(set(params) - set(grads)), sorted(set(grads) - set(params))
    if missing or extra:
        raise ValueError(f"grads must have the keys of params {sorted(params)}; missing {missing}, unexpected {extra}")
    for name, p in params.items():
        if np.shape(grads[name]) != p.shape:
            raise ValueError(f"grads['{name}'] must have shape {p.shape}; got {np.shape(grads[name])}")


class SGD:
    """Stochastic gradient descent with momentum, as ``torch.optim.SGD``.

    v ← μ v + g,  θ ← θ − η v   (plain SGD for μ = 0).

    Args:
        params: dict name -> array, updated in place.
        lr: learning rate η.  momentum: μ in [0, 1).
    """

    def __init__(self, params: dict[str, Array], lr: float, momentum: float = 0.0) -> None:
        if lr <= 0 or not 0 <= momentum < 1:
            raise ValueError(f"lr must be > 0 and momentum in [0, 1); got lr={lr}, momentum={momentum}")
        self.params, self.lr, self.momentum = params, lr, momentum
        self.velocity = {name: np.zeros_like(p) for name, p in params.items()}

    def step(self, grads: dict[str, Array]) -> None:
        _check_keys(self.params, grads)
        for name, p in self.params.items():
            v = self.velocity[name]
            v *= self.momentum
            v += grads[name]
            p -= self.lr * v


class Adam:
    """Adam (Kingma & Ba, 2015), as ``torch.optim.Adam``.

    m ← β₁ m + (1 − β₁) g,  v ← β₂ v + (1 − β₂) g²,  θ ← θ − η m̂ / (√v̂ + ε),
    with the bias corrections m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ).

    Args:
        params: dict name -> array, updated in place.
        lr: η (default 1e-3).  betas: (β₁, β₂).  eps: ε.
    """

    def __init__(
        self, params: dict[str, Array], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
    ) -> None:
        if lr <= 0:
            raise ValueError(f"lr must be > 0; got {lr}")
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.m = {name: np.zeros_like(p) for name, p in params.items()}
        self.v = {name: np.zeros_like(p) for name, p in params.items()}
        self.t = 0

    def step(self, grads: dict[str, Array]) -> None:
        _check_keys(self.params, grads)
        self.t += 1
        beta1, beta2 = self.betas
        for name, p in self.params.items():
            g = grads[name]
            self.m[name] = beta1 * self.m[name] + (1 - beta1) * g
            self.v[name] = beta2 * self.v[name] + (1 - beta2) * g * g
            m_hat = self.m[name] / (1 - beta1**self.t)
            v_hat = self.v[name] / (1 - beta2**self.t)
            p -= (self.lr * m_hat / (np.sqrt(v_hat) + self.eps)).astype(p.dtype, copy=False)


def clip_grad_norm(grads: dict[str, Array] | list[Array], max_norm: float) -> float:
    """Scale all gradients together so that their global L2 norm is at most ``max_norm``.

    ‖g‖ = √(Σ over every array of Σ g²); if ‖g‖ > max_norm every array is multiplied (in place) by
    max_norm / (‖g‖ + 1e-6), as ``torch.nn.utils.clip_grad_norm_``.

    Args:
        grads: dict name -> array (e.g. ``model.grads``) or a list of arrays.
        max_norm: positive float.
    Returns:
        the global norm *before* clipping (float).
    """
    if max_norm <= 0:
        raise ValueError(f"max_norm must be > 0; got {max_norm}")
    arrays = list(grads.values()) if isinstance(grads, dict) else list(grads)
    total = float(np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in arrays)))
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for g in arrays:
            g *= coef
    return total


def collect(what: str = "params", **modules) -> dict[str, Array]:
    """One dict over several modules with prefixed names: ``collect(lstm=m, head=h)`` ->
    {"lstm.weight_ih_l0": ..., "head.weight": ...}. ``what`` is "params" or "grads"."""
    return {
        f"{prefix}.{name}": value for prefix, module in modules.items() for name, value in getattr(module, what).items()
    }


def sequence_chunks(x: Array, chunk_length: int, axis: int = 0) -> Iterator[Array]:
    """Yield consecutive chunks of ``chunk_length`` steps along ``axis`` (the last may be shorter)."""
    if chunk_length < 1:
        raise ValueError(f"chunk_length must be a positive integer; got {chunk_length}")
    x = np.asarray(x)
    for start in range(0, x.shape[axis], chunk_length):
        yield np.take(x, np.arange(start, min(start + chunk_length, x.shape[axis])), axis=axis)


def detach_state(state):
    """A copy of a recurrent state (array or tuple of arrays), the NumPy counterpart of ``detach()``."""
    if state is None:
        return None
    return tuple(s.copy() for s in state) if isinstance(state, tuple) else state.copy()
