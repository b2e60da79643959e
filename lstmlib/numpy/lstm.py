r"""The LSTM: one step, a whole sequence (forward and backpropagation through time), and the layer.

Equations, in the book's numbering (the notes' numbering, corrected), for one time step:

    (1)  f_t = σ(W_f·[h_{t-1}, x_t] + b_f)            forget gate
    (2)  i_t = σ(W_i·[h_{t-1}, x_t] + b_i)            input gate
    (3)  C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)          candidate cell state (g in PyTorch)
    (4)  o_t = σ(W_o·[h_{t-1}, x_t] + b_o)            output gate
    (3a) C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t              cell update
    (5)  h_t = o_t ⊙ tanh(C_t)                         hidden state

PyTorch stores W·[h, x] + b as two products and two biases, W_hh h + W_ih x + b_hh + b_ih, with the
four gates stacked in the rows in the order i, f, g, o; so do we (``concat_weights`` and
``split_weights`` convert between the two forms).

Shapes: T time steps, B batch, D input features, H hidden units. x_t (B, D), h and C (B, H),
W_ih (4H, D), W_hh (4H, H), b_ih and b_hh (4H,).
"""

from collections import namedtuple

import numpy as np

from ._recurrent import RecurrentBase
from .activations import sigmoid

LSTMStepCache = namedtuple(
    "LSTMStepCache", "x h_prev c_prev i f g o c tanh_c h W_ih W_hh",
)
LSTMStepCache.__doc__ = """What one LSTM step keeps for its backward: the inputs, every gate value
(i, f, g = C̃, o, each (B, H)), the new cell c and hidden h, tanh(c), and the weights."""


def concat_weights(W_ih, W_hh):
    """The notes' single matrix W = [W_hh | W_ih] (4H, H + D), so that W·[h, x] = W_hh h + W_ih x."""
    return np.concatenate([W_hh, W_ih], axis=1)


def split_weights(W, hidden_size):
    """Inverse of ``concat_weights``: W (4H, H + D) -> (W_ih (4H, D), W_hh (4H, H))."""
    return W[:, hidden_size:], W[:, :hidden_size]


def split_gates(a):
    """Split the last axis (4H) of a stacked array into the gates' blocks (i, f, g, o), each H wide."""
    return tuple(np.split(a, 4, axis=-1))


def lstm_step_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """One LSTM time step, equations (1)–(5), written one line per equation.

    Args:
        x: (B, D) input at time t.
        h_prev: (B, H) hidden state h_{t-1}.
        c_prev: (B, H) cell state C_{t-1}.
        W_ih: (4H, D), W_hh: (4H, H), b_ih: (4H,), b_hh: (4H,), gates stacked i, f, g, o.
    Returns:
        h: (B, H) new hidden state h_t.
        c: (B, H) new cell state C_t.
        cache: ``LSTMStepCache`` with every gate value, for ``lstm_step_backward``.
    """
    a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh  # (B, 4H): W·[h_{t-1}, x_t] + b for all gates
    a_i, a_f, a_g, a_o = split_gates(a)
    f = sigmoid(a_f)  # (1) forget gate
    i = sigmoid(a_i)  # (2) input gate
    g = np.tanh(a_g)  # (3) candidate cell state C̃_t
    o = sigmoid(a_o)  # (4) output gate
    c = f * c_prev + i * g  # (3a) cell update
    tanh_c = np.tanh(c)
    h = o * tanh_c  # (5) hidden state
    return h, c, LSTMStepCache(x, h_prev, c_prev, i, f, g, o, c, tanh_c, h, W_ih, W_hh)


def lstm_step_backward(dh, dc, cache):
    """Backward of one LSTM step.

    Args:
        dh: (B, H) gradient of the loss with respect to h_t.
        dc: (B, H) gradient with respect to C_t arriving from step t+1 (zeros at the last step).
    Returns:
        dx (B, D), dh_prev (B, H), dc_prev (B, H), dW_ih (4H, D), dW_hh (4H, H), db_ih (4H,), db_hh (4H,).
    """
    x, h_prev, c_prev, i, f, g, o, c, tanh_c, h, W_ih, W_hh = cache
    do = dh * tanh_c  # through (5)
    dc = dc + dh * o * (1.0 - tanh_c**2)  # through (5) into C_t
    df, di, dg, dc_prev = dc * c_prev, dc * g, dc * i, dc * f  # through (3a)
    da = np.concatenate([
        di * i * (1.0 - i),  # (2)
        df * f * (1.0 - f),  # (1)
        dg * (1.0 - g**2),  # (3)
        do * o * (1.0 - o),  # (4)
    ], axis=-1)  # (B, 4H)
    dx = da @ W_ih
    dh_prev = da @ W_hh
    dW_ih = da.T @ x
    dW_hh = da.T @ h_prev
    db = da.sum(axis=0)
    return dx, dh_prev, dc_prev, dW_ih, dW_hh, db, db.copy()


# The whole-sequence functions evaluate the same equations, arranged for speed. The identity
# σ(z) = (1 + tanh(z/2)) / 2 lets ONE tanh call evaluate all four gates: the rows of the sigmoid
# gates (i, f, o) are pre-scaled by 1/2 (exact in floating point), and afterwards those columns are
# mapped by y -> y/2 + 1/2. The input projections of all T steps are one matrix product.

def _gate_affine(hidden_size, dtype):
    """Per-column scale and shift (4H,) turning tanh(scale·a) into the gates: σ for i, f, o; tanh for g."""
    scale = np.full(4 * hidden_size, 0.5, dtype=dtype)
    scale[2 * hidden_size:3 * hidden_size] = 1.0
    shift = np.where(scale == 0.5, 0.5, 0.0).astype(dtype)
    return scale, shift


def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    """Run an LSTM over a whole sequence, equations (1)–(5) at every step.

    Args:
        x: (T, B, D) inputs.
        h0, c0: (B, H) initial hidden and cell states.
        W_ih: (4H, D), W_hh: (4H, H), b_ih: (4H,), b_hh: (4H,), gates stacked i, f, g, o.
    Returns:
        h: (T, B, H) hidden states h_1 … h_T.
        c: (T, B, H) cell states C_1 … C_T.
        cache: what ``lstm_backward`` needs (gate values of every step, states, weights).
    """
    T, B, _ = x.shape
    H = W_hh.shape[1]
    scale, shift = _gate_affine(H, x.dtype)
    W_hh_T = (W_hh * scale[:, None]).T  # (H, 4H)
    # All T input projections in one product: gates[t] starts as W_ih x_t + b_ih + b_hh.
    gates = (x.reshape(T * B, -1) @ (W_ih * scale[:, None]).T).reshape(T, B, 4 * H)  # (T, B, 4H)
    gates += (b_ih + b_hh) * scale
    h = np.empty((T, B, H), dtype=x.dtype)
    c = np.empty((T, B, H), dtype=x.dtype)
    tanh_c = np.empty((T, B, H), dtype=x.dtype)
    recurrent = np.empty((B, 4 * H), dtype=x.dtype)
    h_prev, c_prev = h0, c0
    for t in range(T):
        a = gates[t]  # (B, 4H), a view: activations overwrite pre-activations in place
        a += np.matmul(h_prev, W_hh_T, out=recurrent)
        np.tanh(a, out=a)
        a *= scale
        a += shift  # now a = [i, f, g, o]: (1), (2), (3), (4)
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        np.multiply(f, c_prev, out=c[t])
        c[t] += i * g  # (3a)
        np.tanh(c[t], out=tanh_c[t])
        np.multiply(o, tanh_c[t], out=h[t])  # (5)
        h_prev, c_prev = h[t], c[t]
    cache = (x, h0, c0, gates, c, tanh_c, h, W_ih, W_hh)
    return h, c, cache


def lstm_backward(dh, cache, dc_last=None):
    """Backpropagation through time for ``lstm_forward``.

    Args:
        dh: (T, B, H) gradient of the loss with respect to every hidden state h_t (the gradient
            with respect to the final state h_T, if any, already added into dh[-1]).
        cache: from ``lstm_forward``.
        dc_last: (B, H) gradient with respect to the final cell state C_T, or None for zeros.
    Returns:
        dx (T, B, D), dh0 (B, H), dc0 (B, H), dW_ih (4H, D), dW_hh (4H, H), db_ih (4H,), db_hh (4H,).
    """
    x, h0, c0, gates, c, tanh_c, h, W_ih, W_hh = cache
    T, B, H = h.shape
    # Local derivatives of every step, computed for all T at once: dσ/da = σ(1 − σ), dtanh/da = 1 − g².
    dgates = gates * (1.0 - gates)  # (T, B, 4H); the g block is fixed on the next line
    dgates[..., 2 * H:3 * H] = 1.0 - gates[..., 2 * H:3 * H] ** 2
    dtanh_c = gates[..., 3 * H:] * (1.0 - tanh_c**2)  # o ⊙ (1 − tanh²C): ∂h_t/∂C_t, (T, B, H)
    c_prev_all = np.concatenate([c0[None], c[:-1]])  # (T, B, H): C_{t-1}
    h_prev_all = np.concatenate([h0[None], h[:-1]])  # (T, B, H): h_{t-1}
    dh_next = np.zeros((B, H), dtype=h.dtype)
    dc_next = np.zeros((B, H), dtype=h.dtype) if dc_last is None else dc_last
    d_act = np.empty((B, 4 * H), dtype=h.dtype)
    for t in range(T - 1, -1, -1):
        i, f, g, o = gates[t, :, :H], gates[t, :, H:2 * H], gates[t, :, 2 * H:3 * H], gates[t, :, 3 * H:]
        dh_t = dh[t] + dh_next
        dc_t = dh_t * dtanh_c[t]
        dc_t += dc_next  # through (5) and from step t+1
        np.multiply(dc_t, g, out=d_act[:, :H])  # ∂/∂i via (3a)
        np.multiply(dc_t, c_prev_all[t], out=d_act[:, H:2 * H])  # ∂/∂f via (3a)
        np.multiply(dc_t, i, out=d_act[:, 2 * H:3 * H])  # ∂/∂g via (3a)
        np.multiply(dh_t, tanh_c[t], out=d_act[:, 3 * H:])  # ∂/∂o via (5)
        dgates[t] *= d_act  # now the gradient with respect to the pre-activations
        dc_next = dc_t * f
        dh_next = dgates[t] @ W_hh
    # Parameter gradients for all T steps at once.
    da = dgates.reshape(T * B, 4 * H)
    dW_ih = da.T @ x.reshape(T * B, -1)
    dW_hh = da.T @ h_prev_all.reshape(T * B, H)
    db = da.sum(axis=0)
    dx = (da @ W_ih).reshape(x.shape)
    return dx, dh_next, dc_next, dW_ih, dW_hh, db, db.copy()


class LSTM(RecurrentBase):
    r"""Multi-layer LSTM with ``torch.nn.LSTM``'s contract, forward and backward in NumPy.

    Each layer applies equations (1)–(5) at every step; layer l > 0 takes layer l − 1's hidden
    states as input.

    Args:
        input_size: D.
        hidden_size: H.
        num_layers: L (default 1).
        batch_first: if True, x and output are (B, T, ·) instead of (T, B, ·); states stay (L, B, H).
        seed: int, ``np.random.Generator`` or None; weights are U(−1/√H, 1/√H) as in PyTorch.
        dtype: np.float64 (default: exact gradient checks, parity with torch to 1e-10) or np.float32.

    Parameters (``state_dict()``, ``.params``; gradients in ``.grads`` after ``backward``), for each
    layer l: ``weight_ih_l{l}`` (4H, D or H), ``weight_hh_l{l}`` (4H, H), ``bias_ih_l{l}`` (4H,),
    ``bias_hh_l{l}`` (4H,), gates stacked i, f, g, o.

    ``forward(x, state=None)``: x (T, B, D); state (h_0, c_0), each (L, B, H), default zeros.
    Returns ``(output (T, B, H), (h_n, c_n))``.
    ``backward(d_output, d_state=None)``: d_state (dh_n, dc_n) or None (either may be None).
    Returns dx, or ``(dx, (dh_0, dc_0))`` when forward got a state.
    """

    gate_count = 4
    has_cell = True

    def _layer_forward(self, x, h0, c0, W_ih, W_hh, b_ih, b_hh):
        h, c, cache = lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh)
        return h, c[-1], cache

    def _layer_backward(self, dh, dc_last, cache):
        return lstm_backward(dh, cache, dc_last)
