"""The sequence functions of ``lstm.py``, ``rnn.py`` and ``gru.py`` arranged for speed: same
signatures, same returns, the same numbers (tests compare them with the readable loops to ~1e-12 at
float64, values and gradients). The layer classes use these unless constructed with ``fast=False``.

What changes is the arithmetic, not the mathematics:

- the input projections W_ih x_t (+ biases) of all T steps are computed before the loop, in one
  matrix product; only W_hh h_{t-1} waits for the previous step;
- LSTM: one buffer holds the gates of every step, shaped (T, 4, B, H) (gate-major), so each gate of
  each step is one contiguous (B, H) block and the recurrent product is one batched matmul
  h_{t-1} (B, H) @ (4, H, H);
- LSTM: σ(z) = (1 + tanh(z/2)) / 2, so ONE tanh call evaluates all four gates: the rows of the
  sigmoid gates (i, f, o) are pre-scaled by 1/2 (exact in floating point), and afterwards those
  gates are mapped by y -> y/2 + 1/2 (the GRU does the same for r and z);
- results are written in place into preallocated arrays (``out=``), avoiding temporaries;
- backward keeps only the recurrence in the loop and forms the weight gradients and dx after it,
  each with one matrix product over all T·B rows; it writes the gates' gradients time-major,
  (T, B, 4H), the layout those products need, so no transposed copy is made;
- small products are faster in OpenBLAS than one wide product (it skips packing them), so the LSTM's
  dh_{t-1} = dA_t W_hh is computed in four column blocks of W_hh, in one batched matmul.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ._validate import Array, check_recurrent_args

LSTMFastCache = namedtuple("LSTMFastCache", "x h0 c0 gates c tanh_c m h W_ih W_hh b_ih b_hh W_hr")
LSTMFastCache.__doc__ = """What the fast ``lstm_forward`` keeps: x, h0, c0, the gates (T, 4, B, H) in the
order i, f, g, o, the cell states c, tanh(c), m = o ⊙ tanh(c) and the outputs h (T, B, ·), and the
weights (m is h without a projection)."""
RNNFastCache = namedtuple("RNNFastCache", "x h0 h W_ih W_hh b_ih b_hh nonlinearity")
GRUFastCache = namedtuple("GRUFastCache", "x h0 rz n hn h W_ih W_hh b_ih b_hh")


def _bias_sum(b_ih, b_hh):
    return (0.0 if b_ih is None else b_ih) + (0.0 if b_hh is None else b_hh)


def _bias_grads(db, b_ih, b_hh):
    return (None if b_ih is None else db), (None if b_hh is None else db.copy())


# --- LSTM -----------------------------------------------------------------------------------------


def _gate_scale(dtype):
    """(4, 1, 1) scale and shift: σ(z) = tanh(z/2)/2 + 1/2 for the gates i, f, o; tanh(z) for g."""
    scale = np.array([0.5, 0.5, 1.0, 0.5], dtype=dtype).reshape(4, 1, 1)
    return scale, np.where(scale == 0.5, 0.5, 0.0).astype(dtype)


def _gate_major(W, hidden_size):
    """(4H, K) stacked weights -> (4, K, H), so that v (N, K) @ result gives each gate's (N, H) block."""
    return np.ascontiguousarray(W.reshape(4, hidden_size, -1).transpose(0, 2, 1))


def lstm_forward(
    x: Array,
    h0: Array,
    c0: Array,
    W_ih: Array,
    W_hh: Array,
    b_ih: Array | None = None,
    b_hh: Array | None = None,
    W_hr: Array | None = None,
) -> tuple[Array, Array, Array, LSTMFastCache]:
    """``lstmlib.numpy.lstm_forward``, fast: same arguments, returns (output, h_n, c_n, LSTMFastCache)."""
    check_recurrent_args(x, h0, c0, W_ih, W_hh, b_ih, b_hh, 4, W_hr, sequence=True)
    T, B, D = x.shape
    H = W_hh.shape[0] // 4
    scale, shift = _gate_scale(x.dtype)  # (4, 1, 1) each
    W_hh4 = _gate_major(W_hh, H) * scale  # (4, R, H)
    W_ih4 = _gate_major(W_ih, H) * scale  # (4, D, H)
    # Input projections of all T steps in one batched product: gates[t] starts as W_ih x_t + b_ih + b_hh.
    gates = np.matmul(x[:, None], W_ih4)  # (T, 1, B, D) @ (4, D, H) -> (T, 4, B, H)
    if b_ih is not None or b_hh is not None:
        gates += np.reshape(_bias_sum(b_ih, b_hh), (4, 1, H)) * scale
    m = np.empty((T, B, H), dtype=x.dtype)
    h = m if W_hr is None else np.empty((T, B, W_hr.shape[0]), dtype=x.dtype)
    c = np.empty((T, B, H), dtype=x.dtype)
    tanh_c = np.empty((T, B, H), dtype=x.dtype)
    recurrent = np.empty((4, B, H), dtype=x.dtype)
    ig = np.empty((B, H), dtype=x.dtype)
    W_hr_T = None if W_hr is None else np.ascontiguousarray(W_hr.T)
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
        np.multiply(o, tanh_c[t], out=m[t])  # (5)
        if W_hr_T is not None:
            np.matmul(m[t], W_hr_T, out=h[t])  # projection h_t = W_hr (o_t ⊙ tanh C_t)
        h_prev, c_prev = h[t], c[t]
    return h, h[-1], c[-1], LSTMFastCache(x, h0, c0, gates, c, tanh_c, m, h, W_ih, W_hh, b_ih, b_hh, W_hr)


def lstm_backward(
    d_output: Array, cache: LSTMFastCache, dh_n: Array | None = None, dc_n: Array | None = None
) -> tuple[Array | None, ...]:
    """``lstmlib.numpy.lstm_backward``, fast: same arguments and returns, for the fast ``lstm_forward``'s cache."""
    x, h0, c0, gates, c, tanh_c, m, h, W_ih, W_hh, b_ih, b_hh, W_hr = cache
    T, B, H = c.shape
    R = h.shape[2]  # P with a projection, else H
    dtype = c.dtype
    # dA[t] = ∂L/∂(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), (B, 4H), columns i|f|g|o as the rows of W_ih, W_hh
    dA = np.empty((T, B, 4 * H), dtype=dtype)
    dc_next = np.zeros((B, H), dtype=dtype) if dc_n is None else np.array(dc_n, dtype=dtype)
    dh_t, dc_t = np.empty((B, R), dtype=dtype), np.empty((B, H), dtype=dtype)
    # dh_{t-1} = dA[t] @ W_hh, computed in four column blocks (OpenBLAS's fast small-matrix path)
    blocks = 4 if R % 4 == 0 else 1
    W_hh_blocks = np.ascontiguousarray(W_hh.reshape(4 * H, blocks, R // blocks).transpose(1, 0, 2))
    dh_blocks = np.zeros((blocks, B, R // blocks), dtype=dtype)
    dh_next = dh_blocks.transpose(1, 0, 2)  # (B, blocks, R/blocks) view
    if dh_n is not None:
        dh_next[...] = np.reshape(dh_n, (B, blocks, R // blocks))
    dH = None if W_hr is None else np.empty((T, B, R), dtype=dtype)  # every δh_t, for dW_hr
    # What does not depend on the recurrence is computed for all T steps at once, before the loop:
    # local[t] = ∂C_t (for i, f, g) or ∂h_t (for o) with respect to each gate's pre-activation, and
    # k[t] = ∂h_t/∂C_t = o_t ⊙ (1 − tanh² C_t).
    local = np.subtract(1.0, gates)
    local *= gates  # σ' = σ(1 − σ) for i, f, o; the g row is replaced next
    np.multiply(gates[:, 2], gates[:, 2], out=local[:, 2])
    np.subtract(1.0, local[:, 2], out=local[:, 2])  # tanh' = 1 − C̃² for g
    local[:, 0] *= gates[:, 2]  # (3a): ∂C_t/∂i_t = C̃_t, then (2)
    local[1:, 1] *= c[:-1]  # (3a): ∂C_t/∂f_t = C_{t-1}, then (1)
    local[0, 1] *= c0
    local[:, 2] *= gates[:, 0]  # (3a): ∂C_t/∂C̃_t = i_t, then (3)
    local[:, 3] *= tanh_c  # (5): ∂h_t/∂o_t = tanh(C_t), then (4)
    k = np.multiply(tanh_c, tanh_c)
    np.subtract(1.0, k, out=k)
    k *= gates[:, 3]  # (5): o_t ⊙ tanh'(C_t)
    dA_gates = dA.reshape(T, B, 4, H).transpose(0, 2, 1, 3)  # (T, 4, B, H) view of dA
    dh_t_blocks = dh_t.reshape(B, blocks, R // blocks)
    d_output_blocks = d_output.reshape(T, B, blocks, R // blocks)
    for t in range(T - 1, -1, -1):
        # dh_t: from the loss at step t and from step t+1 (kept in column blocks)  (B1)
        np.add(d_output_blocks[t], dh_next, out=dh_t_blocks)
        if W_hr is None:
            dm = dh_t
        else:
            dH[t] = dh_t
            dm = dh_t @ W_hr  # back through the projection
        np.multiply(dm, k[t], out=dc_t)  # through (5) into C_t
        dc_t += dc_next  # and from step t+1 through (3a)  (B2)
        da = dA_gates[t]  # (4, B, H) view of dA[t]
        np.multiply(local[t, :3], dc_t, out=da[:3])  # i, f, C̃ reach the loss through C_t  (B3)-(B4)
        np.multiply(local[t, 3], dm, out=da[3])  # o reaches it through h_t
        np.multiply(dc_t, gates[t, 1], out=dc_next)  # (3a): ∂C_t/∂C_{t-1} = f_t
        np.matmul(dA[t], W_hh_blocks, out=dh_blocks)  # ∂/∂h_{t-1} of W_hh h_{t-1}
    # Parameter gradients and dx for all T steps at once: one matrix product each  (B5), (B6)
    dA = dA.reshape(T * B, 4 * H)  # rows (t, b)
    dW_ih = dA.T @ x.reshape(T * B, -1)
    # dW_hh = Σ_t dA_t h_{t-1}ᵀ, split so that h_0 needs no concatenation with h_1 … h_{T-1}
    dW_hh = dA[B:].T @ h[:-1].reshape((T - 1) * B, R) + dA[:B].T @ h0
    dx = (dA @ W_ih).reshape(x.shape)
    db_ih, db_hh = _bias_grads(dA.sum(axis=0), b_ih, b_hh)
    grads = (dx, dh_next.reshape(B, R), dc_next, dW_ih, dW_hh, db_ih, db_hh)
    if W_hr is None:
        return grads
    return (*grads, dH.reshape(T * B, R).T @ m.reshape(T * B, H))


# --- RNN ------------------------------------------------------------------------------------------


def rnn_forward(
    x: Array,
    h0: Array,
    W_ih: Array,
    W_hh: Array,
    b_ih: Array | None = None,
    b_hh: Array | None = None,
    nonlinearity: str = "tanh",
) -> tuple[Array, Array, RNNFastCache]:
    """``lstmlib.numpy.rnn_forward``, fast: same arguments, returns (output, h_n, RNNFastCache)."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu'; got {nonlinearity!r}")
    check_recurrent_args(x, h0, None, W_ih, W_hh, b_ih, b_hh, 1, sequence=True)
    T, B, _ = x.shape
    H = W_hh.shape[0]
    h = (x.reshape(T * B, -1) @ W_ih.T).reshape(T, B, H)  # input projections of all steps at once
    if b_ih is not None or b_hh is not None:
        h += _bias_sum(b_ih, b_hh)
    W_hh_T = W_hh.T
    h_prev = h0
    for t in range(T):
        h[t] += h_prev @ W_hh_T
        if nonlinearity == "tanh":
            np.tanh(h[t], out=h[t])  # (R1)
        else:
            np.maximum(h[t], 0.0, out=h[t])
        h_prev = h[t]
    return h, h[-1], RNNFastCache(x, h0, h, W_ih, W_hh, b_ih, b_hh, nonlinearity)


def rnn_backward(d_output: Array, cache: RNNFastCache, dh_n: Array | None = None) -> tuple[Array | None, ...]:
    """``lstmlib.numpy.rnn_backward``, fast: same arguments and returns, for the fast ``rnn_forward``'s cache."""
    x, h0, h, W_ih, W_hh, b_ih, b_hh, nonlinearity = cache
    T, B, H = h.shape
    # (T, B, H): the nonlinearity's derivative at every step, turned into dL/da in the loop
    da = 1.0 - h**2 if nonlinearity == "tanh" else (h > 0).astype(h.dtype)
    dh_next = np.zeros((B, H), dtype=h.dtype) if dh_n is None else dh_n
    for t in range(T - 1, -1, -1):
        da[t] *= d_output[t] + dh_next
        dh_next = da[t] @ W_hh
    da2 = da.reshape(T * B, H)
    dW_hh = da2[B:].T @ h[:-1].reshape((T - 1) * B, H) + da2[:B].T @ h0
    dx = (da2 @ W_ih).reshape(x.shape)
    return (dx, dh_next, da2.T @ x.reshape(T * B, -1), dW_hh, *_bias_grads(da2.sum(axis=0), b_ih, b_hh))


# --- GRU ------------------------------------------------------------------------------------------


def gru_forward(
    x: Array, h0: Array, W_ih: Array, W_hh: Array, b_ih: Array | None = None, b_hh: Array | None = None
) -> tuple[Array, Array, GRUFastCache]:
    """``lstmlib.numpy.gru_forward``, fast: same arguments, returns (output, h_n, GRUFastCache)."""
    check_recurrent_args(x, h0, None, W_ih, W_hh, b_ih, b_hh, 3, sequence=True)
    T, B, _ = x.shape
    H = W_hh.shape[1]
    gi = (x.reshape(T * B, -1) @ W_ih.T).reshape(T, B, 3 * H)  # all input parts at once
    if b_ih is not None:
        gi += b_ih
    rz = np.empty((T, B, 2 * H), dtype=x.dtype)
    n = np.empty((T, B, H), dtype=x.dtype)
    hn = np.empty((T, B, H), dtype=x.dtype)
    h = np.empty((T, B, H), dtype=x.dtype)
    gh = np.empty((B, 3 * H), dtype=x.dtype)
    W_hh_T = W_hh.T
    h_prev = h0
    for t in range(T):
        np.matmul(h_prev, W_hh_T, out=gh)  # (B, 3H)
        if b_hh is not None:
            gh += b_hh
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
    return h, h[-1], GRUFastCache(x, h0, rz, n, hn, h, W_ih, W_hh, b_ih, b_hh)


def gru_backward(d_output: Array, cache: GRUFastCache, dh_n: Array | None = None) -> tuple[Array | None, ...]:
    """``lstmlib.numpy.gru_backward``, fast: same arguments and returns, for the fast ``gru_forward``'s cache."""
    x, h0, rz, n, hn, h, W_ih, W_hh, b_ih, b_hh = cache
    T, B, H = h.shape
    h_prev_all = np.concatenate([h0[None], h[:-1]])  # (T, B, H)
    dgi = np.empty((T, B, 3 * H), dtype=h.dtype)
    dgh = np.empty((T, B, 3 * H), dtype=h.dtype)
    dh_next = np.zeros((B, H), dtype=h.dtype) if dh_n is None else dh_n
    for t in range(T - 1, -1, -1):
        dh = d_output[t] + dh_next
        r, z = rz[t, :, :H], rz[t, :, H:]
        da_n = dh * (1.0 - z) * (1.0 - n[t] ** 2)  # (G4), then (G3) through tanh
        da_r = da_n * hn[t] * r * (1.0 - r)  # (G3) into r, then (G1)
        da_z = dh * (h_prev_all[t] - n[t]) * z * (1.0 - z)  # (G4) into z, then (G2)
        dgi[t, :, :H], dgi[t, :, H : 2 * H], dgi[t, :, 2 * H :] = da_r, da_z, da_n
        dgh[t, :, : 2 * H] = dgi[t, :, : 2 * H]
        np.multiply(da_n, r, out=dgh[t, :, 2 * H :])
        dh_next = dh * z + dgh[t] @ W_hh
    dgi2, dgh2 = dgi.reshape(T * B, 3 * H), dgh.reshape(T * B, 3 * H)
    dx = (dgi2 @ W_ih).reshape(x.shape)
    db_ih = None if b_ih is None else dgi2.sum(axis=0)
    db_hh = None if b_hh is None else dgh2.sum(axis=0)
    return dx, dh_next, dgi2.T @ x.reshape(T * B, -1), dgh2.T @ h_prev_all.reshape(T * B, H), db_ih, db_hh
