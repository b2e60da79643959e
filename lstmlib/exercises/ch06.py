"""Exercises of chapter 6, "LSTM from scratch"."""

import numpy as np

from ..numpy import sigmoid
from ._core import Exercise, register


def _lstm_gate_grads(dh, dc_next, c_prev, i, f, g, o, c):
    """(B2)-(B4) of one step: da (B, 4H) stacked i, f, g, o, and dc_prev = δC_t ⊙ f_t (B, H)."""
    tanh_c = np.tanh(c)
    dc = dc_next + dh * o * (1.0 - tanh_c**2)  # (B2)
    do, df, di, dg = dh * tanh_c, dc * c_prev, dc * g, dc * i  # (B3)
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], axis=1)  # (B4)
    return da, dc * f


def _cases():
    rng = np.random.default_rng(6)
    cases = []
    for B, H in [(1, 2), (3, 4), (2, 5)]:
        a = rng.standard_normal((B, 4 * H)) * 1.5  # pre-activations, stacked i, f, g, o
        i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H]), sigmoid(a[:, 3 * H :])
        g = np.tanh(a[:, 2 * H : 3 * H])
        c_prev = rng.standard_normal((B, H))
        c = f * c_prev + i * g
        dh, dc_next = rng.standard_normal((B, H)), rng.standard_normal((B, H))
        cases.append((f"B={B}, H={H}", (dh, dc_next, c_prev, i, f, g, o, c)))
    return cases


def _no_highway(dh, dc_next, c_prev, i, f, g, o, c):  # forgets the gradient from step t+1
    return _lstm_gate_grads(dh, np.zeros_like(dc_next), c_prev, i, f, g, o, c)


def _no_tanh_derivative(dh, dc_next, c_prev, i, f, g, o, c):  # δC_t = δh ⊙ o + ...
    dc = dc_next + dh * o
    do, df, di, dg = dh * np.tanh(c), dc * c_prev, dc * g, dc * i
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], axis=1)
    return da, dc * f


def _wrong_candidate_derivative(dh, dc_next, c_prev, i, f, g, o, c):  # 1 - g instead of 1 - g²
    da, dc_prev = _lstm_gate_grads(dh, dc_next, c_prev, i, f, g, o, c)
    H = g.shape[1]
    da = da.copy()
    da[:, 2 * H : 3 * H] = da[:, 2 * H : 3 * H] / (1 - g**2) * (1 - g)
    return da, dc_prev


def _notes_order(dh, dc_next, c_prev, i, f, g, o, c):  # blocks stacked f, i, g, o
    da, dc_prev = _lstm_gate_grads(dh, dc_next, c_prev, i, f, g, o, c)
    H = g.shape[1]
    return np.concatenate([da[:, H : 2 * H], da[:, :H], da[:, 2 * H :]], axis=1), dc_prev


register(
    Exercise(
        name="lstm-gate-grads",
        reference=_lstm_gate_grads,
        cases=_cases,
        wrong_answers=(_no_highway, _no_tanh_derivative, _wrong_candidate_derivative, _notes_order),
        hint="dc = dc_next + dh*o*(1 - tanh(c)**2); then do, df, di, dg; multiply by σ' or tanh'; "
        "stack i, f, g, o; dc_prev = dc*f",
    )
)
