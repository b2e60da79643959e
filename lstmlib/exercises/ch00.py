"""Exercises of chapter 0, "How to use this book"."""

import numpy as np

from ._core import Exercise, register


def _to_time_first(xb):
    """(B, T, D) -> (T, B, D)."""
    return xb.transpose(1, 0, 2)


def _cases():
    rng = np.random.default_rng(0)
    return [
        (f"B={b}, T={t}, D={d}", (rng.standard_normal((b, t, d)),))
        for b, t, d in [(2, 3, 4), (1, 5, 1), (3, 1, 2), (4, 4, 4)]
    ]


register(
    Exercise(
        name="time-first",
        reference=_to_time_first,
        cases=_cases,
        wrong_answers=(
            lambda xb: xb.reshape(xb.shape[1], xb.shape[0], xb.shape[2]),  # reshape is not a transpose
            lambda xb: xb.transpose(2, 1, 0),
        ),
        hint="swap the first two axes; reshape keeps the memory order and scrambles the data",
    )
)
