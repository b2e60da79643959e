"""Losses, each returning ``(loss, gradient with respect to its first argument)``."""

from __future__ import annotations

import numpy as np

from ._validate import Array, as_float_array, as_index_array, check_shape


def mse_loss(pred: Array, target: Array) -> tuple[float, Array]:
    """Mean squared error over every element: L = (1/N) Σ (pred − target)².

    Args:
        pred: array of any shape.  target: same shape (no broadcasting).
    Returns:
        loss (float), dpred (same shape as pred) = 2 (pred − target) / N.
    """
    pred = as_float_array("pred", pred)
    target = as_float_array("target", target)
    check_shape("target", target, pred.shape)
    diff = pred - target
    return float(np.mean(diff**2)), 2.0 * diff / diff.size


def _log_softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def cross_entropy_loss(logits: Array, targets: Array) -> tuple[float, Array]:
    """Softmax cross-entropy averaged over N examples: L = −(1/N) Σ_n log softmax(z_n)[y_n].

    Args:
        logits: (N, C) unnormalized scores z.
        targets: (N,) integer classes y in [0, C).
    Returns:
        loss (float), dlogits (N, C) = (softmax(z) − onehot(y)) / N.
    """
    logits = as_float_array("logits", logits, ndim=2)
    targets = as_index_array("targets", targets, logits.shape[1])
    check_shape("targets", targets, logits.shape[:1], letters=("N",))
    N = logits.shape[0]
    log_p = _log_softmax(logits)
    loss = -log_p[np.arange(N), targets].mean()
    dlogits = np.exp(log_p)
    dlogits[np.arange(N), targets] -= 1.0
    return float(loss), dlogits / N


def sequence_cross_entropy_loss(logits: Array, targets: Array, mask: Array | None = None) -> tuple[float, Array]:
    """Cross-entropy over every (t, b) position of a sequence batch, ignoring masked padding.

    L = −(1/M) Σ_{t,b} m_{t,b} log softmax(z_{t,b})[y_{t,b}], with M = Σ m (the number of real tokens).

    Args:
        logits: (T, B, V) scores.
        targets: (T, B) integer tokens in [0, V).
        mask: (T, B) booleans or 0/1, True/1 where the token counts; None counts all. At least one
            position must count.
    Returns:
        loss (float), dlogits (T, B, V); zero at masked positions.
    """
    logits = as_float_array("logits", logits, ndim=3)
    T, B, V = logits.shape
    targets = as_index_array("targets", targets, V)
    check_shape("targets", targets, (T, B))
    if mask is None:
        m = np.ones((T, B), dtype=logits.dtype)
    else:
        mask = np.asarray(mask)
        if mask.dtype != bool and not (np.issubdtype(mask.dtype, np.number) and np.isin(mask, (0, 1)).all()):
            raise TypeError(f"mask must hold booleans or 0/1; got dtype {mask.dtype}")
        check_shape("mask", mask, (T, B))
        m = mask.astype(logits.dtype)
    count = m.sum()
    if count == 0:
        raise ValueError("mask must keep at least one position; got an all-False mask")
    log_p = _log_softmax(logits)  # (T, B, V)
    t_idx, b_idx = np.meshgrid(np.arange(T), np.arange(B), indexing="ij")
    loss = -(log_p[t_idx, b_idx, targets] * m).sum() / count
    dlogits = np.exp(log_p)
    dlogits[t_idx, b_idx, targets] -= 1.0
    dlogits *= (m / count)[..., None]
    return float(loss), dlogits
