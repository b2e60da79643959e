"""The LSTM in PyTorch, from the course's equations, with a hand-written backward through time.

Equations (the book's numbering), with [h_{t-1}, x_t] split as W·[h, x] = W_ih x_t + W_hh h_{t-1}:

    (1)  f_t = σ(W_f·[h_{t-1}, x_t] + b_f)            forget gate
    (2)  i_t = σ(W_i·[h_{t-1}, x_t] + b_i)            input gate
    (3)  C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)         candidate cell (torch.nn calls it g)
    (4)  o_t = σ(W_o·[h_{t-1}, x_t] + b_o)            output gate
    (3a) C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t              cell update
    (5)  h_t = o_t ⊙ tanh(C_t)                        hidden state

Parameters as in ``torch.nn.LSTM``: ``weight_ih_l0`` (4H, D), ``weight_hh_l0`` (4H, H), ``bias_ih_l0``
and ``bias_hh_l0`` (4H,), the four gates stacked in the order i, f, g, o.
"""

import torch
from torch.autograd.function import once_differentiable

from ._base import RecurrentBase, input_and_weight_grads


def lstm_cell(gates, c_prev):
    """The pointwise half of an LSTM step: equations (1)-(5) from the gates' pre-activations.

    Args:
        gates: (B, 4H), W_ih x_t + b_ih + W_hh h_{t-1} + b_hh, stacked i, f, g, o.
        c_prev: (B, H), the cell state C_{t-1}.

    Returns:
        h: (B, H); c: (B, H); cache for the backward pass: (σ(gates) (B, 4H) holding i, f, o, g (B, H),
        tanh(c) (B, H)).
    """
    H = c_prev.shape[-1]
    sigmoids = torch.sigmoid(gates)  # σ of (1), (2), (4) in one call (the g quarter goes unused)
    i = sigmoids[..., 0 * H : 1 * H]  # (2) input gate        i_t = σ(W_i·[h_{t-1}, x_t] + b_i)
    f = sigmoids[..., 1 * H : 2 * H]  # (1) forget gate       f_t = σ(W_f·[h_{t-1}, x_t] + b_f)
    g = torch.tanh(gates[..., 2 * H : 3 * H])  # (3) candidate cell  C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)
    o = sigmoids[..., 3 * H : 4 * H]  # (4) output gate       o_t = σ(W_o·[h_{t-1}, x_t] + b_o)
    c = f * c_prev + i * g  # (3a) cell update      C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t
    tanh_c = torch.tanh(c)
    h = o * tanh_c  # (5) hidden state      h_t = o_t ⊙ tanh(C_t)
    return h, c, (sigmoids, g, tanh_c)


def lstm_step(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One LSTM step, equations (1)-(5); autograd differentiates it.

    Args:
        x: (B, D) input x_t.
        h_prev, c_prev: (B, H) states h_{t-1}, C_{t-1}.
        weight_ih: (4H, D); weight_hh: (4H, H); bias_ih, bias_hh: (4H,) or None. Gates i, f, g, o.

    Returns:
        h, c: (B, H) the new states h_t, C_t.
    """
    gates = x @ weight_ih.T + h_prev @ weight_hh.T  # W·[h_{t-1}, x_t] for all four gates, (B, 4H)
    if bias_ih is not None:
        gates = gates + bias_ih + bias_hh
    h, c, _ = lstm_cell(gates, c_prev)
    return h, c


def _lstm_cell_into(gates, c_prev, acts, c, tanh_c, h):
    """``lstm_cell`` writing into preallocated tensors (the layer's loop): the same equations, no copies.

    gates, acts: (B, 4H); c_prev, c, tanh_c, h: (B, H). On return acts holds i, f, C̃, o.
    """
    H = c.shape[-1]
    i, f, g, o = acts[:, :H], acts[:, H : 2 * H], acts[:, 2 * H : 3 * H], acts[:, 3 * H :]
    torch.sigmoid(gates, out=acts)  # (1) f, (2) i, (4) o: σ on all gates in one call
    torch.tanh(gates[:, 2 * H : 3 * H], out=g)  # (3) candidate C̃_t replaces the g quarter
    torch.addcmul(f * c_prev, i, g, out=c)  # (3a) C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t
    torch.tanh(c, out=tanh_c)
    torch.mul(o, tanh_c, out=h)  # (5) h_t = o_t ⊙ tanh(C_t)


class _LSTMLayer(torch.autograd.Function):
    """One LSTM layer over a whole sequence: forward by equations (1)-(5), backward through time by hand."""

    @staticmethod
    def forward(ctx, x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh):
        T, B, D = x.shape
        H = h0.shape[-1]
        # W_ih x_t + b for every t in one matmul: (T*B, 4H) -> (T, B, 4H); the loop adds W_hh h_{t-1}
        if bias_ih is None:
            gates = (x.reshape(T * B, D) @ weight_ih.T).view(T, B, 4 * H)
        else:
            gates = torch.addmm(bias_ih + bias_hh, x.reshape(T * B, D), weight_ih.T).view(T, B, 4 * H)
        weight_hh_T = weight_hh.T.contiguous()  # (H, 4H), a faster layout for h @ W_hh^T
        acts = torch.empty_like(gates)  # i, f, C̃, o at every step
        cs = x.new_empty(T + 1, B, H)  # C_0 ... C_T
        tanh_cs = x.new_empty(T, B, H)
        output = x.new_empty(T, B, H)  # h_1 ... h_T
        cs[0] = c0
        h = h0
        # per-step views made once (indexing in the loop costs more than the arithmetic)
        steps = zip(
            gates.unbind(0), cs.unbind(0), cs[1:].unbind(0), acts.unbind(0), tanh_cs.unbind(0), output.unbind(0)
        )
        for gates_t, c_prev, c, acts_t, tanh_c, h_t in steps:
            gates_t.addmm_(h, weight_hh_T)  # W·[h_{t-1}, x_t] + b, (B, 4H)
            _lstm_cell_into(gates_t, c_prev, acts_t, c, tanh_c, h_t)
            h = h_t
        ctx.save_for_backward(x, h0, weight_ih, weight_hh, output, cs, acts, tanh_cs)
        ctx.has_bias = bias_ih is not None
        return output, output[T - 1].clone(), cs[T].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, d_output, d_h_n, d_c_n):
        x, h0, weight_ih, weight_hh, output, cs, acts, tanh_c = ctx.saved_tensors
        T, B, D = x.shape
        H = h0.shape[-1]
        i, f, g, o = acts[..., :H], acts[..., H : 2 * H], acts[..., 2 * H : 3 * H], acts[..., 3 * H :]
        # ∂(gate pre-activations)/∂(dC_t, dC_t, dC_t, dh_t) for i, f, C̃, o, every t at once
        local = acts * (1 - acts)  # σ' for i, f, o
        torch.addcmul(torch.ones_like(g), g, g, value=-1, out=local[..., 2 * H : 3 * H])  # tanh' for C̃
        local *= torch.cat([g, cs[:-1], i, tanh_c], -1)  # ∂C_t/∂i, ∂C_t/∂f, ∂C_t/∂C̃, ∂h_t/∂o
        dh_to_dc = o * (1 - tanh_c * tanh_c)  # ∂h_t/∂C_t, (T, B, H)
        d_gates = torch.empty_like(local)  # (T, B, 4H)
        dc_next = d_c_n
        dh = d_output[T - 1] + d_h_n
        steps = list(zip(d_gates.unbind(0), local.unbind(0), dh_to_dc.unbind(0), f.unbind(0)))
        d_output_prev = [None] + list(d_output[:-1].unbind(0))  # dL/dh_{t-1} from the output
        for t in range(T - 1, -1, -1):
            d_gates_t, local_t, dh_to_dc_t, f_t = steps[t]
            dc = torch.addcmul(dc_next, dh, dh_to_dc_t)
            torch.mul(torch.cat([dc, dc, dc, dh], -1), local_t, out=d_gates_t)
            dc_next = dc * f_t
            # dL/dh_{t-1} = d_output[t-1] + dgates_t W_hh (for t = 0: dL/dh_0)
            dh = d_gates_t @ weight_hh if t == 0 else torch.addmm(d_output_prev[t], d_gates_t, weight_hh)
        dh_next = dh
        dx, d_weight_ih, d_weight_hh, d_bias = input_and_weight_grads(
            d_gates, x, h0, output, weight_ih, ctx.needs_input_grad[0], ctx.has_bias
        )
        return dx, dh_next, dc_next, d_weight_ih, d_weight_hh, d_bias, d_bias


def lstm_forward(x, h0, c0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One LSTM layer over a sequence, equations (1)-(5) at every step, with a hand-written backward.

    Args:
        x: (T, B, D); h0, c0: (B, H).
        weight_ih: (4H, D); weight_hh: (4H, H); bias_ih, bias_hh: (4H,) or None. Gates i, f, g, o.

    Returns:
        output: (T, B, H) every h_t; h_n, c_n: (B, H) the final states.
    """
    return _LSTMLayer.apply(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh)


class LSTM(RecurrentBase):
    """A multi-layer LSTM from equations (1)-(5), a drop-in for ``torch.nn.LSTM``.

    Same constructor, parameters (names, shapes, gate order i, f, g, o, init) and contract as
    ``torch.nn.LSTM``. The default path runs the course's equations (``lstm_cell``) with a hand-written
    backward through time; ``fused=True`` runs torch's fused kernel (``torch._VF.lstm``, cuDNN on a GPU)
    on the same parameters, for long training.

    Args:
        input_size: D; hidden_size: H; num_layers: stacked layers; bias: use b_ih, b_hh;
        batch_first: x is (B, T, D); dropout: on every layer's output but the last (training only);
        bidirectional: a second, reversed pass per layer; fused: use torch's fused kernel.

    Shapes (forward): x (T, B, D) -> output (T, B, num_directions*H), (h_n, c_n) each
    (num_layers*num_directions, B, H); state=(h_0, c_0) of that shape, zeros when omitted.
    """

    _gate_count = 4
    _state_names = ("h", "c")

    def _fused_kernel(self):
        return torch._VF.lstm

    def _layer_forward(self, x, state, weight_ih, weight_hh, bias_ih, bias_hh):
        output, h_n, c_n = lstm_forward(x, state[0], state[1], weight_ih, weight_hh, bias_ih, bias_hh)
        return output, (h_n, c_n)
