"""The autoregressive model AR(p), fitted by least squares: the first model to try on a time series.

AR(p) predicts the next value of a series from its p previous values with one linear map:

    ŷ_t = c + Σ_{j=1..p} φ_j y_{t−j}                                                  (AR1)

The coefficients (c, φ_1 … φ_p) minimise the squared one-step error over the training series (ordinary
least squares). The order p is a choice like a network's size, so it is chosen the same way: on
validation data the fit never saw (``select_order``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["AutoRegressive", "select_order"]


def _check_series(y, name: str) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D series; got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"{name} must hold real numbers; got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite; got {int(np.sum(~np.isfinite(arr)))} NaN or infinite values")
    return arr.astype(np.float64)


def _lagged(y: np.ndarray, order: int, start: int) -> np.ndarray:
    """Rows [1, y_{t−1}, …, y_{t−p}] for t = start … len(y) − 1: the inputs of (AR1)."""
    rows = [np.ones(len(y) - start)]
    rows += [y[start - j : len(y) - j] for j in range(1, order + 1)]
    return np.stack(rows, axis=1)


class AutoRegressive:
    """AR(p) of equation (AR1), fitted by least squares.

    Args:
        order: p ≥ 1, the number of previous values the prediction reads.

    After ``fit(y)``: ``intercept`` is c and ``coef`` holds φ_1 … φ_p (shape (p,)).
    """

    def __init__(self, order: int):
        if not isinstance(order, int) or order < 1:
            raise ValueError(f"order must be an int ≥ 1; got {order!r}")
        self.order = order
        self.intercept: float | None = None
        self.coef: np.ndarray | None = None

    def fit(self, y) -> AutoRegressive:
        """Least squares over every t = p … len(y) − 1 of the training series ``y`` (shape (N,))."""
        y = _check_series(y, "y")
        if len(y) < 2 * self.order + 1:
            raise ValueError(f"y must hold at least 2 * order + 1 = {2 * self.order + 1} values; got {len(y)}")
        X = _lagged(y, self.order, self.order)
        params, *_ = np.linalg.lstsq(X, y[self.order :], rcond=None)
        self.intercept, self.coef = float(params[0]), params[1:]
        return self

    def predict(self, y, start: int) -> np.ndarray:
        """One-step-ahead predictions ŷ_t of (AR1) for t = start … len(y) − 1, each from the true y_{t−1} … y_{t−p}.

        Pass the whole series (training part included) and the index where the held-out part starts,
        so the first held-out predictions read the last training values. Returns shape (len(y) − start,).
        """
        if self.coef is None:
            raise RuntimeError("call fit(train) before predict")
        y = _check_series(y, "y")
        if not self.order <= start < len(y):
            raise ValueError(f"start must be in [order, len(y)) = [{self.order}, {len(y)}); got {start}")
        return _lagged(y, self.order, start) @ np.concatenate([[self.intercept], self.coef])


@dataclass(frozen=True)
class OrderChoice:
    """The result of ``select_order``: the chosen order, its model, and every order's validation error."""

    order: int
    model: AutoRegressive
    validation_mse: dict[int, float]


def select_order(y, train_end: int, valid_end: int, orders=range(1, 31)) -> OrderChoice:
    """Fit AR(p) on y[:train_end] for each p in ``orders``; keep the p with the lowest validation MSE.

    The validation part is y[train_end:valid_end] (one-step-ahead, as ``predict``); the returned model is
    the one fitted on the training part only, so a test part after ``valid_end`` stays unseen.
    """
    y = _check_series(y, "y")
    orders = list(orders)
    if not orders:
        raise ValueError("orders must not be empty")
    if not max(orders) <= train_end < valid_end <= len(y):
        raise ValueError(
            f"need max(orders) ≤ train_end < valid_end ≤ len(y); got {max(orders)}, {train_end}, {valid_end}, {len(y)}"
        )
    errors, models = {}, {}
    for p in orders:
        model = AutoRegressive(p).fit(y[:train_end])
        pred = model.predict(y[:valid_end], train_end)
        errors[p] = float(np.mean((pred - y[train_end:valid_end]) ** 2))
        models[p] = model
    best = min(errors, key=errors.get)
    return OrderChoice(best, models[best], errors)
