"""The GRU in PyTorch, with torch.nn.GRU's equations; autograd does the backward.

    (G1) r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)              reset gate
    (G2) z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)              update gate
    (G3) n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))   candidate
    (G4) h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}                       new state

``gru_step`` is the one place these are written; ``gru_forward`` loops over it. Parameters as in
``torch.nn.GRU``: ``weight_ih_l0`` (3H, D), ``weight_hh_l0`` (3H, H), ``bias_ih_l0`` and ``bias_hh_l0``
(3H,), gates stacked r, z, n.
"""

from __future__ import annotations

import torch

from . import _fast
from ._base import RecurrentBase

Tensor = torch.Tensor


def gru_step(
    x: Tensor,
    h_prev: Tensor,
    W_ih: Tensor,
    W_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> Tensor:
    """One GRU step, equations (G1)-(G4).

    Args:
        x: (B, D); h_prev: (B, H); W_ih: (3H, D); W_hh: (3H, H); b_ih, b_hh: (3H,) or None.
        Gates stacked r, z, n.

    Returns:
        h: (B, H) the new state h_t.
    """
    x_gates = x @ W_ih.T  # W_ir x_t, W_iz x_t, W_in x_t, (B, 3H)
    h_gates = h_prev @ W_hh.T  # W_hr h_{t-1}, W_hz h_{t-1}, W_hn h_{t-1}, (B, 3H)
    if b_ih is not None:
        x_gates = x_gates + b_ih
        h_gates = h_gates + b_hh
    x_r, x_z, x_n = x_gates.chunk(3, dim=-1)
    h_r, h_z, h_n = h_gates.chunk(3, dim=-1)
    r = torch.sigmoid(x_r + h_r)  # (G1) reset gate   r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    z = torch.sigmoid(x_z + h_z)  # (G2) update gate  z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n = torch.tanh(x_n + r * h_n)  # (G3) candidate   n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))
    return (1 - z) * n + z * h_prev  # (G4) new state h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}


def gru_forward(
    x: Tensor,
    h0: Tensor,
    W_ih: Tensor,
    W_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """One GRU layer over a sequence: ``gru_step``, (G1)-(G4), at every step; autograd differentiates it.

    Args:
        x: (T, B, D); h0: (B, H); weights as in ``gru_step``.

    Returns:
        output: (T, B, H) every h_t; h_n: (B, H) the final state.
    """
    h = h0
    outputs = []
    for x_t in x:  # t = 1, ..., T
        h = gru_step(x_t, h, W_ih, W_hh, b_ih, b_hh)
        outputs.append(h)
    return torch.stack(outputs), h


class GRU(RecurrentBase):
    """A multi-layer GRU from equations (G1)-(G4), a drop-in for ``torch.nn.GRU``.

    Same constructor, parameters (names, shapes, gate order r, z, n, init) and contract as
    ``torch.nn.GRU`` (batched, unbatched and packed input). ``fast=True`` (default) runs
    ``_fast.gru_forward`` (the input projection hoisted out of the loop), ``fast=False`` the readable loop
    ``gru_forward``; ``fused=True`` runs ``torch._VF.gru`` on the same parameters.

    Shapes (forward): x (T, B, D) -> output (T, B, num_directions*H), h_n
    (num_layers*num_directions, B, H); state=h_0 of that shape, zeros when omitted.
    """

    gate_count = 3
    _state_names = ("h",)

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
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            fast=fast,
            fused=fused,
            device=device,
            dtype=dtype,
        )

    def _fused_kernel(self):
        return torch._VF.gru

    def _layer_forward(self, x, state, W_ih, W_hh, b_ih, b_hh):
        forward = _fast.gru_forward if self.fast else gru_forward
        output, h_n = forward(x, state[0], W_ih, W_hh, b_ih, b_hh)
        return output, (h_n,)
