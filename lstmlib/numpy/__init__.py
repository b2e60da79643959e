"""RNN, LSTM and GRU in NumPy, forward and backward by hand, interchangeable with ``torch.nn``.

Conventions: time-first ``(T, B, D)`` (``batch_first=True`` as an option); parameters named, shaped
and stacked as in ``torch.nn`` (LSTM gates i, f, g, o; GRU r, z, n); float64 by default (float32 on
request with ``dtype=np.float32``). Function pairs follow one pattern: a forward returns its
output(s) and a cache (a namedtuple), a backward takes the upstream gradient(s) and the cache:

    <k>_step_forward(x, h_prev, [c_prev,] W_ih, W_hh, b_ih=None, b_hh=None) -> (h, [c,] cache)
    <k>_step_backward(dh, [dc,] cache) -> (dx, dh_prev, [dc_prev,] dW_ih, dW_hh, db_ih, db_hh)
    <k>_forward(x, h0, [c0,] W_ih, W_hh, b_ih=None, b_hh=None) -> (output, h_n, [c_n,] cache)
    <k>_backward(d_output, cache, dh_n=None, [dc_n=None]) -> (dx, dh0, [dc0,] dW_ih, dW_hh, db_ih, db_hh)

(``<k>_step`` is the step forward without the cache; db_ih, db_hh are None without bias.) The step
functions are the one place of each equation; the sequence functions are plain loops over them.
``lstmlib.numpy._fast`` has the same sequence functions arranged for speed, which the classes use
unless constructed with ``fast=False``.

Input policy of the layer classes (``RNN``, ``LSTM``, ``GRU``, ``Linear``, ``MLP``):
- arrays must have the model's float dtype (float64 unless ``dtype=np.float32`` was given);
  integer, boolean or object arrays, or the other float dtype, raise TypeError (no silent casts);
- x is (T, B, D) ((B, T, D) with ``batch_first``) or unbatched (T, D), as in ``torch.nn``; wrong rank,
  feature size or state shape raise ValueError naming expected and got; nothing broadcasts (the
  sequence and step functions check their arguments too: a misshapen h0 is an error, not a broadcast);
- the recurrent classes take torch.nn's constructor arguments (bias, nonlinearity, dropout with
  ``.train()``/``.eval()``, bidirectional, proj_size for the LSTM, num_layers, batch_first) and an
  optional ``lengths`` (B,) in ``forward``, in place of packed sequences;
- an empty sequence or batch (T = 0 or B = 0) raises ValueError (there is no final state to return);
- NaN or inf in inputs, states or upstream gradients raise ValueError, at the call that received them;
- ``backward`` before ``forward`` raises ValueError; ``backward`` overwrites ``.grads`` (no accumulation).
"""

from .activations import relu, relu_backward, sigmoid, sigmoid_backward, softmax, softmax_backward, tanh, tanh_backward
from .gradcheck import check_gradients, check_module_gradients, numerical_gradient_array, rel_error
from .gru import GRU, GRUCache, GRUStepCache, gru_backward, gru_forward, gru_step, gru_step_backward, gru_step_forward
from .layers import Embedding, Linear, affine_backward, affine_forward, embedding_backward, embedding_forward
from .losses import cross_entropy_loss, mse_loss, sequence_cross_entropy_loss
from .lstm import (
    LSTM,
    LSTMCache,
    LSTMStepCache,
    concat_weights,
    lstm_backward,
    lstm_forward,
    lstm_step,
    lstm_step_backward,
    lstm_step_forward,
    split_gates,
    split_weights,
)
from .mlp import MLP
from .optim import SGD, Adam, clip_grad_norm, collect, detach_state, sequence_chunks
from .rnn import RNN, RNNCache, RNNStepCache, rnn_backward, rnn_forward, rnn_step, rnn_step_backward, rnn_step_forward

__all__ = [
    "RNN",
    "LSTM",
    "GRU",
    "MLP",
    "Linear",
    "Embedding",
    "SGD",
    "Adam",
    "clip_grad_norm",
    "collect",
    "detach_state",
    "sequence_chunks",
    "rnn_step",
    "rnn_step_forward",
    "rnn_step_backward",
    "rnn_forward",
    "rnn_backward",
    "lstm_step",
    "lstm_step_forward",
    "lstm_step_backward",
    "lstm_forward",
    "lstm_backward",
    "LSTMStepCache",
    "LSTMCache",
    "RNNStepCache",
    "RNNCache",
    "GRUStepCache",
    "GRUCache",
    "concat_weights",
    "split_weights",
    "split_gates",
    "gru_step",
    "gru_step_forward",
    "gru_step_backward",
    "gru_forward",
    "gru_backward",
    "affine_forward",
    "affine_backward",
    "embedding_forward",
    "embedding_backward",
    "mse_loss",
    "cross_entropy_loss",
    "sequence_cross_entropy_loss",
    "sigmoid",
    "sigmoid_backward",
    "tanh",
    "tanh_backward",
    "relu",
    "relu_backward",
    "softmax",
    "softmax_backward",
    "numerical_gradient_array",
    "rel_error",
    "check_gradients",
    "check_module_gradients",
]
