"""Exercises of chapter 11, "Recurrent networks today": minGRU and the scan (the xLSTM's are in ch11_xlstm.py)."""

import numpy as np

from ._core import Exercise, register


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def _mingru_step(x, h_prev, W_ih, b_ih):
    """One minGRU step, (MG1)-(MG3), in NumPy: x (B, D), h_prev (B, H), W_ih (2H, D) stacked z, h̃; b_ih (2H,)."""
    H = h_prev.shape[1]
    k = x @ W_ih.T + b_ih
    z = _sigmoid(k[:, :H])  # (MG1)
    h_tilde = np.where(k[:, H:] >= 0, k[:, H:] + 0.5, _sigmoid(k[:, H:]))  # (MG2)
    return (1 - z) * h_prev + z * h_tilde  # (MG3)


def _mingru_cases():
    rng = np.random.default_rng(11)  # the cases are fixed data, not a chapter's seed
    cases = []
    for B, D, H in [(1, 1, 1), (2, 3, 4), (3, 2, 5)]:
        x = rng.normal(size=(B, D))
        cases.append(
            (
                f"B={B}, D={D}, H={H}",
                (x, rng.normal(size=(B, H)), 2 * rng.normal(size=(2 * H, D)), rng.normal(size=2 * H)),
            )
        )
    return cases


def _mingru_no_g(x, h_prev, W_ih, b_ih):  # the candidate left linear (the paper's version without log space)
    H = h_prev.shape[1]
    k = x @ W_ih.T + b_ih
    z = _sigmoid(k[:, :H])
    return (1 - z) * h_prev + z * k[:, H:]


def _mingru_gate_swapped(x, h_prev, W_ih, b_ih):  # z keeps the old state instead of letting the new one in
    H = h_prev.shape[1]
    k = x @ W_ih.T + b_ih
    z = _sigmoid(k[:, :H])
    h_tilde = np.where(k[:, H:] >= 0, k[:, H:] + 0.5, _sigmoid(k[:, H:]))
    return z * h_prev + (1 - z) * h_tilde


def _mingru_tanh(x, h_prev, W_ih, b_ih):  # the GRU's tanh candidate
    H = h_prev.shape[1]
    k = x @ W_ih.T + b_ih
    z = _sigmoid(k[:, :H])
    return (1 - z) * h_prev + z * np.tanh(k[:, H:])


def _mingru_halves_swapped(x, h_prev, W_ih, b_ih):  # the gate read from the candidate's rows
    H = h_prev.shape[1]
    k = x @ W_ih.T + b_ih
    z = _sigmoid(k[:, H:])
    h_tilde = np.where(k[:, :H] >= 0, k[:, :H] + 0.5, _sigmoid(k[:, :H]))
    return (1 - z) * h_prev + z * h_tilde


register(
    Exercise(
        name="mingru-step",
        reference=_mingru_step,
        cases=_mingru_cases,
        wrong_answers=(_mingru_no_g, _mingru_gate_swapped, _mingru_tanh, _mingru_halves_swapped),
        hint="rows :H of W_ih give z_t = σ(·), rows H: give h̃_t = g(·); h_t = (1 - z_t) h_{t-1} + z_t h̃_t",
    )
)


def _combine(first, second):
    """The scan's operator (LR2): (a1, b1) ∘ (a2, b2) = (a1 a2, a2 b1 + b2), step 1 then step 2."""
    (a1, b1), (a2, b2) = first, second
    return a1 * a2, a2 * b1 + b2


def _combine_cases():
    rng = np.random.default_rng(12)
    cases = [("scalars", ((np.array(0.5), np.array(2.0)), (np.array(0.25), np.array(-1.0))))]
    for shape in [(3,), (2, 4)]:
        pairs = tuple((rng.uniform(0.1, 1.5, size=shape), rng.normal(size=shape)) for _ in range(2))
        cases.append((f"shape {shape}", pairs))
    return cases


register(
    Exercise(
        name="scan-combine",
        reference=_combine,
        cases=_combine_cases,
        wrong_answers=(
            lambda first, second: (first[0] * second[0], first[0] * second[1] + first[1]),  # step 2 before step 1
            lambda first, second: (first[0] * second[0], first[1] + second[1]),  # the b's added, not carried
            lambda first, second: (first[0] * second[0], second[0] * first[1] + first[0] * second[1]),  # b2 scaled
        ),
        hint="apply step 1, h -> a1 h + b1, then step 2 to the result: a2 (a1 h + b1) + b2",
    )
)
