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


def _lstm_weights(input_size, output_size, cells):
    """Weights of an LSTM layer with ``cells`` cells and a linear read-out: 4H(D + H) + 2·4H + C(H + 1)."""
    H = cells
    return 4 * H * (input_size + H) + 2 * 4 * H + output_size * (H + 1)


def _matched_rnn_size(input_size, output_size, lstm_cells):
    """The plain RNN's hidden size H whose weights (W_ih, W_hh, b_ih, b_hh and the same read-out) come
    closest in number to those of an LSTM with ``lstm_cells`` cells; the smaller H on a tie."""
    target = _lstm_weights(input_size, output_size, lstm_cells)

    def rnn_weights(H):
        return H * (input_size + H) + 2 * H + output_size * (H + 1)

    return min(range(1, 8 * lstm_cells + 8), key=lambda H: abs(rnn_weights(H) - target))


def _matched_cases():
    return [
        (f"D={d}, C={c}, LSTM cells={h}", (d, c, h))
        for d, c, h in [(7, 7, 16), (7, 7, 4), (7, 7, 8), (2, 1, 4), (8, 4, 4), (1, 1, 1), (7, 7, 32)]
    ]


def _wrong_one_bias(d, c, h):  # counts one bias vector per layer instead of torch.nn's two
    target = 4 * h * (d + h) + 4 * h + c * (h + 1)
    return min(range(1, 8 * h + 8), key=lambda H: abs(H * (d + H) + H + c * (H + 1) - target))


def _wrong_no_readout(d, c, h):  # matches the recurrent layers alone, forgetting that the read-out grows with H
    target = 4 * h * (d + h) + 8 * h
    return min(range(1, 8 * h + 8), key=lambda H: abs(H * (d + H) + 2 * H - target))


register(
    Exercise(
        name="matched-rnn-size",
        reference=_matched_rnn_size,
        cases=_matched_cases,
        wrong_answers=(
            _wrong_one_bias,
            _wrong_no_readout,
            lambda d, c, h: 2 * h,  # "the LSTM has 4 gates, so twice the units": a rule of thumb, not a count
            lambda d, c, h: 4 * h,  # as many units as the LSTM has gate rows
        ),
        hint="count W_ih (H x D), W_hh (H x H), b_ih and b_hh (H each) and the read-out (C x H + C) for both "
        "networks (the LSTM has 4H rows), then take the H whose count is nearest",
    )
)
