r"""The LSTM: one step (the one place of its equations), a whole sequence as a plain loop over that
step (forward, and backpropagation through time), and the layer.

Equations, in the book's numbering (the notes' numbering, corrected), for one time step:

    (1)  f_t = σ(W_f·[h_{t-1}, x_t] + b_f)            forget gate
    (2)  i_t = σ(W_i·[h_{t-1}, x_t] + b_i)            input gate
    (3)  C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)          candidate cell state (g in PyTorch)
    (4)  o_t = σ(W_o·[h_{t-1}, x_t] + b_o)            output gate
    (3a) C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t              cell update
    (5)  h_t = o_t ⊙ tanh(C_t)                         hidden state

and backpropagation through time (chapter 6), with a_t the stacked pre-activations and δv = ∂L/∂v:

    (B1) δh_t = ∂L/∂h_t + W_hhᵀ δa_{t+1}
    (B2) δC_t = δh_t ⊙ o_t ⊙ (1 − tanh² C_t) + δC_{t+1} ⊙ f_{t+1}
    (B3) δo_t = δh_t ⊙ tanh C_t,  δf_t = δC_t ⊙ C_{t-1},  δi_t = δC_t ⊙ C̃_t,  δC̃_t = δC_t ⊙ i_t
    (B4) δa_t = [δi_t ⊙ i_t(1 − i_t), δf_t ⊙ f_t(1 − f_t), δC̃_t ⊙ (1 − C̃_t²), δo_t ⊙ o_t(1 − o_t)]
    (B5) δW_ih = Σ_t δa_t x_tᵀ,  δW_hh = Σ_t δa_t h_{t-1}ᵀ,  δb_ih = δb_hh = Σ_t δa_t
    (B6) δx_t = W_ihᵀ δa_t,  δh_{t-1} = W_hhᵀ δa_t (→ (B1) of the step before),  δC_{t-1} = δC_t ⊙ f_t

PyTorch stores W·[h, x] + b as two products and two biases, W_ih x + b_ih + W_hh h + b_hh, with the
four gates stacked in the rows in the order i, f, g, o; so do we (``concat_weights`` and
``split_weights`` convert between the two forms). With a projection (``proj_size`` > 0, as in
``torch.nn.LSTM``), (5) is followed by h_t = W_hr h_t: the state fed back and returned has P
entries instead of H.

The functions here are written to be read; ``lstmlib.numpy._fast`` holds the same functions arranged
for speed (tested equal), which the ``LSTM`` class uses unless ``fast=False``.

Shapes: T time steps, B batch, D input features, H hidden units. x_t (B, D), h and C (B, H),
W_ih (4H, D), W_hh (4H, H), b_ih and b_hh (4H,).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from . import _fast
from ._recurrent import RecurrentBase
from ._validate import Array, check_recurrent_args
from .activations import sigmoid

LSTMStepCache = namedtuple(
    "LSTMStepCache",
    "x h_prev c_prev i f g o c tanh_c h W_ih W_hh b_ih b_hh W_hr",
)
LSTMStepCache.__doc__ = """What one LSTM step keeps for its backward: the inputs, every gate value
(i, f, g = C̃, o, each (B, H)), the new cell c, tanh(c) and hidden h, and the weights (b_ih, b_hh,
W_hr None when absent)."""

LSTMCache = namedtuple("LSTMCache", "steps")
LSTMCache.__doc__ = """What ``lstm_forward`` keeps for ``lstm_backward``: ``steps``, the list of the
T steps' ``LSTMStepCache`` (so ``cache.steps[t].f`` is f_{t+1})."""


def concat_weights(W_ih: Array, W_hh: Array) -> Array:
    """The notes' single matrix W = [W_hh | W_ih] (4H, H + D), so that W·[h, x] = W_hh h + W_ih x."""
    return np.concatenate([W_hh, W_ih], axis=1)


def split_weights(W: Array, hidden_size: int) -> tuple[Array, Array]:
    """Inverse of ``concat_weights``: W (4H, H + D) -> (W_ih (4H, D), W_hh (4H, H))."""
    return W[:, hidden_size:], W[:, :hidden_size]


def split_gates(a: Array) -> tuple[Array, ...]:
    """Split the last axis (4H) of a stacked array into the gates' blocks (i, f, g, o), each H wide."""
    return tuple(np.split(a, 4, axis=-1))


def bias_sum(b_ih: Array | None, b_hh: Array | None) -> Array | float:
    """b_ih + b_hh, treating a missing bias (``bias=False``) as zero."""
    return (0.0 if b_ih is None else b_ih) + (0.0 if b_hh is None else b_hh)


def add_gradients(total: list | None, step: tuple) -> list:
    """The weights' gradients summed over steps: ``total`` + this ``step``'s, entry by entry (None stays None)."""
    return list(step) if total is None else [None if a is None else a + b for a, b in zip(total, step)]


def lstm_step_forward(
    x: Array,
    h_prev: Array,
    c_prev: Array,
    W_ih: Array,
    W_hh: Array,
    b_ih: Array | None = None,
    b_hh: Array | None = None,
    W_hr: Array | None = None,
) -> tuple[Array, Array, LSTMStepCache]:
    """One LSTM time step, equations (1)–(5), one line per equation.

    Args:
        x: (B, D) input at time t.
        h_prev: (B, H) hidden state h_{t-1} ((B, P) with a projection).
        c_prev: (B, H) cell state C_{t-1}.
        W_ih: (4H, D), W_hh: (4H, H), b_ih: (4H,) or None, b_hh: (4H,) or None, gates stacked i, f, g, o.
        W_hr: (P, H) projection of ``torch.nn.LSTM(proj_size=P)``, or None.
    Returns:
        h: (B, H) new hidden state h_t ((B, P) with a projection).
        c: (B, H) new cell state C_t.
        cache: ``LSTMStepCache`` with every gate value, for ``lstm_step_backward``.
    """
    check_recurrent_args(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, 4, W_hr)
    a_i, a_f, a_g, a_o = split_gates(x @ W_ih.T + h_prev @ W_hh.T + bias_sum(b_ih, b_hh))  # W·[h_{t-1}, x_t] + b
    f = sigmoid(a_f)  # (1) forget gate
    i = sigmoid(a_i)  # (2) input gate
    g = np.tanh(a_g)  # (3) candidate cell state C̃_t
    o = sigmoid(a_o)  # (4) output gate
    c = f * c_prev + i * g  # (3a) cell update
    h = o * np.tanh(c)  # (5) hidden state
    if W_hr is not None:
        h = h @ W_hr.T  # projection (torch.nn.LSTM's proj_size): h_t = W_hr (o_t ⊙ tanh C_t)
    return h, c, LSTMStepCache(x, h_prev, c_prev, i, f, g, o, c, np.tanh(c), h, W_ih, W_hh, b_ih, b_hh, W_hr)


def lstm_step(
    x: Array,
    h_prev: Array,
    c_prev: Array,
    W_ih: Array,
    W_hh: Array,
    b_ih: Array | None = None,
    b_hh: Array | None = None,
    W_hr: Array | None = None,
) -> tuple[Array, Array]:
    """One LSTM step without the cache: ``lstm_step_forward(...)[:2]``, i.e. (h_t, C_t)."""
    h, c, _ = lstm_step_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, W_hr)
    return h, c


def lstm_step_backward(dh: Array, dc: Array, cache: LSTMStepCache) -> tuple[Array | None, ...]:
    """Backward of one LSTM step: (B2)–(B4), then this step's terms of (B5) and (B6).

    Args:
        dh: (B, H) gradient of the loss with respect to h_t, everything that reaches it ((B1)).
        dc: (B, H) gradient with respect to C_t arriving from step t+1 (δC_{t+1} ⊙ f_{t+1}; zeros at the end).
    Returns:
        dx (B, D), dh_prev (B, H), dc_prev (B, H), dW_ih (4H, D), dW_hh (4H, H), db_ih (4H,), db_hh (4H,)
        (db_ih, db_hh None when the step had no bias), and dW_hr (P, H) appended with a projection.
    """
    k = cache
    i, f, g, o, tanh_c = k.i, k.f, k.g, k.o, k.tanh_c
    if k.W_hr is not None:
        dW_hr, dh = dh.T @ (o * tanh_c), dh @ k.W_hr  # back through the projection h_t = W_hr (o_t ⊙ tanh C_t)
    dc = dh * o * (1.0 - tanh_c**2) + dc  # (B2)
    do, df, di, dg = dh * tanh_c, dc * k.c_prev, dc * g, dc * i  # (B3)
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], axis=1)  # (B4)
    dW_ih, dW_hh, db = da.T @ k.x, da.T @ k.h_prev, da.sum(axis=0)  # (B5): this step's terms
    dx, dh_prev, dc_prev = da @ k.W_ih, da @ k.W_hh, dc * f  # (B6)
    db_ih, db_hh = (None if k.b_ih is None else db), (None if k.b_hh is None else db.copy())
    grads = (dx, dh_prev, dc_prev, dW_ih, dW_hh, db_ih, db_hh)
    return grads if k.W_hr is None else (*grads, dW_hr)


def lstm_forward(
    x: Array,
    h0: Array,
    c0: Array,
    W_ih: Array,
    W_hh: Array,
    b_ih: Array | None = None,
    b_hh: Array | None = None,
    W_hr: Array | None = None,
) -> tuple[Array, Array, Array, LSTMCache]:
    """Run an LSTM over a whole sequence: (1)–(5) at every step, a loop over ``lstm_step_forward``.

    Args:
        x: (T, B, D) inputs.
        h0, c0: (B, H) initial hidden and cell states (h0 (B, P) with a projection).
        W_ih: (4H, D), W_hh: (4H, H), b_ih, b_hh: (4H,) or None, gates stacked i, f, g, o; W_hr (P, H) or None.
    Returns:
        output: (T, B, H) hidden states h_1 … h_T.
        h_n, c_n: (B, H) final hidden and cell states h_T, C_T.
        cache: ``LSTMCache`` for ``lstm_backward``.
    """
    check_recurrent_args(x, h0, c0, W_ih, W_hh, b_ih, b_hh, 4, W_hr, sequence=True)
    h, c, outputs, steps = h0, c0, [], []
    for x_t in x:
        h, c, step = lstm_step_forward(x_t, h, c, W_ih, W_hh, b_ih, b_hh, W_hr)  # (1)–(5)
        outputs.append(h)
        steps.append(step)
    return np.stack(outputs), h, c, LSTMCache(steps)


def lstm_backward(
    d_output: Array, cache: LSTMCache, dh_n: Array | None = None, dc_n: Array | None = None
) -> tuple[Array | None, ...]:
    """Backpropagation through time for ``lstm_forward``: a loop over ``lstm_step_backward``, from the
    last step to the first.

    Args:
        d_output: (T, B, H) gradient of the loss with respect to every output h_t.
        cache: from ``lstm_forward``.
        dh_n, dc_n: (B, H) gradients with respect to the final states h_T and C_T, or None for zeros.
    Returns:
        dx (T, B, D), dh0 (B, H), dc0 (B, H), dW_ih (4H, D), dW_hh (4H, H), db_ih (4H,), db_hh (4H,)
        (db_ih, db_hh None without bias), and dW_hr (P, H) appended with a projection.
    """
    steps = cache.steps
    dh_next = np.zeros_like(steps[-1].h) if dh_n is None else dh_n  # from after the last step: the loss on h_T
    dc_next = np.zeros_like(steps[-1].c) if dc_n is None else dc_n  # and on C_T
    dx, dW = [], None
    for t in reversed(range(len(steps))):
        dh_t = d_output[t] + dh_next  # (B1): from the loss at step t and from step t+1
        dx_t, dh_next, dc_next, *dW_t = lstm_step_backward(dh_t, dc_next, steps[t])  # (B2)–(B4), (B6)
        dW = add_gradients(dW, dW_t)  # (B5): the weights' gradients, summed over the steps
        dx.append(dx_t)
    return (np.stack(dx[::-1]), dh_next, dc_next, *dW)


class LSTM(RecurrentBase):
    r"""Multi-layer LSTM with ``torch.nn.LSTM``'s contract, forward and backward in NumPy.

    Each layer applies equations (1)–(5) at every step; layer l > 0 takes layer l − 1's hidden
    states as input (after dropout, in training mode, when ``dropout`` > 0).

    Args (as ``torch.nn.LSTM``):
        input_size: D.  hidden_size: H.  num_layers: L (default 1).
        bias: if False, no ``bias_ih``/``bias_hh``.
        batch_first: if True, x and output are (B, T, ·) instead of (T, B, ·); states stay (L, B, H).
        dropout: probability of zeroing each output of every layer but the last, in training mode.
        bidirectional: if True, a second LSTM per layer reads the sequence backwards (suffix ``_reverse``).
        proj_size: P > 0 projects each hidden state, h_t = W_hr (o_t ⊙ tanh C_t) (``weight_hr_l{k}`` (P, H)).
    Keyword-only (NumPy extras):
        seed: int, ``np.random.Generator`` or None; weights are U(−1/√H, 1/√H) as in PyTorch; also
            draws the dropout masks.
        dtype: np.float64 (default) or np.float32.
        fast: True (default) runs ``lstmlib.numpy._fast``; False the readable loops of this module.

    Parameters (``state_dict()``, ``.params``; gradients in ``.grads`` after ``backward``), named,
    shaped and ordered as in ``torch.nn.LSTM``.

    ``forward(x, state=None, lengths=None)``: x (T, B, D) (or unbatched (T, D)); state (h_0, c_0),
    each (L·dirs, B, H) (h_0 (L·dirs, B, P) with a projection), default zeros; ``lengths`` (B,) the
    true length of each sequence (padding after it; what ``pack_padded_sequence`` does in torch).
    Returns ``(output (T, B, dirs·H), (h_n, c_n))``.
    ``backward(d_output, d_state=None)``: d_state (dh_n, dc_n) or None (either may be None).
    Returns dx, or ``(dx, (dh_0, dc_0))`` when forward got a state.
    """

    gate_count = 4
    _loop_functions = (lstm_forward, lstm_backward)  # readable: a loop over the step functions
    _fast_functions = (_fast.lstm_forward, _fast.lstm_backward)  # the same, arranged for speed
    has_cell = True

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        *,
        seed: int | np.random.Generator | None = None,
        dtype=np.float64,
        fast: bool = True,
    ) -> None:
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias=bias,
            batch_first=batch_first,
            dropout=dropout,
            bidirectional=bidirectional,
            proj_size=proj_size,
            seed=seed,
            dtype=dtype,
            fast=fast,
        )
