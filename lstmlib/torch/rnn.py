"""The simple (Elman) RNN in PyTorch, from the course's equation; autograd does the backward.

    (R1)  h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)

Parameters as in ``torch.nn.RNN``: ``weight_ih_l0`` (H, D), ``weight_hh_l0`` (H, H), ``bias_ih_l0`` and
``bias_hh_l0`` (H,). ``nonlinearity="relu"`` replaces tanh by ReLU, as in ``torch.nn.RNN``.
"""

import torch

from ._base import RecurrentBase

_NONLINEARITIES = {"tanh": torch.tanh, "relu": torch.relu}


def rnn_step(x, h_prev, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    """One RNN step, equation (R1).

    Args:
        x: (B, D) input x_t; h_prev: (B, H) state h_{t-1}.
        weight_ih: (H, D); weight_hh: (H, H); bias_ih, bias_hh: (H,) or None.
        nonlinearity: "tanh" (the course's) or "relu".

    Returns:
        h: (B, H) the new state h_t.
    """
    pre_activation = x @ weight_ih.T + h_prev @ weight_hh.T
    if bias_ih is not None:
        pre_activation = pre_activation + bias_ih + bias_hh
    return _NONLINEARITIES[nonlinearity](pre_activation)  # (R1) h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)


def rnn_forward(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    """One RNN layer over a sequence, equation (R1) at every step.

    The input projection W_ih x_t + b for all t is one matmul; the loop adds W_hh h_{t-1}.

    Args:
        x: (T, B, D); h0: (B, H); weights as in ``rnn_step``.

    Returns:
        output: (T, B, H) every h_t; h_n: (B, H) the final state.
    """
    T, B, D = x.shape
    x_proj = (x.reshape(T * B, D) @ weight_ih.T).view(T, B, -1)  # (T, B, H)
    if bias_ih is not None:
        x_proj = x_proj + (bias_ih + bias_hh)
    activation = _NONLINEARITIES[nonlinearity]
    h = h0
    outputs = []
    for t in range(T):
        h = activation(torch.addmm(x_proj[t], h, weight_hh.T))  # (R1)
        outputs.append(h)
    return torch.stack(outputs), h


class RNN(RecurrentBase):
    """A multi-layer Elman RNN from equation (R1), a drop-in for ``torch.nn.RNN``.

    Same constructor, parameters (names, shapes, init) and contract as ``torch.nn.RNN``;
    ``fused=True`` runs torch's fused kernel (``torch._VF.rnn_tanh``/``rnn_relu``) on the same parameters.

    Args:
        input_size: D; hidden_size: H; num_layers; nonlinearity: "tanh" or "relu"; bias; batch_first;
        dropout; bidirectional; fused: as for ``LSTM``.

    Shapes (forward): x (T, B, D) -> output (T, B, num_directions*H), h_n
    (num_layers*num_directions, B, H); state=h_0 of that shape, zeros when omitted.
    """

    _gate_count = 1
    _state_names = ("h",)

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, fused=False, device=None, dtype=None):
        if nonlinearity not in _NONLINEARITIES:
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu'; got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         fused, device, dtype)

    def extra_repr(self):
        text = super().extra_repr()
        return text if self.nonlinearity == "tanh" else text + ", nonlinearity='relu'"

    def _fused_kernel(self):
        return torch._VF.rnn_tanh if self.nonlinearity == "tanh" else torch._VF.rnn_relu

    def _layer_forward(self, x, state, weight_ih, weight_hh, bias_ih, bias_hh):
        output, h_n = rnn_forward(x, state[0], weight_ih, weight_hh, bias_ih, bias_hh, self.nonlinearity)
        return output, (h_n,)
