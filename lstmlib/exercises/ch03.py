"""Exercises of chapter 3, "Training recurrent networks"."""

import numpy as np

from ..numpy.rnn import rnn_forward
from ._core import Exercise, register


def _bptt_deltas(h, W_hh, d_last):
    """dL/dh_t for every step when the loss depends on h_T only; h (T, B, H) from rnn_forward."""
    deltas = np.zeros_like(h)
    deltas[-1] = d_last
    for t in range(h.shape[0] - 1, 0, -1):
        deltas[t - 1] = (deltas[t] * (1.0 - h[t] ** 2)) @ W_hh  # (R1) backwards: tanh' of h_{t+1}, then W_hh
    return deltas


def _cases():
    rng = np.random.default_rng(3)
    cases = []
    for T, B, D, H in [(4, 2, 3, 3), (1, 1, 2, 2), (6, 3, 2, 4), (5, 1, 1, 5)]:
        x = rng.standard_normal((T, B, D))
        W_ih, W_hh = rng.standard_normal((H, D)), rng.standard_normal((H, H)) * 0.8
        h, _, _ = rnn_forward(x, np.zeros((B, H)), W_ih, W_hh, np.zeros(H), np.zeros(H))
        cases.append((f"T={T}, B={B}, H={H}", (h, W_hh, rng.standard_normal((B, H)))))
    return cases


def _wrong_state(h, W_hh, d_last):  # uses tanh' of the earlier state
    deltas = np.zeros_like(h)
    deltas[-1] = d_last
    for t in range(h.shape[0] - 1, 0, -1):
        deltas[t - 1] = (deltas[t] * (1.0 - h[t - 1] ** 2)) @ W_hh
    return deltas


def _no_tanh(h, W_hh, d_last):  # forgets the tanh derivative
    deltas = np.zeros_like(h)
    deltas[-1] = d_last
    for t in range(h.shape[0] - 1, 0, -1):
        deltas[t - 1] = deltas[t] @ W_hh
    return deltas


def _transposed(h, W_hh, d_last):  # multiplies by W_hh^T in the batch form
    deltas = np.zeros_like(h)
    deltas[-1] = d_last
    for t in range(h.shape[0] - 1, 0, -1):
        deltas[t - 1] = (deltas[t] * (1.0 - h[t] ** 2)) @ W_hh.T
    return deltas


register(
    Exercise(
        name="bptt-deltas",
        reference=_bptt_deltas,
        cases=_cases,
        wrong_answers=(_wrong_state, _no_tanh, _transposed),
        hint="deltas[t - 1] = (deltas[t] * (1 - h[t] ** 2)) @ W_hh, for t from T - 1 down to 1",
    )
)
