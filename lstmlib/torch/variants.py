"""LSTM variants: the peephole LSTM (Gers, Schraudolph & Schmidhuber 2002) and the forget-gate bias.

Peepholes let the gates look at the cell state itself, not only at h_{t-1} (which the output gate may
have shut). With p_i, p_f, p_o (H,) vectors of peephole weights, equations (1), (2), (4) become

    (1p) f_t = σ(W_f·[h_{t-1}, x_t] + p_f ⊙ C_{t-1} + b_f)     forget gate sees the old cell
    (2p) i_t = σ(W_i·[h_{t-1}, x_t] + p_i ⊙ C_{t-1} + b_i)     input gate sees the old cell
    (3)  C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)                  candidate, unchanged
    (3a) C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t                       cell update, unchanged
    (4p) o_t = σ(W_o·[h_{t-1}, x_t] + p_o ⊙ C_t + b_o)          output gate sees the NEW cell
    (5)  h_t = o_t ⊙ tanh(C_t)

Parameters: ``torch.nn.LSTM``'s (``weight_ih_l0`` (4H, D), ``weight_hh_l0`` (4H, H), ``bias_ih_l0``,
``bias_hh_l0`` (4H,), gates i, f, g, o) plus ``weight_ch_l0`` (3H,), the peepholes stacked i, f, o.
With the peepholes at zero the model is exactly ``torch.nn.LSTM`` on the same ``state_dict``.

``init_forget_bias`` sets the forget gate's bias of any LSTM with ``torch.nn``'s layout (``torch.nn.LSTM``,
``lstmlib.torch.LSTM``, ``PeepholeLSTM``) so that f_t starts near σ(1) ≈ 0.73 rather than σ(0) = 0.5
(Gers et al. 2000; Jozefowicz et al. 2015).
"""

import math

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from ._base import RecurrentBase, input_and_weight_grads

__all__ = ["PeepholeLSTM", "peephole_lstm_step", "peephole_lstm_forward", "init_forget_bias"]


def peephole_lstm_step(x, h_prev, c_prev, weight_ih, weight_hh, weight_ch, bias_ih=None, bias_hh=None):
    """One peephole LSTM step, equations (1p), (2p), (3), (3a), (4p), (5); autograd differentiates it
    (the reference that ``peephole_lstm_forward``'s hand-written backward is tested against).

    Args:
        x: (B, D) input x_t.
        h_prev, c_prev: (B, H) states h_{t-1}, C_{t-1}.
        weight_ih: (4H, D); weight_hh: (4H, H); bias_ih, bias_hh: (4H,) or None; gates i, f, g, o.
        weight_ch: (3H,) peephole weights p_i, p_f, p_o.

    Returns:
        h, c: (B, H) the new states h_t, C_t.
    """
    H = h_prev.shape[-1]
    gates = x @ weight_ih.T + h_prev @ weight_hh.T  # W·[h_{t-1}, x_t], (B, 4H)
    if bias_ih is not None:
        gates = gates + bias_ih + bias_hh
    p_i, p_f, p_o = weight_ch[:H], weight_ch[H : 2 * H], weight_ch[2 * H :]
    i = torch.sigmoid(gates[:, :H] + p_i * c_prev)  # (2p) input gate
    f = torch.sigmoid(gates[:, H : 2 * H] + p_f * c_prev)  # (1p) forget gate
    g = torch.tanh(gates[:, 2 * H : 3 * H])  # (3) candidate cell
    c = f * c_prev + i * g  # (3a) cell update
    o = torch.sigmoid(gates[:, 3 * H :] + p_o * c)  # (4p) output gate, on the new cell
    h = o * torch.tanh(c)  # (5) hidden state
    return h, c


class _PeepholeLSTMLayer(torch.autograd.Function):
    """One peephole LSTM layer over a sequence: forward by (1p)-(5), backward through time by hand."""

    @staticmethod
    def forward(ctx, x, h0, c0, weight_ih, weight_hh, weight_ch, bias_ih, bias_hh):
        T, B, D = x.shape
        H = h0.shape[-1]
        # W_ih x_t + b for every t in one matmul; the loop adds W_hh h_{t-1}
        gates = (x.reshape(T * B, D) @ weight_ih.T).view(T, B, 4 * H)  # (T, B, 4H)
        if bias_ih is not None:
            gates = gates + (bias_ih + bias_hh)
        p_i, p_f, p_o = weight_ch[:H], weight_ch[H : 2 * H], weight_ch[2 * H :]
        weight_hh_T = weight_hh.T.contiguous()  # (H, 4H)
        acts = torch.empty_like(gates)  # i, f, C̃, o at every step
        cs = x.new_empty(T + 1, B, H)  # C_0 ... C_T
        tanh_cs = x.new_empty(T, B, H)
        output = x.new_empty(T, B, H)  # h_1 ... h_T
        cs[0] = c0
        h = h0
        for t in range(T):
            z = gates[t].addmm_(h, weight_hh_T)  # (B, 4H)
            i, f, g, o = (acts[t, :, k * H : (k + 1) * H] for k in range(4))
            c_prev = cs[t]
            torch.sigmoid(torch.addcmul(z[:, :H], p_i, c_prev), out=i)  # (2p) input gate
            torch.sigmoid(torch.addcmul(z[:, H : 2 * H], p_f, c_prev), out=f)  # (1p) forget gate
            torch.tanh(z[:, 2 * H : 3 * H], out=g)  # (3) candidate
            torch.addcmul(f * c_prev, i, g, out=cs[t + 1])  # (3a) cell update
            torch.sigmoid(torch.addcmul(z[:, 3 * H :], p_o, cs[t + 1]), out=o)  # (4p) output gate
            torch.tanh(cs[t + 1], out=tanh_cs[t])
            torch.mul(o, tanh_cs[t], out=output[t])  # (5) hidden state
            h = output[t]
        ctx.save_for_backward(x, h0, weight_ih, weight_hh, weight_ch, output, cs, acts, tanh_cs)
        ctx.has_bias = bias_ih is not None
        return output, output[T - 1].clone(), cs[T].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, d_output, d_h_n, d_c_n):
        x, h0, weight_ih, weight_hh, weight_ch, output, cs, acts, tanh_c = ctx.saved_tensors
        T = x.shape[0]
        H = h0.shape[-1]
        p_i, p_f, p_o = weight_ch[:H], weight_ch[H : 2 * H], weight_ch[2 * H :]
        i, f, g, o = acts[..., :H], acts[..., H : 2 * H], acts[..., 2 * H : 3 * H], acts[..., 3 * H :]
        # local derivatives, every t at once: σ' for i, f, o and tanh' for C̃, times what they multiply
        d_i_local = i * (1 - i) * g  # ∂C_t/∂z_i
        d_f_local = f * (1 - f) * cs[:-1]  # ∂C_t/∂z_f
        d_g_local = (1 - g * g) * i  # ∂C_t/∂z_g
        d_o_local = o * (1 - o) * tanh_c  # ∂h_t/∂z_o
        dh_to_dc = o * (1 - tanh_c * tanh_c)  # ∂h_t/∂C_t through tanh
        d_gates = torch.empty_like(acts)  # (T, B, 4H)
        dh_next, dc_next = d_h_n, d_c_n
        for t in range(T - 1, -1, -1):
            dh = d_output[t] + dh_next
            dz_o = dh * d_o_local[t]
            dc = dc_next + dh * dh_to_dc[t] + dz_o * p_o  # C_t feeds h_t directly and through o_t
            dz_i = dc * d_i_local[t]
            dz_f = dc * d_f_local[t]
            torch.cat([dz_i, dz_f, dc * d_g_local[t], dz_o], -1, out=d_gates[t])
            dc_next = dc * f[t] + dz_i * p_i + dz_f * p_f  # C_{t-1} feeds C_t, i_t and f_t
            dh_next = d_gates[t] @ weight_hh
        dx, d_weight_ih, d_weight_hh, d_bias = input_and_weight_grads(
            d_gates, x, h0, output, weight_ih, ctx.needs_input_grad[0], ctx.has_bias
        )
        d_weight_ch = torch.cat(
            [
                (d_gates[..., :H] * cs[:-1]).sum((0, 1)),
                (d_gates[..., H : 2 * H] * cs[:-1]).sum((0, 1)),
                (d_gates[..., 3 * H :] * cs[1:]).sum((0, 1)),
            ]
        )
        return dx, dh_next, dc_next, d_weight_ih, d_weight_hh, d_weight_ch, d_bias, d_bias


def peephole_lstm_forward(x, h0, c0, weight_ih, weight_hh, weight_ch, bias_ih=None, bias_hh=None):
    """One peephole LSTM layer over a sequence, (1p)-(5) at every step, with a hand-written backward.

    Args:
        x: (T, B, D); h0, c0: (B, H); weights as in ``peephole_lstm_step``.

    Returns:
        output: (T, B, H) every h_t; h_n, c_n: (B, H) the final states.
    """
    return _PeepholeLSTMLayer.apply(x, h0, c0, weight_ih, weight_hh, weight_ch, bias_ih, bias_hh)


class PeepholeLSTM(RecurrentBase):
    """A multi-layer peephole LSTM (Gers et al. 2002) with ``torch.nn.LSTM``'s interface.

    The constructor and contract of ``torch.nn.LSTM`` (``fused`` is not available: torch has no fused
    peephole kernel). Parameters: those of ``torch.nn.LSTM``, drawn as it draws them (so the same seed
    gives the same ``weight_ih_l0`` ...), plus ``weight_ch_l{k}`` (3H,) (``_reverse`` for the backward
    direction), peepholes p_i, p_f, p_o, drawn afterwards from the same U(-1/sqrt(H), 1/sqrt(H)).

    Shapes (forward): x (T, B, D) -> output (T, B, num_directions*H), (h_n, c_n) each
    (num_layers*num_directions, B, H); state=(h_0, c_0) of that shape, zeros when omitted.
    """

    _gate_count = 4
    _state_names = ("h", "c")

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        fused=False,
        device=None,
        dtype=None,
    ):
        if fused:
            raise ValueError(
                "PeepholeLSTM has no fused kernel (torch has none for peepholes); expected fused=False, got fused=True"
            )
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, False, device, dtype
        )
        bound = 1.0 / math.sqrt(hidden_size)
        for layer in range(num_layers):
            for direction in range(self.num_directions):
                name = f"weight_ch_l{layer}" + ("_reverse" if direction == 1 else "")
                weight = nn.Parameter(torch.empty(3 * hidden_size, device=device, dtype=dtype))
                nn.init.uniform_(weight, -bound, bound)
                setattr(self, name, weight)

    def reset_parameters(self):
        """Draw every parameter from U(-1/sqrt(H), 1/sqrt(H)): torch.nn.LSTM's first, then the peepholes."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for name, weight in self.named_parameters():
            if not name.startswith("weight_ch"):
                nn.init.uniform_(weight, -bound, bound)
        for name, weight in self.named_parameters():
            if name.startswith("weight_ch"):
                nn.init.uniform_(weight, -bound, bound)

    def _fused_kernel(self):
        raise ValueError("PeepholeLSTM has no fused kernel")

    def _layer_weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        return (*super()._layer_weights(layer, direction), getattr(self, "weight_ch" + suffix))

    def _layer_forward(self, x, state, weight_ih, weight_hh, bias_ih, bias_hh, weight_ch):
        output, h_n, c_n = peephole_lstm_forward(
            x, state[0], state[1], weight_ih, weight_hh, weight_ch, bias_ih, bias_hh
        )
        return output, (h_n, c_n)


@torch.no_grad()
def init_forget_bias(module, value=1.0):
    """Set every layer's forget-gate bias so that b_f = ``value`` (b_ih's f quarter = value, b_hh's = 0).

    Works on any module with ``torch.nn.LSTM``'s layout (gates i, f, g, o): ``torch.nn.LSTM``,
    ``lstmlib.torch.LSTM``, ``PeepholeLSTM``. Returns the module.

    Raises:
        TypeError: the module is not an LSTM with that layout (e.g. a GRU: 3H rows, no forget gate).
        ValueError: the module has no biases (``bias=False``).
    """
    hidden_size = getattr(module, "hidden_size", None)
    weight = getattr(module, "weight_ih_l0", None)
    if hidden_size is None or weight is None or weight.shape[0] != 4 * hidden_size:
        rows = None if weight is None else tuple(weight.shape)
        raise TypeError(
            f"init_forget_bias needs an LSTM with torch.nn's layout (weight_ih_l0 of 4H = "
            f"{None if hidden_size is None else 4 * hidden_size} rows, gates i, f, g, o); "
            f"got {type(module).__name__} with weight_ih_l0 of shape {rows}"
        )
    if not getattr(module, "bias", True) or getattr(module, "bias_ih_l0", None) is None:
        raise ValueError("init_forget_bias needs a module with biases (bias=True); got bias=False")
    H = hidden_size
    for name, param in module.named_parameters():
        if name.startswith("bias_ih"):
            param[H : 2 * H] = value
        elif name.startswith("bias_hh"):
            param[H : 2 * H] = 0.0
    return module
