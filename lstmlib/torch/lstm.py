"""The LSTM in PyTorch, from the course's equations.

Equations (the book's numbering), with [h_{t-1}, x_t] split as W·[h, x] = W_ih x_t + W_hh h_{t-1}:

    (1)  f_t = σ(W_f·[h_{t-1}, x_t] + b_f)            forget gate
    (2)  i_t = σ(W_i·[h_{t-1}, x_t] + b_i)            input gate
    (3)  C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)         candidate cell (torch.nn calls it g)
    (4)  o_t = σ(W_o·[h_{t-1}, x_t] + b_o)            output gate
    (3a) C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t              cell update
    (5)  h_t = o_t ⊙ tanh(C_t)                        hidden state

``lstm_step`` is the one place these are written; ``lstm_forward`` loops over it and autograd
differentiates the loop. ``lstmlib.torch._fast.lstm_forward`` computes the same with a hand-written
backward through time (what ``LSTM`` runs by default). Parameters as in ``torch.nn.LSTM``:
``weight_ih_l0`` (4H, D), ``weight_hh_l0`` (4H, H), ``bias_ih_l0`` and ``bias_hh_l0`` (4H,), the four
gates stacked in the order i, f, g, o; with ``proj_size`` P > 0 also ``weight_hr_l0`` (P, H), and
h_t = W_hr (o_t ⊙ tanh(C_t)) has P entries (``weight_hh_l0`` is then (4H, P)).
"""

from __future__ import annotations

import torch

from . import _fast
from ._base import RecurrentBase

Tensor = torch.Tensor


def lstm_step(
    x: Tensor,
    h_prev: Tensor,
    c_prev: Tensor,
    W_ih: Tensor,
    W_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    W_hr: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """One LSTM step, equations (1)-(5) with (3a); autograd differentiates it.

    Args:
        x: (B, D) input x_t.
        h_prev: (B, H) state h_{t-1} ((B, P) with a projection); c_prev: (B, H) cell C_{t-1}.
        W_ih: (4H, D); W_hh: (4H, H) ((4H, P)); b_ih, b_hh: (4H,) or None. Gates i, f, g, o.
        W_hr: (P, H) projection (``torch.nn.LSTM``'s ``proj_size``), or None.

    Returns:
        h: (B, H) (or (B, P)) the new state h_t; c: (B, H) the new cell C_t.
    """
    gates = x @ W_ih.T + h_prev @ W_hh.T  # W·[h_{t-1}, x_t] for all four gates, (B, 4H)
    if b_ih is not None:
        gates = gates + b_ih + b_hh
    a_i, a_f, a_g, a_o = gates.chunk(4, dim=-1)  # the gates' pre-activations, stacked i, f, g, o
    f = torch.sigmoid(a_f)  # (1) forget gate      f_t = σ(W_f·[h_{t-1}, x_t] + b_f)
    i = torch.sigmoid(a_i)  # (2) input gate       i_t = σ(W_i·[h_{t-1}, x_t] + b_i)
    candidate = torch.tanh(a_g)  # (3) candidate   C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)
    o = torch.sigmoid(a_o)  # (4) output gate      o_t = σ(W_o·[h_{t-1}, x_t] + b_o)
    c = f * c_prev + i * candidate  # (3a) cell    C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t
    h = o * torch.tanh(c)  # (5) hidden state      h_t = o_t ⊙ tanh(C_t)
    if W_hr is not None:
        h = h @ W_hr.T  # projection (torch.nn's proj_size): h_t = W_hr (o_t ⊙ tanh(C_t))
    return h, c


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
    """One LSTM layer over a sequence: ``lstm_step``, (1)-(5), at every step; autograd differentiates it.

    Args:
        x: (T, B, D); h0, c0: (B, H) (h0 (B, P) with a projection); weights as in ``lstm_step``.

    Returns:
        output: (T, B, H) every h_t; h_n, c_n: (B, H) the final states.
    """
    h, c = h0, c0
    outputs = []
    for x_t in x:  # t = 1, ..., T
        h, c = lstm_step(x_t, h, c, W_ih, W_hh, b_ih, b_hh, W_hr)
        outputs.append(h)
    return torch.stack(outputs), h, c


class LSTM(RecurrentBase):
    """A multi-layer LSTM from equations (1)-(5), a drop-in for ``torch.nn.LSTM``.

    Same constructor, parameters (names, shapes, gate order i, f, g, o, init, ``proj_size``) and contract
    as ``torch.nn.LSTM`` (batched, unbatched and packed input). ``fast=True`` (default) runs
    ``_fast.lstm_forward``, the course's equations with a hand-written backward through time;
    ``fast=False`` the readable loop ``lstm_forward``; ``fused=True`` torch's fused kernel
    (``torch._VF.lstm``, cuDNN on a GPU) on the same parameters, for long training (``fused`` wins over
    ``fast``).

    Args:
        input_size: D; hidden_size: H; num_layers: stacked layers; bias: use b_ih, b_hh;
        batch_first: x is (B, T, D); dropout: on every layer's output but the last (training only);
        bidirectional: a second, reversed pass per layer; proj_size: P > 0 projects h_t to P entries.
        fast, fused, device, dtype: keyword only.

    Shapes (forward): x (T, B, D) -> output (T, B, num_directions*H'), (h_n, c_n): h_n
    (num_layers*num_directions, B, H'), c_n (num_layers*num_directions, B, H), H' = P if P > 0 else H;
    state=(h_0, c_0) of those shapes, zeros when omitted.
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
        proj_size: int = 0,
        *,
        fast: bool = True,
        fused: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            fast=fast,
            fused=fused,
            device=device,
            dtype=dtype,
        )

    def _state_sizes(self) -> tuple[int, int]:
        return (self.proj_size or self.hidden_size, self.hidden_size)

    def _fused_kernel(self):
        return torch._VF.lstm

    def _layer_weights(self, layer, direction):
        weights = super()._layer_weights(layer, direction)
        if not self.proj_size:
            return weights
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        return (*weights, getattr(self, "weight_hr" + suffix))

    def _layer_forward(self, x, state, W_ih, W_hh, b_ih, b_hh, W_hr=None):
        forward = _fast.lstm_forward if self.fast else lstm_forward
        output, h_n, c_n = forward(x, state[0], state[1], W_ih, W_hh, b_ih, b_hh, W_hr)
        return output, (h_n, c_n)
