"""Exercises of chapter 11, "Recurrent networks today": the xLSTM section."""

import numpy as np

from ._core import Exercise, register


def _slstm_stabilizer(i_pre, log_f, m_prev):
    """One step of the sLSTM's stabiliser, (S8)-(S10): m_t, i'_t, f'_t from ĩ_t, log f_t, m_{t-1}."""
    m = np.maximum(log_f + m_prev, i_pre)  # (S8)
    return m, np.exp(i_pre - m), np.exp(log_f + m_prev - m)  # (S9), (S10)


def _cases():
    def arrays(*rows):
        return tuple(np.array(row, dtype=float) for row in rows)

    return [
        ("small values, m_{t-1} = 0", arrays([0.5, -1.0, 2.0], [-0.1, -0.7, -0.05], [0.0, 0.0, 0.0])),
        ("the forget path wins in some cells", arrays([-3.0, 1.0, 0.2], [-0.01, -2.0, -0.3], [4.0, 0.5, 1.0])),
        ("ĩ_t = 100, 1000: exp(ĩ_t) overflows", arrays([100.0, 1000.0, -5.0], [-0.2, -0.2, -0.2], [0.0, 2.0, 990.0])),
        ("an exponential forget gate, log f_t > 0", arrays([0.0, 3.0], [2.0, 5.0], [50.0, -1.0])),
        ("the first step, m_0 = -inf", arrays([0.3, -2.0, 40.0], [-0.5, -0.5, -0.5], [-np.inf, -np.inf, -np.inf])),
    ]


def _forgets_the_previous_stabilizer(i_pre, log_f, m_prev):
    m = np.maximum(log_f, i_pre)  # m_{t-1} left out
    return m, np.exp(i_pre - m), np.exp(log_f + m_prev - m)


def _plain_gates(i_pre, log_f, m_prev):
    with np.errstate(over="ignore"):
        return np.maximum(log_f + m_prev, i_pre), np.exp(i_pre), np.exp(log_f)  # the unstabilised gates


def _forget_gate_without_previous_m(i_pre, log_f, m_prev):
    m = np.maximum(log_f + m_prev, i_pre)
    return m, np.exp(i_pre - m), np.exp(log_f - m)  # m_{t-1} missing in (S10)


def _divides_after_overflow(i_pre, log_f, m_prev):
    m = np.maximum(log_f + m_prev, i_pre)
    with np.errstate(over="ignore", invalid="ignore"):  # right on paper; exp(ĩ_t) overflows first
        return m, np.exp(i_pre) / np.exp(m), np.exp(log_f) * np.exp(m_prev) / np.exp(m)


register(
    Exercise(
        name="slstm-stabilizer",
        reference=_slstm_stabilizer,
        cases=_cases,
        wrong_answers=(
            _forgets_the_previous_stabilizer,
            _plain_gates,
            _forget_gate_without_previous_m,
            _divides_after_overflow,
        ),
        hint="m_t = max(log f_t + m_{t-1}, ĩ_t); subtract m_t inside exp, never divide by exp(m_t) afterwards",
    )
)
