"""The GRU (Cho et al., 2014) in PyTorch's exact form: one step, a whole sequence, the layer.

    (G1)  r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)              reset gate
    (G2)  z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)              update gate
    (G3)  n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))    candidate
    (G4)  h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}                        hidden state

Note (G3): the reset gate multiplies W_hn h + b_hn, bias included, as in ``torch.nn.GRU``.
Shapes: x_t (B, D), h (B, H), W_ih (3H, D), W_hh (3H, H), b_ih and b_hh (3H,), gates stacked r, z, n.
"""

import numpy as np

from ._recurrent import RecurrentBase
from .activations import sigmoid


def gru_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    """One GRU step, equations (G1)–(G4).

    Args:
        x: (B, D).  h_prev: (B, H).  W_ih: (3H, D), W_hh: (3H, H), b_ih, b_hh: (3H,).
    Returns:
        h: (B, H) new hidden state.
        cache: dict with x, h_prev, r, z, n, hn (= W_hn h_{t-1} + b_hn), h and the weights.
    """
    H = h_prev.shape[1]
    gi = x @ W_ih.T + b_ih  # (B, 3H) input parts
    gh = h_prev @ W_hh.T + b_hh  # (B, 3H) recurrent parts
    r = sigmoid(gi[:, :H] + gh[:, :H])  # (G1) reset gate
    z = sigmoid(gi[:, H : 2 * H] + gh[:, H : 2 * H])  # (G2) update gate
    hn = gh[:, 2 * H :]
    n = np.tanh(gi[:, 2 * H :] + r * hn)  # (G3) candidate
    h = (1.0 - z) * n + z * h_prev  # (G4) hidden state
    return h, dict(x=x, h_prev=h_prev, r=r, z=z, n=n, hn=hn, h=h, W_ih=W_ih, W_hh=W_hh)


def _gru_local_backward(dh, h_prev, r, z, n, hn):
    """Gradients with respect to the input parts gi and recurrent parts gh of one step, and the
    direct path to h_prev. All (B, ·); shared by the step and sequence backwards."""
    dn = dh * (1.0 - z)  # (G4)
    dz = dh * (h_prev - n)  # (G4)
    da_n = dn * (1.0 - n**2)  # (G3) through tanh
    dr = da_n * hn  # (G3)
    da_r = dr * r * (1.0 - r)  # (G1)
    da_z = dz * z * (1.0 - z)  # (G2)
    dgi = np.concatenate([da_r, da_z, da_n], axis=-1)
    dgh = np.concatenate([da_r, da_z, da_n * r], axis=-1)
    return dgi, dgh, dh * z


def gru_step_backward(dh, cache):
    """Backward of one GRU step.

    Args:
        dh: (B, H) gradient with respect to h_t.
    Returns:
        dx (B, D), dh_prev (B, H), dW_ih (3H, D), dW_hh (3H, H), db_ih (3H,), db_hh (3H,).
    """
    k = cache
    dgi, dgh, dh_direct = _gru_local_backward(dh, k["h_prev"], k["r"], k["z"], k["n"], k["hn"])
    dx = dgi @ k["W_ih"]
    dh_prev = dh_direct + dgh @ k["W_hh"]
    return dx, dh_prev, dgi.T @ k["x"], dgh.T @ k["h_prev"], dgi.sum(axis=0), dgh.sum(axis=0)


def gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    """Run the GRU over a whole sequence, (G1)–(G4) at every step.

    Args:
        x: (T, B, D).  h0: (B, H).  W_ih: (3H, D), W_hh: (3H, H), b_ih, b_hh: (3H,).
    Returns:
        h: (T, B, H) hidden states h_1 … h_T.
        cache: for ``gru_backward``.
    """
    T, B, _ = x.shape
    H = W_hh.shape[1]
    gi = (x.reshape(T * B, -1) @ W_ih.T).reshape(T, B, 3 * H) + b_ih  # all input parts at once
    rz = np.empty((T, B, 2 * H), dtype=x.dtype)
    n = np.empty((T, B, H), dtype=x.dtype)
    hn = np.empty((T, B, H), dtype=x.dtype)
    h = np.empty((T, B, H), dtype=x.dtype)
    W_hh_T = W_hh.T
    h_prev = h0
    for t in range(T):
        gh = h_prev @ W_hh_T + b_hh  # (B, 3H)
        a = gi[t, :, : 2 * H] + gh[:, : 2 * H]
        np.tanh(0.5 * a, out=rz[t])
        rz[t] *= 0.5
        rz[t] += 0.5  # (G1), (G2) in one call: σ(a) = (1 + tanh(a/2)) / 2
        hn[t] = gh[:, 2 * H :]
        np.tanh(gi[t, :, 2 * H :] + rz[t, :, :H] * hn[t], out=n[t])  # (G3)
        np.subtract(h_prev, n[t], out=h[t])
        h[t] *= rz[t, :, H:]
        h[t] += n[t]  # (G4) written n + z ⊙ (h_{t-1} − n)
        h_prev = h[t]
    return h, (x, h0, rz, n, hn, h, W_ih, W_hh)


def gru_backward(dh, cache):
    """Backpropagation through time for ``gru_forward``.

    Args:
        dh: (T, B, H) gradient with respect to every hidden state.
    Returns:
        dx (T, B, D), dh0 (B, H), dW_ih (3H, D), dW_hh (3H, H), db_ih (3H,), db_hh (3H,).
    """
    x, h0, rz, n, hn, h, W_ih, W_hh = cache
    T, B, H = h.shape
    h_prev_all = np.concatenate([h0[None], h[:-1]])  # (T, B, H)
    dgi = np.empty((T, B, 3 * H), dtype=h.dtype)
    dgh = np.empty((T, B, 3 * H), dtype=h.dtype)
    dh_next = np.zeros((B, H), dtype=h.dtype)
    for t in range(T - 1, -1, -1):
        dgi[t], dgh[t], dh_direct = _gru_local_backward(
            dh[t] + dh_next, h_prev_all[t], rz[t, :, :H], rz[t, :, H:], n[t], hn[t]
        )
        dh_next = dh_direct + dgh[t] @ W_hh
    dgi2, dgh2 = dgi.reshape(T * B, 3 * H), dgh.reshape(T * B, 3 * H)
    dx = (dgi2 @ W_ih).reshape(x.shape)
    return (
        dx,
        dh_next,
        dgi2.T @ x.reshape(T * B, -1),
        dgh2.T @ h_prev_all.reshape(T * B, H),
        dgi2.sum(axis=0),
        dgh2.sum(axis=0),
    )


class GRU(RecurrentBase):
    """Multi-layer GRU with ``torch.nn.GRU``'s contract, forward and backward in NumPy.

    Args and parameters as ``LSTM`` with three gates (r, z, n): ``weight_ih_l{l}`` (3H, D or H),
    ``weight_hh_l{l}`` (3H, H), ``bias_ih_l{l}``, ``bias_hh_l{l}`` (3H,).

    ``forward(x, state=None)``: x (T, B, D) (or (B, T, D) with ``batch_first``), state h_0
    (L, B, H). Returns ``(output (T, B, H), h_n (L, B, H))``.
    ``backward(d_output, d_state=None)``: returns dx, or ``(dx, dh_0)`` when forward got a state.
    """

    gate_count = 3

    def _layer_forward(self, x, h0, c0, W_ih, W_hh, b_ih, b_hh):
        h, cache = gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh)
        return h, None, cache

    def _layer_backward(self, dh, dc_last, cache):
        dx, dh0, dW_ih, dW_hh, db_ih, db_hh = gru_backward(dh, cache)
        return dx, dh0, None, dW_ih, dW_hh, db_ih, db_hh
