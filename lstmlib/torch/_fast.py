"""The fast paths: the same sequence functions as ``rnn_forward``, ``lstm_forward``, ``gru_forward`` and
``peephole_lstm_forward``, with the same arguments and returns, written for speed rather than reading.

The readable versions (``lstmlib.torch.lstm_forward`` ...) are plain loops over the step functions, where
each equation lives, and autograd differentiates them. Here the arithmetic of those steps is reorganised:
the input projection W_ih x_t + b for all t is one matrix product, each step writes into preallocated
tensors, and the backward through time is written by hand (``torch.autograd.Function``), a few calls per
step where autograd's graph needs dozens. The classes use these by default (``fast=True``); the tests in
``tests/torch/test_steps.py`` hold each equal to its readable loop, in values and gradients, and to
finite differences (gradcheck). The equations are not restated here: see the step functions.
"""

from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

Tensor = torch.Tensor

__all__ = ["rnn_forward", "lstm_forward", "gru_forward", "peephole_lstm_forward", "input_and_weight_grads"]

_NONLINEARITIES = ("tanh", "relu")


def input_and_weight_grads(
    d_pre: Tensor, x: Tensor, h0: Tensor, output: Tensor, W_ih: Tensor, need_dx: bool, has_bias: bool
) -> tuple[Tensor | None, Tensor, Tensor, Tensor | None]:
    """After a hand-written backward loop: dx, dW_ih, dW_hh and db from the pre-activations' gradients.

    d_pre (T, B, G*H): dL/d(W_ih x_t + b + W_hh h_{t-1}) at every step (G gates: 4 for the LSTM, 1 for
    the RNN); x (T, B, D); h0 (B, H); output (T, B, H) (h_1..h_T); W_ih (G*H, D).
    Each is one matrix product over all T·B rows.
    """
    T, B, D = x.shape
    H = h0.shape[-1]
    G = d_pre.shape[-1]
    d_pre_2d = d_pre.view(T * B, G)
    dx = (d_pre_2d @ W_ih).view(T, B, D) if need_dx else None
    d_weight_ih = d_pre_2d.T @ x.reshape(T * B, D)
    # Σ_t d_pre_t^T h_{t-1}, with h_0 apart so that no (T, B, H) copy is needed
    d_weight_hh = d_pre[0].T @ h0
    if T > 1:
        d_weight_hh.addmm_(d_pre[1:].reshape((T - 1) * B, G).T, output[:-1].reshape((T - 1) * B, H))
    d_bias = d_pre_2d.sum(0) if has_bias else None
    return dx, d_weight_ih, d_weight_hh, d_bias


# ------------------------------------------------------------------------------------------------ RNN
class _RNNLayer(torch.autograd.Function):
    """One RNN layer over a whole sequence: forward by (R1) (``rnn_step``), backward through time by hand.

    The loop's per-step work is cut to two calls forward and two backward, which autograd's step-by-step
    graph cannot do (it runs several times faster on a CPU).
    """

    @staticmethod
    def forward(ctx, x, h0, W_ih, W_hh, b_ih, b_hh, nonlinearity):
        T, B, D = x.shape
        H = h0.shape[-1]
        # W_ih x_t + b for every t in one matmul: (T*B, H) -> (T, B, H); the loop adds W_hh h_{t-1}
        if b_ih is None:
            output = (x.reshape(T * B, D) @ W_ih.T).view(T, B, H)
        else:
            output = torch.addmm(b_ih + b_hh, x.reshape(T * B, D), W_ih.T).view(T, B, H)
        weight_hh_T = W_hh.T.contiguous()  # (H, H), a faster layout for h @ W_hh^T
        h = h0
        for h_t in output.unbind(0):  # each step overwrites its pre-activation with h_t
            h_t.addmm_(h, weight_hh_T)  # W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
            if nonlinearity == "tanh":
                h_t.tanh_()  # (R1)
            else:
                h_t.clamp_(min=0)  # ReLU
            h = h_t
        ctx.save_for_backward(x, h0, W_ih, W_hh, output)
        ctx.has_bias, ctx.nonlinearity = b_ih is not None, nonlinearity
        return output, output[T - 1].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, d_output, d_h_n):
        x, h0, W_ih, W_hh, output = ctx.saved_tensors
        T = x.shape[0]
        # ∂h_t/∂(pre-activation), every t at once: 1 - h_t² for tanh, [h_t > 0] for ReLU
        local = 1 - output * output if ctx.nonlinearity == "tanh" else (output > 0).to(output.dtype)
        d_pre = torch.empty_like(output)  # (T, B, H)
        dh = d_output[T - 1] + d_h_n
        d_output_prev = [None] + list(d_output[:-1].unbind(0))  # dL/dh_{t-1} from the output
        for t in range(T - 1, -1, -1):
            torch.mul(dh, local[t], out=d_pre[t])
            # dL/dh_{t-1} = d_output[t-1] + d_pre_t W_hh (for t = 0: dL/dh_0)
            dh = d_pre[t] @ W_hh if t == 0 else torch.addmm(d_output_prev[t], d_pre[t], W_hh)
        dx, d_weight_ih, d_weight_hh, d_bias = input_and_weight_grads(
            d_pre, x, h0, output, W_ih, ctx.needs_input_grad[0], ctx.has_bias
        )
        return dx, dh, d_weight_ih, d_weight_hh, d_bias, d_bias, None


def rnn_forward(
    x: Tensor,
    h0: Tensor,
    W_ih: Tensor,
    W_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    nonlinearity: str = "tanh",
) -> tuple[Tensor, Tensor]:
    """``lstmlib.torch.rnn_forward`` with a hand-written backward: x (T, B, D), h0 (B, H) ->
    (output (T, B, H), h_n (B, H))."""
    if nonlinearity not in _NONLINEARITIES:
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu'; got {nonlinearity!r}")
    return _RNNLayer.apply(x, h0, W_ih, W_hh, b_ih, b_hh, nonlinearity)


# ------------------------------------------------------------------------------------------------ LSTM
class _LSTMLayer(torch.autograd.Function):
    """One LSTM layer over a whole sequence: forward by (1)-(5) (``lstm_step``), backward through time by hand."""

    @staticmethod
    def forward(ctx, x, h0, c0, W_ih, W_hh, b_ih, b_hh):
        T, B, D = x.shape
        H = h0.shape[-1]
        # W_ih x_t + b for every t in one matmul: (T*B, 4H) -> (T, B, 4H); the loop adds W_hh h_{t-1}
        if b_ih is None:
            gates = (x.reshape(T * B, D) @ W_ih.T).view(T, B, 4 * H)
        else:
            gates = torch.addmm(b_ih + b_hh, x.reshape(T * B, D), W_ih.T).view(T, B, 4 * H)
        weight_hh_T = W_hh.T.contiguous()  # (H, 4H), a faster layout for h @ W_hh^T
        acts = torch.empty_like(gates)  # i, f, C̃, o at every step
        cs = x.new_empty(T + 1, B, H)  # C_0 ... C_T
        tanh_cs = x.new_empty(T, B, H)
        output = x.new_empty(T, B, H)  # h_1 ... h_T
        cs[0] = c0
        h = h0
        # per-step views made once (indexing in the loop costs more than the arithmetic at small sizes)
        i, f, g, o = (acts[..., k * H : (k + 1) * H].unbind(0) for k in range(4))
        steps = zip(
            gates.unbind(0),
            gates[..., 2 * H : 3 * H].unbind(0),
            cs.unbind(0),
            cs[1:].unbind(0),
            acts.unbind(0),
            i,
            f,
            g,
            o,
            tanh_cs.unbind(0),
            output.unbind(0),
        )
        # lstm_step's equations after the products, into preallocated tensors; acts ends up holding i, f, C̃, o
        for gates_t, g_pre, c_prev, c, acts_t, i_t, f_t, g_t, o_t, tanh_c, h_t in steps:
            gates_t.addmm_(h, weight_hh_T)  # W·[h_{t-1}, x_t] + b, (B, 4H)
            torch.sigmoid(gates_t, out=acts_t)  # (1), (2), (4): σ on all gates in one call
            torch.tanh(g_pre, out=g_t)  # (3) replaces the g quarter
            torch.addcmul(f_t * c_prev, i_t, g_t, out=c)  # (3a)
            torch.tanh(c, out=tanh_c)
            torch.mul(o_t, tanh_c, out=h_t)  # (5)
            h = h_t
        ctx.save_for_backward(x, h0, W_ih, W_hh, output, cs, acts, tanh_cs)
        ctx.has_bias = b_ih is not None
        return output, output[T - 1].clone(), cs[T].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, d_output, d_h_n, d_c_n):
        x, h0, W_ih, W_hh, output, cs, acts, tanh_c = ctx.saved_tensors
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
            dh = d_gates_t @ W_hh if t == 0 else torch.addmm(d_output_prev[t], d_gates_t, W_hh)
        dx, d_weight_ih, d_weight_hh, d_bias = input_and_weight_grads(
            d_gates, x, h0, output, W_ih, ctx.needs_input_grad[0], ctx.has_bias
        )
        return dx, dh, dc_next, d_weight_ih, d_weight_hh, d_bias, d_bias


class _LSTMProjectedLayer(torch.autograd.Function):
    """``_LSTMLayer`` with torch.nn's projection (``proj_size`` P): h_t = W_hr r_t, r_t = o_t ⊙ tanh(C_t).

    The recurrence runs on the projected h_t (B, P); backward through time by hand, with
    dr_t = dh_t W_hr in place of dh_t in the LSTM's backward, and dW_hr = Σ_t dh_t^T r_t in one product.
    """

    @staticmethod
    def forward(ctx, x, h0, c0, W_ih, W_hh, b_ih, b_hh, W_hr):
        T, B, D = x.shape
        H, P = c0.shape[-1], h0.shape[-1]
        if b_ih is None:
            gates = (x.reshape(T * B, D) @ W_ih.T).view(T, B, 4 * H)
        else:
            gates = torch.addmm(b_ih + b_hh, x.reshape(T * B, D), W_ih.T).view(T, B, 4 * H)
        weight_hh_T = W_hh.T.contiguous()  # (P, 4H)
        weight_hr_T = W_hr.T.contiguous()  # (H, P)
        acts = torch.empty_like(gates)  # i, f, C̃, o at every step
        cs = x.new_empty(T + 1, B, H)  # C_0 ... C_T
        tanh_cs = x.new_empty(T, B, H)
        rs = x.new_empty(T, B, H)  # o_t ⊙ tanh(C_t), before the projection
        output = x.new_empty(T, B, P)  # h_1 ... h_T
        cs[0] = c0
        h = h0
        i, f, g, o = (acts[..., k * H : (k + 1) * H].unbind(0) for k in range(4))
        steps = zip(
            gates.unbind(0),
            gates[..., 2 * H : 3 * H].unbind(0),
            cs.unbind(0),
            cs[1:].unbind(0),
            acts.unbind(0),
            i,
            f,
            g,
            o,
            tanh_cs.unbind(0),
            rs.unbind(0),
            output.unbind(0),
        )
        for gates_t, g_pre, c_prev, c, acts_t, i_t, f_t, g_t, o_t, tanh_c, r_t, h_t in steps:
            gates_t.addmm_(h, weight_hh_T)  # W·[h_{t-1}, x_t] + b, (B, 4H)
            torch.sigmoid(gates_t, out=acts_t)  # (1), (2), (4)
            torch.tanh(g_pre, out=g_t)  # (3)
            torch.addcmul(f_t * c_prev, i_t, g_t, out=c)  # (3a)
            torch.tanh(c, out=tanh_c)
            torch.mul(o_t, tanh_c, out=r_t)  # (5), before the projection
            torch.mm(r_t, weight_hr_T, out=h_t)  # h_t = W_hr r_t, (B, P)
            h = h_t
        ctx.save_for_backward(x, h0, W_ih, W_hh, W_hr, output, cs, acts, tanh_cs, rs)
        ctx.has_bias = b_ih is not None
        return output, output[T - 1].clone(), cs[T].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, d_output, d_h_n, d_c_n):
        x, h0, W_ih, W_hh, W_hr, output, cs, acts, tanh_c, rs = ctx.saved_tensors
        T, B, _ = x.shape
        H, P = cs.shape[-1], h0.shape[-1]
        i, f, g, o = acts[..., :H], acts[..., H : 2 * H], acts[..., 2 * H : 3 * H], acts[..., 3 * H :]
        local = acts * (1 - acts)  # σ' for i, f, o
        torch.addcmul(torch.ones_like(g), g, g, value=-1, out=local[..., 2 * H : 3 * H])  # tanh' for C̃
        local *= torch.cat([g, cs[:-1], i, tanh_c], -1)  # ∂C_t/∂i, ∂C_t/∂f, ∂C_t/∂C̃, ∂r_t/∂o
        dr_to_dc = o * (1 - tanh_c * tanh_c)  # ∂r_t/∂C_t, (T, B, H)
        d_gates = torch.empty_like(local)  # (T, B, 4H)
        d_hs = torch.empty_like(output)  # dL/dh_t, every t, for dW_hr, (T, B, P)
        dc_next = d_c_n
        dh = d_output[T - 1] + d_h_n
        d_output_prev = [None] + list(d_output[:-1].unbind(0))
        for t in range(T - 1, -1, -1):
            d_hs[t] = dh
            dr = dh @ W_hr  # dL/dr_t, (B, H)
            dc = torch.addcmul(dc_next, dr, dr_to_dc[t])
            torch.mul(torch.cat([dc, dc, dc, dr], -1), local[t], out=d_gates[t])
            dc_next = dc * f[t]
            dh = d_gates[t] @ W_hh if t == 0 else torch.addmm(d_output_prev[t], d_gates[t], W_hh)
        dx, d_weight_ih, d_weight_hh, d_bias = input_and_weight_grads(
            d_gates, x, h0, output, W_ih, ctx.needs_input_grad[0], ctx.has_bias
        )
        d_weight_hr = d_hs.reshape(T * B, P).T @ rs.reshape(T * B, H)  # Σ_t dh_t^T r_t, (P, H)
        return dx, dh, dc_next, d_weight_ih, d_weight_hh, d_bias, d_bias, d_weight_hr


def lstm_forward(
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    W_ih: Tensor,
    W_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    W_hr: Tensor | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """``lstmlib.torch.lstm_forward`` with a hand-written backward: x (T, B, D), h0, c0 (B, H) ->
    (output (T, B, H), h_n, c_n (B, H)).

    With a projection (``W_hr`` (P, H), torch.nn's ``proj_size``), h0 and h_n are (B, P) and the
    output (T, B, P).
    """
    if W_hr is not None:
        return _LSTMProjectedLayer.apply(x, h0, c0, W_ih, W_hh, b_ih, b_hh, W_hr)
    return _LSTMLayer.apply(x, h0, c0, W_ih, W_hh, b_ih, b_hh)


# ------------------------------------------------------------------------------------------------ GRU
def _gru_cell(x_gates, h_gates, h_prev):
    """``gru_step``'s (G1)-(G4) after the products: x_gates = W_ih x_t + b_ih, h_gates = W_hh h_{t-1} + b_hh."""
    H = h_prev.shape[-1]
    rz = torch.sigmoid(x_gates[..., : 2 * H] + h_gates[..., : 2 * H])  # (G1), (G2) in one call
    r = rz[..., :H]
    z = rz[..., H:]
    n = torch.tanh(x_gates[..., 2 * H :] + r * h_gates[..., 2 * H :])  # (G3)
    return (1 - z) * n + z * h_prev  # (G4)


def gru_forward(
    x: Tensor,
    h0: Tensor,
    W_ih: Tensor,
    W_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """``lstmlib.torch.gru_forward`` with W_ih x_t + b_ih for all t in one matmul (autograd does the
    backward): x (T, B, D), h0 (B, H) -> (output (T, B, H), h_n (B, H))."""
    T, B, D = x.shape
    x_gates = (x.reshape(T * B, D) @ W_ih.T).view(T, B, -1)  # (T, B, 3H)
    if b_ih is not None:
        x_gates = x_gates + b_ih
    h = h0
    outputs = []
    for t in range(T):
        h_gates = h @ W_hh.T if b_hh is None else torch.addmm(b_hh, h, W_hh.T)  # (B, 3H)
        h = _gru_cell(x_gates[t], h_gates, h)
        outputs.append(h)
    return torch.stack(outputs), h


# ------------------------------------------------------------------------------------------------ peephole
class _PeepholeLSTMLayer(torch.autograd.Function):
    """One peephole LSTM layer over a sequence: forward by ``peephole_lstm_step``'s (1p)-(5), backward by hand."""

    @staticmethod
    def forward(ctx, x, h0, c0, W_ih, W_hh, W_ch, b_ih, b_hh):
        T, B, D = x.shape
        H = h0.shape[-1]
        # W_ih x_t + b for every t in one matmul; the loop adds W_hh h_{t-1}
        gates = (x.reshape(T * B, D) @ W_ih.T).view(T, B, 4 * H)  # (T, B, 4H)
        if b_ih is not None:
            gates = gates + (b_ih + b_hh)
        p_i, p_f, p_o = W_ch[:H], W_ch[H : 2 * H], W_ch[2 * H :]
        weight_hh_T = W_hh.T.contiguous()  # (H, 4H)
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
            torch.sigmoid(torch.addcmul(z[:, :H], p_i, c_prev), out=i)  # (2p)
            torch.sigmoid(torch.addcmul(z[:, H : 2 * H], p_f, c_prev), out=f)  # (1p)
            torch.tanh(z[:, 2 * H : 3 * H], out=g)  # (3)
            torch.addcmul(f * c_prev, i, g, out=cs[t + 1])  # (3a)
            torch.sigmoid(torch.addcmul(z[:, 3 * H :], p_o, cs[t + 1]), out=o)  # (4p)
            torch.tanh(cs[t + 1], out=tanh_cs[t])
            torch.mul(o, tanh_cs[t], out=output[t])  # (5)
            h = output[t]
        ctx.save_for_backward(x, h0, W_ih, W_hh, W_ch, output, cs, acts, tanh_cs)
        ctx.has_bias = b_ih is not None
        return output, output[T - 1].clone(), cs[T].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, d_output, d_h_n, d_c_n):
        x, h0, W_ih, W_hh, W_ch, output, cs, acts, tanh_c = ctx.saved_tensors
        T = x.shape[0]
        H = h0.shape[-1]
        p_i, p_f, p_o = W_ch[:H], W_ch[H : 2 * H], W_ch[2 * H :]
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
            dh_next = d_gates[t] @ W_hh
        dx, d_weight_ih, d_weight_hh, d_bias = input_and_weight_grads(
            d_gates, x, h0, output, W_ih, ctx.needs_input_grad[0], ctx.has_bias
        )
        d_weight_ch = torch.cat(
            [
                (d_gates[..., :H] * cs[:-1]).sum((0, 1)),
                (d_gates[..., H : 2 * H] * cs[:-1]).sum((0, 1)),
                (d_gates[..., 3 * H :] * cs[1:]).sum((0, 1)),
            ]
        )
        return dx, dh_next, dc_next, d_weight_ih, d_weight_hh, d_weight_ch, d_bias, d_bias


def peephole_lstm_forward(
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    W_ih: Tensor,
    W_hh: Tensor,
    W_ch: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """``lstmlib.torch.variants.peephole_lstm_forward`` with a hand-written backward: x (T, B, D),
    h0, c0 (B, H) -> (output (T, B, H), h_n, c_n (B, H))."""
    return _PeepholeLSTMLayer.apply(x, h0, c0, W_ih, W_hh, W_ch, b_ih, b_hh)
