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
    "LSTMStepCache",
    "x h_prev c_prev i f g o c tanh_c h W_ih W_hh",
)
LSTMStepCache.__doc__ = """What one LSTM step keeps for its backward: the inputs, every gate value
(i, f, g = C̃, o, each (B, H)), the new cell c and hidden h, tanh(c), and the weights."""

LSTMCache = namedtuple("LSTMCache", "x h0 c0 gates c tanh_c h W_ih W_hh")
LSTMCache.__doc__ = """What ``lstm_forward`` keeps for ``lstm_backward``: x (T, B, D), h0 and c0 (B, H), the
gate values ``gates`` (T, 4, B, H) in the order i, f, g, o, the cell states c, tanh(c) and hidden
states h (T, B, H), and the weights."""


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
    da = np.concatenate(
        [
            di * i * (1.0 - i),  # (2)
            df * f * (1.0 - f),  # (1)
            dg * (1.0 - g**2),  # (3)
            do * o * (1.0 - o),  # (4)
        ],
        axis=-1,
    )  # (B, 4H)
    dx = da @ W_ih
    dh_prev = da @ W_hh
    dW_ih = da.T @ x
    dW_hh = da.T @ h_prev
    db = da.sum(axis=0)
    return dx, dh_prev, dc_prev, dW_ih, dW_hh, db, db.copy()


# The whole-sequence functions evaluate the same equations, arranged for speed:
# - one buffer holds the gates of every step, shaped (T, 4, B, H) (gates i, f, g, o), so the four
#   gates of a step form one contiguous block and each gate one contiguous (B, H) array; the
#   recurrent product is one batched matmul h_{t-1} (B, H) @ (4, H, H);
# - the input projections of all T steps are computed before the loop, in one batched product;
# - σ(z) = (1 + tanh(z/2)) / 2, so ONE tanh call evaluates all four gates: the rows of the sigmoid
#   gates (i, f, o) are pre-scaled by 1/2 (exact in floating point), and afterwards those gates are
#   mapped by y -> y/2 + 1/2;
# - backward keeps only the recurrence in the loop and forms the weight gradients and dx after it,
#   each with one matrix product over all T·B rows; it writes the gates' gradients time-major,
#   (T, B, 4H), the layout those products need, so no transposed copy is made;
# - small products are faster in OpenBLAS than one wide product (it skips packing them), so
#   dh_{t-1} = dA_t W_hh is computed in four column blocks of W_hh, in one batched matmul.


def _gate_scale(dtype):
    """(4, 1, 1) scale and shift: σ(z) = tanh(z/2)/2 + 1/2 for the gates i, f, o; tanh(z) for g."""
    scale = np.array([0.5, 0.5, 1.0, 0.5], dtype=dtype).reshape(4, 1, 1)
    return scale, np.where(scale == 0.5, 0.5, 0.0).astype(dtype)


def _gate_major(W, hidden_size):
    """(4H, K) stacked weights -> (4, K, H), so that v (N, K) @ result gives each gate's (N, H) block."""
    return np.ascontiguousarray(W.reshape(4, hidden_size, -1).transpose(0, 2, 1))


def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    """Run an LSTM over a whole sequence, equations (1)–(5) at every step.

    Args:
        x: (T, B, D) inputs.
        h0, c0: (B, H) initial hidden and cell states.
        W_ih: (4H, D), W_hh: (4H, H), b_ih: (4H,), b_hh: (4H,), gates stacked i, f, g, o.
    Returns:
        h: (T, B, H) hidden states h_1 … h_T.
        c: (T, B, H) cell states C_1 … C_T.
        cache: ``LSTMCache`` for ``lstm_backward``; ``cache.gates[t]`` holds i_t, f_t, g_t, o_t.
    """
    T, B, D = x.shape
    H = W_hh.shape[1]
    scale, shift = _gate_scale(x.dtype)  # (4, 1, 1) each
    W_hh4 = _gate_major(W_hh, H) * scale  # (4, H, H)
    W_ih4 = _gate_major(W_ih, H) * scale  # (4, D, H)
    # Input projections of all T steps in one batched product: gates[t] starts as W_ih x_t + b_ih + b_hh.
    gates = np.matmul(x[:, None], W_ih4)  # (T, 1, B, D) @ (4, D, H) -> (T, 4, B, H)
    gates += (b_ih + b_hh).reshape(4, 1, H) * scale
    h = np.empty((T, B, H), dtype=x.dtype)
    c = np.empty((T, B, H), dtype=x.dtype)
    tanh_c = np.empty((T, B, H), dtype=x.dtype)
    recurrent = np.empty((4, B, H), dtype=x.dtype)
    ig = np.empty((B, H), dtype=x.dtype)
    h_prev, c_prev = h0, c0
    for t in range(T):
        a = gates[t]  # (4, B, H), a view: the gate values overwrite the pre-activations
        a += np.matmul(h_prev, W_hh4, out=recurrent)  # + W_hh h_{t-1}
        np.tanh(a, out=a)
        a *= scale
        a += shift  # now a = [i, f, g, o]: (2), (1), (3), (4)
        i, f, g, o = a
        np.multiply(f, c_prev, out=c[t])
        c[t] += np.multiply(i, g, out=ig)  # (3a)
        np.tanh(c[t], out=tanh_c[t])
        np.multiply(o, tanh_c[t], out=h[t])  # (5)
        h_prev, c_prev = h[t], c[t]
    return h, c, LSTMCache(x, h0, c0, gates, c, tanh_c, h, W_ih, W_hh)


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
    dtype = h.dtype
    # dA[t] = ∂L/∂(W·[h_{t-1}, x_t] + b), (B, 4H), columns i|f|g|o as in the rows of W_ih and W_hh
    dA = np.empty((T, B, 4 * H), dtype=dtype)
    dc_next = np.zeros((B, H), dtype=dtype) if dc_last is None else dc_last.copy()
    dh_t, dc_t = np.empty((B, H), dtype=dtype), np.empty((B, H), dtype=dtype)
    # dh_{t-1} = dA[t] @ W_hh, computed in four column blocks (OpenBLAS's fast small-matrix path)
    blocks = 4 if H % 4 == 0 else 1
    W_hh_blocks = np.ascontiguousarray(W_hh.reshape(4 * H, blocks, H // blocks).transpose(1, 0, 2))
    dh_blocks = np.zeros((blocks, B, H // blocks), dtype=dtype)
    dh_next = dh_blocks.transpose(1, 0, 2)  # (B, blocks, H/blocks) view
    local = np.empty((4, B, H), dtype=dtype)  # ∂C_t or ∂h_t with respect to each gate's pre-activation
    for t in range(T - 1, -1, -1):
        i, f, g, o = gates[t]
        # dh_t: from the loss at step t and from step t+1 (kept in column blocks)
        np.add(dh[t].reshape(B, blocks, H // blocks), dh_next, out=dh_t.reshape(B, blocks, H // blocks))
        np.multiply(tanh_c[t], tanh_c[t], out=dc_t)
        np.subtract(1.0, dc_t, out=dc_t)  # tanh'(C_t) = 1 − tanh²(C_t)
        dc_t *= o
        dc_t *= dh_t  # through (5) into C_t
        dc_t += dc_next  # and from step t+1 through (3a)
        np.subtract(1.0, gates[t], out=local)
        local *= gates[t]  # σ' = σ(1 − σ) for i, f, o; the g row is replaced next
        np.multiply(g, g, out=local[2])
        np.subtract(1.0, local[2], out=local[2])  # tanh' = 1 − C̃² for g
        local[0] *= g  # (3a): ∂C_t/∂i_t = C̃_t, then (2)
        local[1] *= c0 if t == 0 else c[t - 1]  # (3a): ∂C_t/∂f_t = C_{t-1}, then (1)
        local[2] *= i  # (3a): ∂C_t/∂C̃_t = i_t, then (3)
        local[3] *= tanh_c[t]  # (5): ∂h_t/∂o_t = tanh(C_t), then (4)
        da = dA[t].reshape(B, 4, H).transpose(1, 0, 2)  # (4, B, H) view of dA[t]
        np.multiply(local[:3], dc_t, out=da[:3])  # i, f, C̃ reach the loss through C_t
        np.multiply(local[3], dh_t, out=da[3])  # o reaches it through h_t
        np.multiply(dc_t, f, out=dc_next)  # (3a): ∂C_t/∂C_{t-1} = f_t
        np.matmul(dA[t], W_hh_blocks, out=dh_blocks)  # ∂/∂h_{t-1} of W_hh h_{t-1}
    # Parameter gradients and dx for all T steps at once: one matrix product each.
    dA = dA.reshape(T * B, 4 * H)  # rows (t, b)
    dW_ih = dA.T @ x.reshape(T * B, -1)
    # dW_hh = Σ_t dA_t h_{t-1}ᵀ, split so that h_0 needs no concatenation with h_1 … h_{T-1}
    dW_hh = dA[B:].T @ h[:-1].reshape((T - 1) * B, H) + dA[:B].T @ h0
    db = dA.sum(axis=0)
    dx = (dA @ W_ih).reshape(x.shape)
    return dx, dh_next.reshape(B, H), dc_next, dW_ih, dW_hh, db, db.copy()


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
