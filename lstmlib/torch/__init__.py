"""The course's recurrent networks as ``torch.nn.Module``s, written from the book's equations.

``RNN``, ``LSTM`` and ``GRU`` take ``torch.nn``'s constructor arguments and hold ``torch.nn``'s parameters
(names, shapes, gate order, init, the LSTM's ``proj_size``), so a ``state_dict`` moves unchanged between
``torch.nn.LSTM``, ``lstmlib.torch.LSTM`` and ``lstmlib.numpy.LSTM``; ``forward`` takes what ``torch.nn``'s
takes (batched (T, B, D) or ``batch_first``, unbatched (T, D), ``PackedSequence``) and returns the same.

Each equation is written once, in a step function: ``rnn_step`` (R1), ``lstm_step`` (1)-(5) with (3a),
``gru_step`` (G1)-(G4). The sequence functions ``rnn_forward``, ``lstm_forward``, ``gru_forward`` are plain
loops over the steps, and autograd differentiates them. The classes run, per layer and direction, the
fast twins of those loops in ``lstmlib.torch._fast`` (hand-written backward through time; ``fast=True``,
the default), the readable loops (``fast=False``), or torch's fused kernels for the whole stack
(``fused=True``, cuDNN on a GPU), all on the same parameters.
"""

from .gru import GRU, gru_forward, gru_step
from .lstm import LSTM, lstm_forward, lstm_step
from .rnn import RNN, rnn_forward, rnn_step

__all__ = [
    "RNN",
    "LSTM",
    "GRU",
    "rnn_step",
    "rnn_forward",
    "lstm_step",
    "lstm_forward",
    "gru_step",
    "gru_forward",
]
