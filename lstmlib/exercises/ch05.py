"""Exercises of chapter 5, "The LSTM cell"."""

import numpy as np

from ..numpy import lstm_step_forward, sigmoid, split_weights
from ._core import Exercise, register


def _lstm_step_concat(W, b, h_prev, c_prev, x):
    """One LSTM step in the notes' form: W (4H, H + D) rows i, f, g, o acting on [h_prev, x]; b (4H,)."""
    W_ih, W_hh = split_weights(W, h_prev.shape[1])
    h, c, _ = lstm_step_forward(x, h_prev, c_prev, W_ih, W_hh, b, np.zeros_like(b))
    return h, c


def _cases():
    rng = np.random.default_rng(5)
    cases = []
    for B, H, D, scale in [(1, 2, 1, 1.0), (3, 4, 2, 1.0), (2, 3, 5, 0.5), (4, 2, 3, 2.0)]:
        W = rng.standard_normal((4 * H, H + D)) * scale
        b = rng.standard_normal(4 * H)
        h_prev, c_prev = rng.standard_normal((B, H)), rng.standard_normal((B, H)) * 2
        x = rng.standard_normal((B, D))
        cases.append((f"B={B}, H={H}, D={D}", (W, b, h_prev, c_prev, x)))
    return cases


def _split(W, b, h_prev, x, order="ifgo", hx_first=True):
    H = h_prev.shape[1]
    z = np.concatenate([h_prev, x] if hx_first else [x, h_prev], axis=1)
    a = z @ W.T + b
    blocks = dict(zip(order, np.split(a, 4, axis=1)))
    return blocks["i"], blocks["f"], blocks["g"], blocks["o"], H


def _no_sigmoids(W, b, h_prev, c_prev, x):  # the notes' typo: gates without σ
    a_i, a_f, a_g, a_o, _ = _split(W, b, h_prev, x)
    c = a_f * c_prev + a_i * np.tanh(a_g)
    return a_o * np.tanh(c), c


def _notes_order(W, b, h_prev, c_prev, x):  # blocks taken as f, i, g, o
    a_i, a_f, a_g, a_o, _ = _split(W, b, h_prev, x, order="figo")
    c = sigmoid(a_f) * c_prev + sigmoid(a_i) * np.tanh(a_g)
    return sigmoid(a_o) * np.tanh(c), c


def _no_tanh_on_c(W, b, h_prev, c_prev, x):  # h = o ⊙ C
    a_i, a_f, a_g, a_o, _ = _split(W, b, h_prev, x)
    c = sigmoid(a_f) * c_prev + sigmoid(a_i) * np.tanh(a_g)
    return sigmoid(a_o) * c, c


def _x_first(W, b, h_prev, c_prev, x):  # [x, h] instead of [h, x]
    a_i, a_f, a_g, a_o, _ = _split(W, b, h_prev, x, hx_first=False)
    c = sigmoid(a_f) * c_prev + sigmoid(a_i) * np.tanh(a_g)
    return sigmoid(a_o) * np.tanh(c), c


register(
    Exercise(
        name="lstm-step-concat",
        reference=_lstm_step_concat,
        cases=_cases,
        wrong_answers=(_no_sigmoids, _notes_order, _no_tanh_on_c, _x_first),
        hint="a = [h_prev, x] @ W.T + b; blocks of H columns are i, f, g, o; σ on i, f, o, tanh on g; "
        "c = f*c_prev + i*g; h = o*tanh(c)",
    )
)
