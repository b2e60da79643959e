"""The GRU (Cho et al., 2014) in PyTorch's exact form: one step (the one place of its equations), a
whole sequence as a plain loop over that step, and the layer.

    (G1)  r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)              reset gate
    (G2)  z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)              update gate
    (G3)  n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))    candidate
    (G4)  h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}                        hidden state

Note (G3): the reset gate multiplies W_hn h + b_hn, bias included, as in ``torch.nn.GRU``.
``lstmlib.numpy._fast`` holds the same sequence functions arranged for speed (tested equal), which
the ``GRU`` class uses unless ``fast=False``.
Shapes: x_t (B, D), h (B, H), W_ih (3H, D), W_hh (3H, H), b_ih and b_hh (3H,), gates stacked r, z, n.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from . import _fast
from ._recurrent import RecurrentBase
from ._validate import Array, check_recurrent_args
from .activations import sigmoid
from .lstm import add_gradients

GRUStepCache = namedtuple("GRUStepCache", "x h_prev r z n hn h W_ih W_hh b_ih b_hh")
GRUStepCache.__doc__ = """What one GRU step keeps for its backward: the inputs, the gates r, z, the
candidate n, hn = W_hn h_{t-1} + b_hn, the new h, and the weights (biases None when absent)."""
GRUCache = namedtuple("GRUCache", "steps")
GRUCache.__doc__ = "What ``gru_forward`` keeps for ``gru_backward``: ``steps``, the T steps' ``GRUStepCache``."


def _plus(a, b):
    return a if b is None else a + b


def gru_step_forward(
    x: Array, h_prev: Array, W_ih: Array, W_hh: Array, b_ih: Array | None = None, b_hh: Array | None = None
) -> tuple[Array, GRUStepCache]:
    """One GRU step, equations (G1)–(G4).

    Args:
        x: (B, D).  h_prev: (B, H).  W_ih: (3H, D), W_hh: (3H, H), b_ih, b_hh: (3H,) or None.
    Returns:
        h: (B, H) new hidden state.
        cache: ``GRUStepCache`` for ``gru_step_backward``.
    """
    check_recurrent_args(x, h_prev, None, W_ih, W_hh, b_ih, b_hh, 3)
    gi_r, gi_z, gi_n = np.split(_plus(x @ W_ih.T, b_ih), 3, axis=1)  # input parts, (B, H) each
    gh_r, gh_z, hn = np.split(_plus(h_prev @ W_hh.T, b_hh), 3, axis=1)  # recurrent parts
    r = sigmoid(gi_r + gh_r)  # (G1) reset gate
    z = sigmoid(gi_z + gh_z)  # (G2) update gate
    n = np.tanh(gi_n + r * hn)  # (G3) candidate
    h = (1.0 - z) * n + z * h_prev  # (G4) hidden state
    return h, GRUStepCache(x, h_prev, r, z, n, hn, h, W_ih, W_hh, b_ih, b_hh)


def gru_step(
    x: Array, h_prev: Array, W_ih: Array, W_hh: Array, b_ih: Array | None = None, b_hh: Array | None = None
) -> Array:
    """One GRU step without the cache: ``gru_step_forward(...)[0]``, i.e. h_t."""
    return gru_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh)[0]


def gru_step_backward(dh: Array, cache: GRUStepCache) -> tuple[Array | None, ...]:
    """Backward of one GRU step, (G4) back to (G1).

    Args:
        dh: (B, H) gradient with respect to h_t (everything that reaches it).
    Returns:
        dx (B, D), dh_prev (B, H), dW_ih (3H, D), dW_hh (3H, H), db_ih (3H,), db_hh (3H,)
        (db_ih, db_hh None when the step had no bias).
    """
    k = cache
    dn, dz = dh * (1.0 - k.z), dh * (k.h_prev - k.n)  # (G4)
    da_n = dn * (1.0 - k.n**2)  # (G3), through tanh
    da_r = da_n * k.hn * k.r * (1.0 - k.r)  # (G3) into r, then (G1) through σ
    da_z = dz * k.z * (1.0 - k.z)  # (G2) through σ
    dgi = np.concatenate([da_r, da_z, da_n], axis=1)  # ∂L/∂(W_ih x_t + b_ih), stacked r, z, n
    dgh = np.concatenate([da_r, da_z, da_n * k.r], axis=1)  # ∂L/∂(W_hh h_{t-1} + b_hh): r multiplies hn in (G3)
    dx, dh_prev = dgi @ k.W_ih, dh * k.z + dgh @ k.W_hh  # h_{t-1} enters (G4) directly and (G1)–(G3)
    db_ih = None if k.b_ih is None else dgi.sum(axis=0)
    db_hh = None if k.b_hh is None else dgh.sum(axis=0)
    return dx, dh_prev, dgi.T @ k.x, dgh.T @ k.h_prev, db_ih, db_hh


def gru_forward(
    x: Array, h0: Array, W_ih: Array, W_hh: Array, b_ih: Array | None = None, b_hh: Array | None = None
) -> tuple[Array, Array, GRUCache]:
    """Run the GRU over a whole sequence: (G1)–(G4) at every step, a loop over ``gru_step_forward``.

    Args:
        x: (T, B, D).  h0: (B, H).  W_ih: (3H, D), W_hh: (3H, H), b_ih, b_hh: (3H,) or None.
    Returns:
        output: (T, B, H) hidden states h_1 … h_T.
        h_n: (B, H) the final hidden state.
        cache: ``GRUCache`` for ``gru_backward``.
    """
    check_recurrent_args(x, h0, None, W_ih, W_hh, b_ih, b_hh, 3, sequence=True)
    h, outputs, steps = h0, [], []
    for x_t in x:
        h, step = gru_step_forward(x_t, h, W_ih, W_hh, b_ih, b_hh)  # (G1)–(G4)
        outputs.append(h)
        steps.append(step)
    return np.stack(outputs), h, GRUCache(steps)


def gru_backward(d_output: Array, cache: GRUCache, dh_n: Array | None = None) -> tuple[Array | None, ...]:
    """Backpropagation through time for ``gru_forward``: a loop over ``gru_step_backward``, last step first.

    Args:
        d_output: (T, B, H) gradient with respect to every output h_t.
        cache: from ``gru_forward``.
        dh_n: (B, H) gradient with respect to the final state, or None for zeros.
    Returns:
        dx (T, B, D), dh0 (B, H), dW_ih (3H, D), dW_hh (3H, H), db_ih (3H,), db_hh (3H,) (None without bias).
    """
    steps = cache.steps
    dh_next = np.zeros_like(steps[-1].h) if dh_n is None else dh_n
    dx, dW = [], None
    for t in reversed(range(len(steps))):
        dx_t, dh_next, *dW_t = gru_step_backward(d_output[t] + dh_next, steps[t])  # from the loss and from t+1
        dW = add_gradients(dW, dW_t)  # the weights' gradients, summed over the steps
        dx.append(dx_t)
    return (np.stack(dx[::-1]), dh_next, *dW)


class GRU(RecurrentBase):
    """Multi-layer GRU with ``torch.nn.GRU``'s contract, forward and backward in NumPy.

    Args as ``torch.nn.GRU`` (input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False) and, keyword-only, ``seed``, ``dtype``, ``fast`` as ``LSTM``.
    Parameters ``weight_ih_l{k}`` (3H, D or dirs·H), ``weight_hh_l{k}`` (3H, H), ``bias_ih_l{k}``,
    ``bias_hh_l{k}`` (3H,), gates stacked r, z, n, with ``_reverse`` twins when bidirectional.

    ``forward(x, state=None, lengths=None)``: x (T, B, D) (or (B, T, D) with ``batch_first``, or
    unbatched (T, D)), state h_0 (L·dirs, B, H). Returns ``(output (T, B, dirs·H), h_n (L·dirs, B, H))``.
    ``backward(d_output, d_state=None)``: returns dx, or ``(dx, dh_0)`` when forward got a state.
    """

    gate_count = 3
    _loop_functions = (gru_forward, gru_backward)  # readable: a loop over the step functions
    _fast_functions = (_fast.gru_forward, _fast.gru_backward)  # the same, arranged for speed

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
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
            seed=seed,
            dtype=dtype,
            fast=fast,
        )
