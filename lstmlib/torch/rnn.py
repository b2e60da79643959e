"""The simple (Elman) RNN in PyTorch, from the course's equation.

    (R1)  h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)

``rnn_step`` is the one place (R1) is written; ``rnn_forward`` loops over it and autograd differentiates
the loop. ``lstmlib.torch._fast.rnn_forward`` computes the same with a hand-written backward through time
(what ``RNN`` runs by default). Parameters as in ``torch.nn.RNN``: ``weight_ih_l0`` (H, D),
``weight_hh_l0`` (H, H), ``bias_ih_l0`` and ``bias_hh_l0`` (H,). ``nonlinearity="relu"`` replaces tanh
by ReLU, as in ``torch.nn.RNN``.
"""

from __future__ import annotations

import torch

from . import _fast
from ._base import RecurrentBase

Tensor = torch.Tensor

_NONLINEARITIES = {"tanh": torch.tanh, "relu": torch.relu}


def _check_nonlinearity(nonlinearity: object) -> None:
    if not isinstance(nonlinearity, str) or nonlinearity not in _NONLINEARITIES:
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu'; got {nonlinearity!r}")


def rnn_step(
    x: Tensor,
    h_prev: Tensor,
    W_ih: Tensor,
    W_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    nonlinearity: str = "tanh",
) -> Tensor:
    """One RNN step, equation (R1): h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).

    Args:
        x: (B, D) input x_t; h_prev: (B, H) state h_{t-1}.
        W_ih: (H, D); W_hh: (H, H); b_ih, b_hh: (H,) or None.
        nonlinearity: "tanh" (the course's) or "relu".

    Returns:
        h: (B, H) the new state h_t.
    """
    _check_nonlinearity(nonlinearity)
    pre_activation = x @ W_ih.T + h_prev @ W_hh.T
    if b_ih is not None:
        pre_activation = pre_activation + b_ih + b_hh
    return _NONLINEARITIES[nonlinearity](pre_activation)  # (R1) h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)


def rnn_forward(
    x: Tensor,
    h0: Tensor,
    W_ih: Tensor,
    W_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    nonlinearity: str = "tanh",
) -> tuple[Tensor, Tensor]:
    """One RNN layer over a sequence: ``rnn_step``, equation (R1), at every step; autograd differentiates it.

    Args:
        x: (T, B, D); h0: (B, H); weights as in ``rnn_step``.

    Returns:
        output: (T, B, H) every h_t; h_n: (B, H) the final state.
    """
    h = h0
    outputs = []
    for x_t in x:  # t = 1, ..., T
        h = rnn_step(x_t, h, W_ih, W_hh, b_ih, b_hh, nonlinearity)
        outputs.append(h)
    return torch.stack(outputs), h


class RNN(RecurrentBase):
    """A multi-layer Elman RNN from equation (R1), a drop-in for ``torch.nn.RNN``.

    Same constructor, parameters (names, shapes, init) and contract as ``torch.nn.RNN`` (batched,
    unbatched and packed input). ``fast=True`` (default) runs ``_fast.rnn_forward`` (hand-written
    backward), ``fast=False`` the readable loop ``rnn_forward``; ``fused=True`` runs torch's fused kernel
    (``torch._VF.rnn_tanh``/``rnn_relu``) on the same parameters.

    Args:
        input_size: D; hidden_size: H; num_layers; nonlinearity: "tanh" or "relu"; bias; batch_first;
        dropout; bidirectional: as ``torch.nn.RNN``. fast, fused, device, dtype: keyword only.

    Shapes (forward): x (T, B, D) -> output (T, B, num_directions*H), h_n
    (num_layers*num_directions, B, H); state=h_0 of that shape, zeros when omitted.
    """

    gate_count = 1
    _state_names = ("h",)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
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
        _check_nonlinearity(nonlinearity)
        self.nonlinearity = nonlinearity
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

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text if self.nonlinearity == "tanh" else text + ", nonlinearity='relu'"

    def _fused_kernel(self):
        return torch._VF.rnn_tanh if self.nonlinearity == "tanh" else torch._VF.rnn_relu

    def _layer_forward(self, x, state, W_ih, W_hh, b_ih, b_hh):
        forward = _fast.rnn_forward if self.fast else rnn_forward
        output, h_n = forward(x, state[0], W_ih, W_hh, b_ih, b_hh, self.nonlinearity)
        return output, (h_n,)
