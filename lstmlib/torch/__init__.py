"""The course's recurrent networks as ``torch.nn.Module``s, written from the book's equations.

``RNN``, ``LSTM`` and ``GRU`` take ``torch.nn``'s constructor arguments and hold ``torch.nn``'s parameters
(names, shapes, gate order, init), so a ``state_dict`` moves unchanged between ``torch.nn.LSTM``,
``lstmlib.torch.LSTM`` and ``lstmlib.numpy.LSTM``. Inputs are time-first ``(T, B, D)`` unless
``batch_first=True``. ``fused=True`` switches a model to torch's fused kernels (cuDNN on a GPU) on the
same parameters. The step functions (``lstm_step`` ...) and one-layer sequence functions
(``lstm_forward`` ...) are the building blocks, mirroring ``lstmlib.numpy``.
"""

from .gru import GRU, gru_cell, gru_forward, gru_step
from .lstm import LSTM, lstm_cell, lstm_forward, lstm_step
from .rnn import RNN, rnn_forward, rnn_step

__all__ = [
    "RNN",
    "LSTM",
    "GRU",
    "rnn_step",
    "rnn_forward",
    "lstm_cell",
    "lstm_step",
    "lstm_forward",
    "gru_cell",
    "gru_step",
    "gru_forward",
]
