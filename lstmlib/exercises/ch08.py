"""Exercises of chapter 8, "LSTM in practice", and 8b, "LSTM variants"."""

import numpy as np

from ._core import Exercise, register


def _softmax_with_temperature(logits, tau):
    """(B, V) logits, temperature tau > 0 -> (B, V) probabilities softmax(logits / tau), row by row."""
    z = logits / tau
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _softmax_cases():
    rng = np.random.default_rng(8)
    return [
        ("B=2, V=5, tau=1", (rng.standard_normal((2, 5)), 1.0)),
        ("B=3, V=4, tau=0.5", (rng.standard_normal((3, 4)), 0.5)),
        ("B=1, V=6, tau=2", (rng.standard_normal((1, 6)), 2.0)),
        ("large logits around 1000, tau=0.8", (1000 + rng.standard_normal((2, 3)), 0.8)),
    ]


def _naive_softmax(logits, tau):
    e = np.exp(logits / tau)
    return e / e.sum(axis=1, keepdims=True)


register(
    Exercise(
        name="temperature-softmax",
        reference=_softmax_with_temperature,
        cases=_softmax_cases,
        wrong_answers=(
            lambda logits, tau: _softmax_with_temperature(logits * tau, 1.0),  # multiplies by tau
            lambda logits, tau: _softmax_with_temperature(logits, 1.0),  # ignores tau
            _naive_softmax,  # overflows near 1000
            lambda logits, tau: _softmax_with_temperature(logits.T, tau).T,  # normalizes columns
        ),
        hint="divide the logits by tau, subtract each row's maximum, exponentiate, divide by the row sum",
    )
)


def _forget_bias(bias_ih, bias_hh, value):
    """LSTM biases (4H,) each, gates i, f, g, o -> new (bias_ih, bias_hh) with b_f = value in total:
    bias_ih's f quarter = value, bias_hh's f quarter = 0, the other gates unchanged."""
    H = bias_ih.shape[0] // 4
    b_ih, b_hh = bias_ih.copy(), bias_hh.copy()
    b_ih[H : 2 * H] = value
    b_hh[H : 2 * H] = 0.0
    return b_ih, b_hh


def _forget_cases():
    rng = np.random.default_rng(80)
    cases = []
    for H, value in [(2, 1.0), (3, 1.0), (1, 2.0), (4, -0.5)]:
        cases.append((f"H={H}, value={value}", (rng.uniform(-0.5, 0.5, 4 * H), rng.uniform(-0.5, 0.5, 4 * H), value)))
    return cases


def _both_set(bias_ih, bias_hh, value):
    H = bias_ih.shape[0] // 4
    b_ih, b_hh = bias_ih.copy(), bias_hh.copy()
    b_ih[H : 2 * H] = value
    b_hh[H : 2 * H] = value  # b_f = 2 * value in total
    return b_ih, b_hh


def _wrong_quarter(bias_ih, bias_hh, value):
    H = bias_ih.shape[0] // 4
    b_ih, b_hh = bias_ih.copy(), bias_hh.copy()
    b_ih[:H] = value  # the input gate: torch's order is i, f, g, o
    b_hh[:H] = 0.0
    return b_ih, b_hh


def _added(bias_ih, bias_hh, value):
    H = bias_ih.shape[0] // 4
    b_ih = bias_ih.copy()
    b_ih[H : 2 * H] += value  # shifts the random init instead of setting b_f
    return b_ih, bias_hh.copy()


register(
    Exercise(
        name="forget-gate-bias",
        reference=_forget_bias,
        cases=_forget_cases,
        wrong_answers=(_both_set, _wrong_quarter, _added),
        hint="gates are stacked i, f, g, o: the forget gate is rows H:2H; the two biases add up, so set one "
        "to the value and the other to 0",
    )
)
