"""The vanilla (Elman) RNN: one step (the one place of its equation), a whole sequence as a plain
loop over that step with backpropagation through time, and the layer.

    (R1)  h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)        (ReLU instead of tanh on request)

Backward of one step, with a_t the pre-activation and δv = ∂L/∂v:
    δa_t = δh_t ⊙ tanh'(a_t) = δh_t ⊙ (1 − h_t²)        (δh_t ⊙ [h_t > 0] for ReLU)
    δx_t = W_ihᵀ δa_t,  δh_{t-1} = W_hhᵀ δa_t,  δW_ih += δa_t x_tᵀ,  δW_hh += δa_t h_{t-1}ᵀ,  δb += δa_t

``lstmlib.numpy._fast`` holds the same sequence functions arranged for speed (tested equal), which
the ``RNN`` class uses unless ``fast=False``.

Shapes: x_t (B, D), h (B, H), W_ih (H, D), W_hh (H, H), b_ih and b_hh (H,); sequences (T, B, ·).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from . import _fast
from ._recurrent import RecurrentBase, check_nonlinearity
from ._validate import Array, check_recurrent_args
from .lstm import add_gradients, bias_sum

RNNStepCache = namedtuple("RNNStepCache", "x h_prev h W_ih W_hh b_ih b_hh nonlinearity")
RNNStepCache.__doc__ = "What one RNN step keeps for its backward: its inputs, h_t, the weights and the nonlinearity."
RNNCache = namedtuple("RNNCache", "steps")
RNNCache.__doc__ = "What ``rnn_forward`` keeps for ``rnn_backward``: ``steps``, the T steps' ``RNNStepCache``."

_NONLINEARITIES = {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0)}


def rnn_step_forward(
    x: Array,
    h_prev: Array,
    W_ih: Array,
    W_hh: Array,
    b_ih: Array | None = None,
    b_hh: Array | None = None,
    nonlinearity: str = "tanh",
) -> tuple[Array, RNNStepCache]:
    """One RNN step, equation (R1).

    Args:
        x: (B, D) input x_t.  h_prev: (B, H) hidden state h_{t-1}.
        W_ih: (H, D), W_hh: (H, H), b_ih: (H,) or None, b_hh: (H,) or None.
        nonlinearity: "tanh" (default) or "relu", as ``torch.nn.RNN``.
    Returns:
        h: (B, H) new hidden state h_t.
        cache: ``RNNStepCache`` for ``rnn_step_backward``.
    """
    check_nonlinearity(nonlinearity)
    check_recurrent_args(x, h_prev, None, W_ih, W_hh, b_ih, b_hh, 1)
    h = _NONLINEARITIES[nonlinearity](x @ W_ih.T + bias_sum(b_ih, b_hh) + h_prev @ W_hh.T)  # (R1)
    return h, RNNStepCache(x, h_prev, h, W_ih, W_hh, b_ih, b_hh, nonlinearity)


def rnn_step(
    x: Array,
    h_prev: Array,
    W_ih: Array,
    W_hh: Array,
    b_ih: Array | None = None,
    b_hh: Array | None = None,
    nonlinearity: str = "tanh",
) -> Array:
    """One RNN step without the cache: ``rnn_step_forward(...)[0]``, i.e. h_t."""
    return rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh, nonlinearity)[0]


def rnn_step_backward(dh: Array, cache: RNNStepCache) -> tuple[Array | None, ...]:
    """Backward of one RNN step.

    Args:
        dh: (B, H) gradient with respect to h_t (everything that reaches it).
        cache: from ``rnn_step_forward``.
    Returns:
        dx (B, D), dh_prev (B, H), dW_ih (H, D), dW_hh (H, H), db_ih (H,), db_hh (H,)
        (db_ih, db_hh None when the step had no bias).
    """
    k = cache
    da = dh * (1.0 - k.h**2) if k.nonlinearity == "tanh" else dh * (k.h > 0)  # back through (R1)'s tanh (or ReLU)
    db = da.sum(axis=0)
    db_ih, db_hh = (None if k.b_ih is None else db), (None if k.b_hh is None else db.copy())
    return da @ k.W_ih, da @ k.W_hh, da.T @ k.x, da.T @ k.h_prev, db_ih, db_hh


def rnn_forward(
    x: Array,
    h0: Array,
    W_ih: Array,
    W_hh: Array,
    b_ih: Array | None = None,
    b_hh: Array | None = None,
    nonlinearity: str = "tanh",
) -> tuple[Array, Array, RNNCache]:
    """Run the RNN over a whole sequence: (R1) at every step, a loop over ``rnn_step_forward``.

    Args:
        x: (T, B, D) inputs.  h0: (B, H) initial hidden state.
        W_ih: (H, D), W_hh: (H, H), b_ih, b_hh: (H,) or None.  nonlinearity: "tanh" or "relu".
    Returns:
        output: (T, B, H) hidden states h_1 … h_T.
        h_n: (B, H) the final hidden state h_T.
        cache: ``RNNCache`` for ``rnn_backward``.
    """
    check_nonlinearity(nonlinearity)
    check_recurrent_args(x, h0, None, W_ih, W_hh, b_ih, b_hh, 1, sequence=True)
    h, outputs, steps = h0, [], []
    for x_t in x:
        h, step = rnn_step_forward(x_t, h, W_ih, W_hh, b_ih, b_hh, nonlinearity)  # (R1)
        outputs.append(h)
        steps.append(step)
    return np.stack(outputs), h, RNNCache(steps)


def rnn_backward(d_output: Array, cache: RNNCache, dh_n: Array | None = None) -> tuple[Array | None, ...]:
    """Backpropagation through time for ``rnn_forward``: a loop over ``rnn_step_backward``, last step first.

    Args:
        d_output: (T, B, H) gradient with respect to every output h_t.
        cache: from ``rnn_forward``.
        dh_n: (B, H) gradient with respect to the final state h_T, or None for zeros.
    Returns:
        dx (T, B, D), dh0 (B, H), dW_ih (H, D), dW_hh (H, H), db_ih (H,), db_hh (H,) (None without bias).
    """
    steps = cache.steps
    dh_next = np.zeros_like(steps[-1].h) if dh_n is None else dh_n
    dx, dW = [], None
    for t in reversed(range(len(steps))):
        dx_t, dh_next, *dW_t = rnn_step_backward(d_output[t] + dh_next, steps[t])  # from the loss and from t+1
        dW = add_gradients(dW, dW_t)  # the weights' gradients, summed over the steps
        dx.append(dx_t)
    return (np.stack(dx[::-1]), dh_next, *dW)


class RNN(RecurrentBase):
    """Multi-layer Elman RNN with ``torch.nn.RNN``'s contract, forward and backward in NumPy.

    Args as ``torch.nn.RNN`` (input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
    batch_first=False, dropout=0.0, bidirectional=False) and, keyword-only, ``seed``, ``dtype``,
    ``fast`` as ``LSTM``. Parameters ``weight_ih_l{k}`` (H, D or dirs·H), ``weight_hh_l{k}`` (H, H),
    ``bias_ih_l{k}``, ``bias_hh_l{k}`` (H,), with ``_reverse`` twins when bidirectional.

    ``forward(x, state=None, lengths=None)``: x (T, B, D) (or (B, T, D) with ``batch_first``, or
    unbatched (T, D)), state h_0 (L·dirs, B, H). Returns ``(output (T, B, dirs·H), h_n (L·dirs, B, H))``.
    ``backward(d_output, d_state=None)``: returns dx, or ``(dx, dh_0)`` when forward got a state.
    """

    gate_count = 1
    _loop_functions = (rnn_forward, rnn_backward)  # readable: a loop over the step functions
    _fast_functions = (_fast.rnn_forward, _fast.rnn_backward)  # the same, arranged for speed

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
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
            nonlinearity=nonlinearity,
            seed=seed,
            dtype=dtype,
            fast=fast,
        )
