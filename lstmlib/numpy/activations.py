"""Activation functions and their backward passes.

Each forward is a plain function of its input; each backward takes the upstream gradient ``dout``
and what the forward computed (its output, or for ``relu`` its input) and returns the gradient with
respect to the input. Shapes are arbitrary and preserved: every function works elementwise
(``softmax`` along one axis).
"""

from __future__ import annotations

import numpy as np

from ._validate import Array


def sigmoid(z: Array) -> Array:
    """Logistic sigmoid, computed without overflow for any z.

    σ(z) = 1 / (1 + e^{-z}). For z < 0 the algebraically equal form e^{z} / (1 + e^{z}) is used, so
    ``exp`` only ever sees non-positive arguments and never overflows (no warning even at |z| = 1e4).

    Args:
        z: array of any shape, floating dtype.
    Returns:
        σ(z), same shape and dtype.
    """
    z = np.asarray(z)
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def sigmoid_backward(dout: Array, out: Array) -> Array:
    """Backward of ``sigmoid``: dσ/dz = σ(z)(1 − σ(z)).

    Args:
        dout: upstream gradient, same shape as ``out``.
        out: σ(z) as returned by ``sigmoid``.
    Returns:
        dz, same shape.
    """
    return dout * out * (1.0 - out)


def tanh(z: Array) -> Array:
    """Hyperbolic tangent, tanh(z) = (e^{z} − e^{-z}) / (e^{z} + e^{-z}); stable for any z."""
    return np.tanh(z)


def tanh_backward(dout: Array, out: Array) -> Array:
    """Backward of ``tanh``: d tanh(z)/dz = 1 − tanh(z)². ``out`` is tanh(z)."""
    return dout * (1.0 - out * out)


def relu(z: Array) -> Array:
    """Rectified linear unit, relu(z) = max(0, z)."""
    return np.maximum(z, 0)


def relu_backward(dout: Array, z: Array) -> Array:
    """Backward of ``relu``: passes ``dout`` where z > 0, zero elsewhere. ``z`` is the *input*."""
    return dout * (z > 0)


def softmax(z: Array, axis: int = -1) -> Array:
    """Softmax along ``axis``: softmax(z)_k = e^{z_k − max z} / Σ_j e^{z_j − max z}.

    Subtracting the maximum changes nothing mathematically and keeps ``exp`` from overflowing.

    Args:
        z: array of any shape (e.g. logits (N, C)).
        axis: the axis that sums to one.
    Returns:
        probabilities, same shape as z.
    """
    shifted = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_backward(dout: Array, out: Array, axis: int = -1) -> Array:
    """Backward of ``softmax``: dz = s ⊙ (dout − Σ_k dout_k s_k), with s = softmax(z) = ``out``."""
    return out * (dout - np.sum(dout * out, axis=axis, keepdims=True))
