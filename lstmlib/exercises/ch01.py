"""Exercises of chapter 1, "Neural networks"."""

import numpy as np

from ..numpy.activations import relu_backward
from ..numpy.layers import affine_backward, affine_forward
from ._core import Exercise, register


def _relu_layer_backward(x, W, b, dout):
    """Backward of a = relu(x Wᵀ + b): returns (dx (N, D), dW (H, D), db (H,))."""
    z, cache = affine_forward(x, W, b)
    return affine_backward(relu_backward(dout, z), cache)


def _cases():
    rng = np.random.default_rng(1)
    cases = []
    for n, d, h in [(4, 3, 5), (1, 2, 2), (6, 5, 3), (3, 4, 4)]:
        x, W, b = rng.standard_normal((n, d)), rng.standard_normal((h, d)), rng.standard_normal(h)
        cases.append((f"N={n}, D={d}, H={h}", (x, W, b, rng.standard_normal((n, h)))))
    return cases


def _no_mask(x, W, b, dout):  # the backward of a linear layer: forgets relu
    return dout @ W, dout.T @ x, dout.sum(axis=0)


def _mean_bias(x, W, b, dout):  # averages the bias gradient instead of summing it
    dz = dout * (x @ W.T + b > 0)
    return dz @ W, dz.T @ x, dz.mean(axis=0)


register(
    Exercise(
        name="relu-layer-backward",
        reference=_relu_layer_backward,
        cases=_cases,
        wrong_answers=(_no_mask, _mean_bias),
        hint="dz = dout * (z > 0) with z = x @ W.T + b; then dx = dz @ W, dW = dz.T @ x, db = dz.sum(axis=0)",
    )
)
