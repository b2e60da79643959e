"""The vanilla (Elman) RNN: one step, a whole sequence with backpropagation through time, the layer.

    (R1)  h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)

Shapes: x_t (B, D), h (B, H), W_ih (H, D), W_hh (H, H), b_ih and b_hh (H,); sequences (T, B, ·).
"""

import numpy as np

from ._recurrent import RecurrentBase


def rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    """One RNN step, equation (R1).

    Args:
        x: (B, D) input x_t.  h_prev: (B, H) hidden state h_{t-1}.
        W_ih: (H, D), W_hh: (H, H), b_ih: (H,), b_hh: (H,).
    Returns:
        h: (B, H) new hidden state h_t.
        cache: (x, h_prev, h, W_ih, W_hh) for ``rnn_step_backward``.
    """
    h = np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)  # (R1)
    return h, (x, h_prev, h, W_ih, W_hh)


def rnn_step_backward(dh, cache):
    """Backward of one RNN step.

    Args:
        dh: (B, H) gradient with respect to h_t.
    Returns:
        dx (B, D), dh_prev (B, H), dW_ih (H, D), dW_hh (H, H), db_ih (H,), db_hh (H,).
    """
    x, h_prev, h, W_ih, W_hh = cache
    da = dh * (1.0 - h**2)  # through tanh in (R1)
    db = da.sum(axis=0)
    return da @ W_ih, da @ W_hh, da.T @ x, da.T @ h_prev, db, db.copy()


def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    """Run the RNN over a whole sequence, (R1) at every step.

    Args:
        x: (T, B, D) inputs.  h0: (B, H) initial hidden state.
        W_ih: (H, D), W_hh: (H, H), b_ih: (H,), b_hh: (H,).
    Returns:
        h: (T, B, H) hidden states h_1 … h_T.
        cache: for ``rnn_backward``.
    """
    T, B, _ = x.shape
    H = W_hh.shape[0]
    h = (x.reshape(T * B, -1) @ W_ih.T).reshape(T, B, H)  # input projections of all steps at once
    h += b_ih + b_hh
    W_hh_T = W_hh.T
    h_prev = h0
    for t in range(T):
        h[t] += h_prev @ W_hh_T
        np.tanh(h[t], out=h[t])  # (R1)
        h_prev = h[t]
    return h, (x, h0, h, W_ih, W_hh)


def rnn_backward(dh, cache):
    """Backpropagation through time for ``rnn_forward``.

    Args:
        dh: (T, B, H) gradient with respect to every hidden state (the final state's included).
        cache: from ``rnn_forward``.
    Returns:
        dx (T, B, D), dh0 (B, H), dW_ih (H, D), dW_hh (H, H), db_ih (H,), db_hh (H,).
    """
    x, h0, h, W_ih, W_hh = cache
    T, B, H = h.shape
    da = 1.0 - h**2  # (T, B, H): tanh' of every step, turned into dL/da in the loop
    dh_next = np.zeros((B, H), dtype=h.dtype)
    for t in range(T - 1, -1, -1):
        da[t] *= dh[t] + dh_next
        dh_next = da[t] @ W_hh
    da2 = da.reshape(T * B, H)
    h_prev_all = np.concatenate([h0[None], h[:-1]]).reshape(T * B, H)
    db = da2.sum(axis=0)
    dx = (da2 @ W_ih).reshape(x.shape)
    return dx, dh_next, da2.T @ x.reshape(T * B, -1), da2.T @ h_prev_all, db, db.copy()


class RNN(RecurrentBase):
    """Multi-layer tanh RNN with ``torch.nn.RNN``'s contract, forward and backward in NumPy.

    Args and parameters as ``LSTM`` with one gate: ``weight_ih_l{l}`` (H, D or H),
    ``weight_hh_l{l}`` (H, H), ``bias_ih_l{l}``, ``bias_hh_l{l}`` (H,).

    ``forward(x, state=None)``: x (T, B, D) (or (B, T, D) with ``batch_first``), state h_0
    (L, B, H). Returns ``(output (T, B, H), h_n (L, B, H))``.
    ``backward(d_output, d_state=None)``: returns dx, or ``(dx, dh_0)`` when forward got a state.
    """

    gate_count = 1

    def _layer_forward(self, x, h0, c0, W_ih, W_hh, b_ih, b_hh):
        h, cache = rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh)
        return h, None, cache

    def _layer_backward(self, dh, dc_last, cache):
        dx, dh0, dW_ih, dW_hh, db_ih, db_hh = rnn_backward(dh, cache)
        return dx, dh0, None, dW_ih, dW_hh, db_ih, db_hh
