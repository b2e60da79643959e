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

from __future__ import annotations

import math

import torch
from torch import nn

from . import _fast
from ._base import RecurrentBase

Tensor = torch.Tensor

__all__ = ["PeepholeLSTM", "peephole_lstm_step", "peephole_lstm_forward", "init_forget_bias"]


def peephole_lstm_step(
    x: Tensor,
    h_prev: Tensor,
    c_prev: Tensor,
    W_ih: Tensor,
    W_hh: Tensor,
    W_ch: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """One peephole LSTM step, equations (1p), (2p), (3), (3a), (4p), (5); autograd differentiates it
    (``peephole_lstm_forward`` loops over it; ``_fast.peephole_lstm_forward`` is tested against it).

    Args:
        x: (B, D) input x_t.
        h_prev, c_prev: (B, H) states h_{t-1}, C_{t-1}.
        W_ih: (4H, D); W_hh: (4H, H); b_ih, b_hh: (4H,) or None; gates i, f, g, o.
        W_ch: (3H,) peephole weights p_i, p_f, p_o.

    Returns:
        h, c: (B, H) the new states h_t, C_t.
    """
    H = h_prev.shape[-1]
    gates = x @ W_ih.T + h_prev @ W_hh.T  # W·[h_{t-1}, x_t], (B, 4H)
    if b_ih is not None:
        gates = gates + b_ih + b_hh
    p_i, p_f, p_o = W_ch[:H], W_ch[H : 2 * H], W_ch[2 * H :]
    i = torch.sigmoid(gates[:, :H] + p_i * c_prev)  # (2p) input gate
    f = torch.sigmoid(gates[:, H : 2 * H] + p_f * c_prev)  # (1p) forget gate
    g = torch.tanh(gates[:, 2 * H : 3 * H])  # (3) candidate cell
    c = f * c_prev + i * g  # (3a) cell update
    o = torch.sigmoid(gates[:, 3 * H :] + p_o * c)  # (4p) output gate, on the new cell
    h = o * torch.tanh(c)  # (5) hidden state
    return h, c


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
    """One peephole LSTM layer over a sequence: ``peephole_lstm_step``, (1p)-(5), at every step; autograd
    differentiates it (``_fast.peephole_lstm_forward`` is the same with a hand-written backward).

    Args:
        x: (T, B, D); h0, c0: (B, H); weights as in ``peephole_lstm_step``.

    Returns:
        output: (T, B, H) every h_t; h_n, c_n: (B, H) the final states.
    """
    h, c = h0, c0
    outputs = []
    for x_t in x:  # t = 1, ..., T
        h, c = peephole_lstm_step(x_t, h, c, W_ih, W_hh, W_ch, b_ih, b_hh)
        outputs.append(h)
    return torch.stack(outputs), h, c


class PeepholeLSTM(RecurrentBase):
    """A multi-layer peephole LSTM (Gers et al. 2002) with ``torch.nn.LSTM``'s interface.

    The constructor and contract of ``torch.nn.LSTM`` without ``proj_size`` (``fused`` is not available:
    torch has no fused peephole kernel). ``fast=True`` (default) runs ``_fast.peephole_lstm_forward``
    (hand-written backward), ``fast=False`` the readable loop ``peephole_lstm_forward``. Parameters: those
    of ``torch.nn.LSTM``, drawn as it draws them (so the same seed gives the same ``weight_ih_l0`` ...), plus
    ``weight_ch_l{k}`` (3H,) (``_reverse`` for the backward direction), peepholes p_i, p_f, p_o, drawn
    afterwards from the same U(-1/sqrt(H), 1/sqrt(H)).

    Shapes (forward): x (T, B, D) -> output (T, B, num_directions*H), (h_n, c_n) each
    (num_layers*num_directions, B, H); state=(h_0, c_0) of that shape, zeros when omitted.
    """

    gate_count = 4
    _state_names = ("h", "c")
    has_cell = True

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
        fast: bool = True,
        fused: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        if fused:
            raise ValueError(
                "PeepholeLSTM has no fused kernel (torch has none for peepholes); expected fused=False, got fused=True"
            )
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            fast=fast,
            fused=False,
            device=device,
            dtype=dtype,
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

    def _layer_forward(self, x, state, W_ih, W_hh, b_ih, b_hh, W_ch):
        forward = _fast.peephole_lstm_forward if self.fast else peephole_lstm_forward
        output, h_n, c_n = forward(x, state[0], state[1], W_ih, W_hh, W_ch, b_ih, b_hh)
        return output, (h_n, c_n)


@torch.no_grad()
def init_forget_bias(module: nn.Module, value: float = 1.0) -> nn.Module:
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
