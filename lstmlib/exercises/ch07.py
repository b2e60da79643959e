"""Exercises of chapter 7, "Long time lags: a fair fight"."""

import numpy as np

from ._core import Exercise, register


def _cell_path_gain(f):
    """Forget gates f (T, H), f[t] = f_{t+1} -> gains (T, H): gains[k] = f_T * f_{T-1} * ... * f_{T-k+1},
    the diagonal of dC_T / dC_{T-k} along the cell's direct path (gains[0] = 1)."""
    newest_first = f[::-1]  # f_T, f_{T-1}, ..., f_1
    return np.concatenate([np.ones((1, f.shape[1])), np.cumprod(newest_first[:-1], axis=0)], axis=0)


def _cases():
    rng = np.random.default_rng(7)
    return [
        ("T=4, H=1, every gate 0.5", (np.full((4, 1), 0.5),)),
        ("T=3, H=2, gates differ in time", (np.array([[0.9, 0.1], [0.5, 1.0], [0.2, 0.8]]),)),
        ("T=6, H=3, random gates", (rng.uniform(0.0, 1.0, size=(6, 3)),)),
        ("T=1, H=4", (rng.uniform(0.0, 1.0, size=(1, 4)),)),
        ("T=50, H=2, gates near 1", (rng.uniform(0.95, 1.0, size=(50, 2)),)),
    ]


register(
    Exercise(
        name="lstm-cell-path-gain",
        reference=_cell_path_gain,
        cases=_cases,
        wrong_answers=(
            lambda f: np.cumprod(f[::-1], axis=0),  # includes f_{T-k}: one factor too many
            lambda f: np.concatenate([np.ones((1, f.shape[1])), np.cumprod(f[:-1], axis=0)], axis=0),  # from the start
            lambda f: np.concatenate([np.ones((1, f.shape[1])), 1 + np.cumsum(f[::-1][:-1] - 1, axis=0)], axis=0),
        ),
        hint="gains[0] = 1; each step further back multiplies by one more forget gate, newest first",
    )
)
