"""Exercises of chapter 2, "Memory and the hidden state"."""

import numpy as np

from ..numpy.rnn import rnn_step_forward
from ._core import Exercise, register


def _rnn_step(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    """(R1) for a batch: x (B, D), h_prev (B, H) -> h (B, H)."""
    return rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh)[0]


def _cases():
    rng = np.random.default_rng(2)
    cases = []
    for b, d, h in [(1, 2, 2), (3, 4, 5), (2, 1, 3), (4, 3, 3)]:
        args = (
            rng.standard_normal((b, d)),
            rng.standard_normal((b, h)),
            rng.standard_normal((h, d)),
            rng.standard_normal((h, h)),
            rng.standard_normal(h),
            rng.standard_normal(h),
        )
        cases.append((f"B={b}, D={d}, H={h}", args))
    return cases


register(
    Exercise(
        name="rnn-step",
        reference=_rnn_step,
        cases=_cases,
        wrong_answers=(
            lambda x, h, W_ih, W_hh, b_ih, b_hh: np.tanh(x @ W_ih.T + b_ih + h @ W_hh + b_hh),  # W_hh not transposed
            lambda x, h, W_ih, W_hh, b_ih, b_hh: x @ W_ih.T + b_ih + h @ W_hh.T + b_hh,  # no tanh
            lambda x, h, W_ih, W_hh, b_ih, b_hh: np.tanh(x @ W_ih.T + h @ W_hh.T + b_hh),  # a bias forgotten
        ),
        hint="np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh): rows are examples, so every matrix is transposed",
    )
)
