"""The GRU in PyTorch, with torch.nn.GRU's equations; autograd does the backward.

    (G1) r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)              reset gate
    (G2) z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)              update gate
    (G3) n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))   candidate
    (G4) h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}                       new state

Parameters as in ``torch.nn.GRU``: ``weight_ih_l0`` (3H, D), ``weight_hh_l0`` (3H, H), ``bias_ih_l0``
and ``bias_hh_l0`` (3H,), gates stacked r, z, n.
"""

import torch

from ._base import RecurrentBase


def gru_cell(x_gates, h_gates, h_prev):
    """The pointwise half of a GRU step, equations (G1)-(G4).

    Args:
        x_gates: (B, 3H) W_ih x_t + b_ih; h_gates: (B, 3H) W_hh h_{t-1} + b_hh; stacked r, z, n.
        h_prev: (B, H).

    Returns:
        h: (B, H) the new state.
    """
    H = h_prev.shape[-1]
    rz = torch.sigmoid(x_gates[..., : 2 * H] + h_gates[..., : 2 * H])  # σ of (G1), (G2) in one call
    r = rz[..., :H]  # (G1) reset gate
    z = rz[..., H:]  # (G2) update gate
    n = torch.tanh(x_gates[..., 2 * H :] + r * h_gates[..., 2 * H :])  # (G3) candidate
    return (1 - z) * n + z * h_prev  # (G4) new state


def gru_step(x, h_prev, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One GRU step, equations (G1)-(G4).

    Args:
        x: (B, D); h_prev: (B, H); weight_ih: (3H, D); weight_hh: (3H, H); bias_ih, bias_hh: (3H,) or None.

    Returns:
        h: (B, H).
    """
    x_gates = x @ weight_ih.T
    h_gates = h_prev @ weight_hh.T
    if bias_ih is not None:
        x_gates = x_gates + bias_ih
        h_gates = h_gates + bias_hh
    return gru_cell(x_gates, h_gates, h_prev)


def gru_forward(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One GRU layer over a sequence, (G1)-(G4) at every step; W_ih x_t + b_ih for all t in one matmul.

    Args:
        x: (T, B, D); h0: (B, H); weights as in ``gru_step``.

    Returns:
        output: (T, B, H); h_n: (B, H).
    """
    T, B, D = x.shape
    x_gates = (x.reshape(T * B, D) @ weight_ih.T).view(T, B, -1)  # (T, B, 3H)
    if bias_ih is not None:
        x_gates = x_gates + bias_ih
    h = h0
    outputs = []
    for t in range(T):
        h_gates = h @ weight_hh.T if bias_hh is None else torch.addmm(bias_hh, h, weight_hh.T)  # (B, 3H)
        h = gru_cell(x_gates[t], h_gates, h)
        outputs.append(h)
    return torch.stack(outputs), h


class GRU(RecurrentBase):
    """A multi-layer GRU from equations (G1)-(G4), a drop-in for ``torch.nn.GRU``.

    Same constructor, parameters (names, shapes, gate order r, z, n, init) and contract as
    ``torch.nn.GRU``; ``fused=True`` runs ``torch._VF.gru`` on the same parameters.

    Shapes (forward): x (T, B, D) -> output (T, B, num_directions*H), h_n
    (num_layers*num_directions, B, H); state=h_0 of that shape, zeros when omitted.
    """

    _gate_count = 3
    _state_names = ("h",)

    def _fused_kernel(self):
        return torch._VF.gru

    def _layer_forward(self, x, state, weight_ih, weight_hh, bias_ih, bias_hh):
        output, h_n = gru_forward(x, state[0], weight_ih, weight_hh, bias_ih, bias_hh)
        return output, (h_n,)
