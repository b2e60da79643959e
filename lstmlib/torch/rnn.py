"""The simple (Elman) RNN in PyTorch, from the course's equation, with a hand-written backward through time.

    (R1)  h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)

Parameters as in ``torch.nn.RNN``: ``weight_ih_l0`` (H, D), ``weight_hh_l0`` (H, H), ``bias_ih_l0`` and
``bias_hh_l0`` (H,). ``nonlinearity="relu"`` replaces tanh by ReLU, as in ``torch.nn.RNN``.
"""

import torch
from torch.autograd.function import once_differentiable

from ._base import RecurrentBase, input_and_weight_grads

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


class _RNNLayer(torch.autograd.Function):
    """One RNN layer over a whole sequence: forward by (R1), backward through time by hand.

    ``rnn_step`` is the readable equation; this is the same computation with the loop's per-step work cut
    to two calls forward and two backward, which autograd's step-by-step graph cannot do (it runs
    several times faster on a CPU; ``tests/torch`` hold it equal to ``rnn_step``, to ``torch.nn.RNN``
    and to finite differences).
    """

    @staticmethod
    def forward(ctx, x, h0, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity):
        T, B, D = x.shape
        H = h0.shape[-1]
        # W_ih x_t + b for every t in one matmul: (T*B, H) -> (T, B, H); the loop adds W_hh h_{t-1}
        if bias_ih is None:
            output = (x.reshape(T * B, D) @ weight_ih.T).view(T, B, H)
        else:
            output = torch.addmm(bias_ih + bias_hh, x.reshape(T * B, D), weight_ih.T).view(T, B, H)
        weight_hh_T = weight_hh.T.contiguous()  # (H, H), a faster layout for h @ W_hh^T
        h = h0
        for h_t in output.unbind(0):  # each step overwrites its pre-activation with h_t
            h_t.addmm_(h, weight_hh_T)  # W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
            if nonlinearity == "tanh":
                h_t.tanh_()  # (R1) h_t = tanh(...)
            else:
                h_t.clamp_(min=0)  # ReLU
            h = h_t
        ctx.save_for_backward(x, h0, weight_ih, weight_hh, output)
        ctx.has_bias, ctx.nonlinearity = bias_ih is not None, nonlinearity
        return output, output[T - 1].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, d_output, d_h_n):
        x, h0, weight_ih, weight_hh, output = ctx.saved_tensors
        T = x.shape[0]
        # ∂h_t/∂(pre-activation), every t at once: 1 - h_t² for tanh, [h_t > 0] for ReLU
        local = 1 - output * output if ctx.nonlinearity == "tanh" else (output > 0).to(output.dtype)
        d_pre = torch.empty_like(output)  # (T, B, H)
        dh = d_output[T - 1] + d_h_n
        d_output_prev = [None] + list(d_output[:-1].unbind(0))  # dL/dh_{t-1} from the output
        for t in range(T - 1, -1, -1):
            torch.mul(dh, local[t], out=d_pre[t])
            # dL/dh_{t-1} = d_output[t-1] + d_pre_t W_hh (for t = 0: dL/dh_0)
            dh = d_pre[t] @ weight_hh if t == 0 else torch.addmm(d_output_prev[t], d_pre[t], weight_hh)
        dx, d_weight_ih, d_weight_hh, d_bias = input_and_weight_grads(
            d_pre, x, h0, output, weight_ih, ctx.needs_input_grad[0], ctx.has_bias
        )
        return dx, dh, d_weight_ih, d_weight_hh, d_bias, d_bias, None


def rnn_forward(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    """One RNN layer over a sequence, equation (R1) at every step, with a hand-written backward.

    The input projection W_ih x_t + b for all t is one matmul; the loop adds W_hh h_{t-1}.

    Args:
        x: (T, B, D); h0: (B, H); weights as in ``rnn_step``.

    Returns:
        output: (T, B, H) every h_t; h_n: (B, H) the final state.
    """
    if nonlinearity not in _NONLINEARITIES:
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu'; got {nonlinearity!r}")
    return _RNNLayer.apply(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity)


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

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        nonlinearity="tanh",
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        fused=False,
        device=None,
        dtype=None,
    ):
        if nonlinearity not in _NONLINEARITIES:
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu'; got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, fused, device, dtype
        )

    def extra_repr(self):
        text = super().extra_repr()
        return text if self.nonlinearity == "tanh" else text + ", nonlinearity='relu'"

    def _fused_kernel(self):
        return torch._VF.rnn_tanh if self.nonlinearity == "tanh" else torch._VF.rnn_relu

    def _layer_forward(self, x, state, weight_ih, weight_hh, bias_ih, bias_hh):
        output, h_n = rnn_forward(x, state[0], weight_ih, weight_hh, bias_ih, bias_hh, self.nonlinearity)
        return output, (h_n,)
