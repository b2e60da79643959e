"""LSTM variants: the gate ablations of Greff et al. (2017), the peephole LSTM, and the gates' biases.

``VariantLSTM`` is one LSTM with switches, one per change that Greff, Srivastava, Koutník, Steunebrink
& Schmidhuber ("LSTM: A Search Space Odyssey", 2017) tested; all on, it is the standard LSTM (1)-(5):

    forget_gate=False        (NFG)   f_t = 1                          replaces (1): the 1997 cell
    input_gate=False         (NIG)   i_t = 1                          replaces (2)
    output_gate=False        (NOG)   o_t = 1                          replaces (4)
    coupled=True             (CIFG)  f_t = 1 - i_t                    replaces (1): what comes in pushes out
    input_activation=False   (NIAF)  C̃_t = W_C·[h_{t-1}, x_t] + b_C   replaces (3): no tanh
    output_activation=False  (NOAF)  h_t = o_t ⊙ C_t                  replaces (5): no tanh
    peepholes=True           (PH)    (1p), (2p), (4p) below

``variant_lstm_step`` writes these once; its weights may carry a leading axis of M independent models
(``W_ih`` (M, 4H, D), ..., ``x`` (M, B, D)), so that several seeds of one variant train in one call.

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

``init_gate_bias`` sets one gate's bias in any LSTM with ``torch.nn``'s layout (``torch.nn.LSTM``,
``lstmlib.torch.LSTM``, ``PeepholeLSTM``, ``VariantLSTM``); ``init_forget_bias`` is its forget-gate case:
b_f = 1 starts f_t near σ(1) ≈ 0.73 rather than σ(0) = 0.5 (Gers et al. 2000; Jozefowicz et al. 2015),
b_f = +5 near 0.993, the constant error carousel of 1997 opened from the first step.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from . import _fast
from ._base import RecurrentBase

Tensor = torch.Tensor

__all__ = [
    "PeepholeLSTM",
    "peephole_lstm_step",
    "peephole_lstm_forward",
    "VariantLSTM",
    "variant_lstm_step",
    "variant_lstm_forward",
    "GATES",
    "init_gate_bias",
    "init_forget_bias",
]


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


_OPTIONS = ("forget_gate", "input_gate", "output_gate", "coupled", "input_activation", "output_activation", "peepholes")


def _check_options(options: dict) -> None:
    for name, value in options.items():
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be a bool (True or False); got {type(value).__name__} {value!r}")
    if options["coupled"] and not (options["forget_gate"] and options["input_gate"]):
        raise ValueError(
            "coupled=True sets f_t = 1 - i_t, so it needs forget_gate=True and input_gate=True; got "
            f"forget_gate={options['forget_gate']}, input_gate={options['input_gate']}"
        )


def _either(switch: bool | Tensor, on, off):
    """``on`` where the switch is on, ``off`` where it is off; a switch is a bool, or (M,) bools, one per model."""
    if isinstance(switch, bool):
        return on if switch else off
    return torch.where(switch.view(-1, 1, 1), on, off)


def variant_lstm_step(
    x: Tensor,
    h_prev: Tensor,
    c_prev: Tensor,
    W_ih: Tensor,
    W_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    W_ch: Tensor | None = None,
    *,
    forget_gate: bool | Tensor = True,
    input_gate: bool | Tensor = True,
    output_gate: bool | Tensor = True,
    coupled: bool | Tensor = False,
    input_activation: bool | Tensor = True,
    output_activation: bool | Tensor = True,
) -> tuple[Tensor, Tensor]:
    """One step of the LSTM with Greff et al.'s switches; all on (and ``W_ch`` None) it is ``lstm_step``.

    Equations, with a = W·[h_{t-1}, x_t] + b split into a_i, a_f, a_g, a_o (torch.nn's order i, f, g, o):

        (1)  f_t = σ(a_f [+ p_f ⊙ C_{t-1}])       forget_gate=False: f_t = 1 (NFG); coupled=True: 1 - i_t (CIFG)
        (2)  i_t = σ(a_i [+ p_i ⊙ C_{t-1}])       input_gate=False: i_t = 1 (NIG)
        (3)  C̃_t = tanh(a_g)                      input_activation=False: C̃_t = a_g (NIAF)
        (3a) C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t
        (4)  o_t = σ(a_o [+ p_o ⊙ C_t])           output_gate=False: o_t = 1 (NOG)
        (5)  h_t = o_t ⊙ tanh(C_t)                output_activation=False: h_t = o_t ⊙ C_t (NOAF)

    The bracketed peephole terms, (1p), (2p), (4p), are there when ``W_ch`` = [p_i, p_f, p_o] is given.
    The rows of a gate that is switched off are not read (their gradient is zero).

    Args:
        x: (B, D) input x_t; h_prev, c_prev: (B, H) states h_{t-1}, C_{t-1}.
        W_ih: (4H, D); W_hh: (4H, H); b_ih, b_hh: (4H,) or None; W_ch: (3H,) or None.
            Every weight may have a leading axis of M models (W_ih (M, 4H, D), b_ih (M, 4H), W_ch (M, 3H));
            x, h_prev, c_prev are then (M, B, ·) (x may stay (B, D), shared): M cells in one call.
            Each switch may then be a (M,) bool tensor, one value per model, so that the M models can be
            different variants (a peephole-free model among them gets zeros in its rows of ``W_ch``).

    Returns:
        h, c: (B, H) (or (M, B, H)) the new states h_t, C_t.
    """
    H = h_prev.shape[-1]
    gates = x @ W_ih.mT + h_prev @ W_hh.mT  # W·[h_{t-1}, x_t], (B, 4H) or (M, B, 4H)
    if b_ih is not None:
        gates = gates + (b_ih + b_hh).unsqueeze(-2)
    a_i, a_f, a_g, a_o = gates.split(H, dim=-1)
    if W_ch is not None:
        p_i, p_f, p_o = (p.unsqueeze(-2) for p in W_ch.split(H, dim=-1))
        a_i, a_f = a_i + p_i * c_prev, a_f + p_f * c_prev  # (2p), (1p): the gates peek at C_{t-1}
    i = _either(input_gate, torch.sigmoid(a_i), 1.0)  # (2) input gate; NIG: i_t = 1
    f = _either(forget_gate, torch.sigmoid(a_f), 1.0)  # (1) forget gate; NFG: f_t = 1
    f = _either(coupled, 1 - i, f)  # CIFG: (1) becomes f_t = 1 - i_t
    g = _either(input_activation, torch.tanh(a_g), a_g)  # (3) candidate; NIAF: no tanh
    c = f * c_prev + i * g  # (3a) cell update
    if W_ch is not None:
        a_o = a_o + p_o * c  # (4p): the output gate peeks at the new cell C_t
    o = _either(output_gate, torch.sigmoid(a_o), 1.0)  # (4) output gate; NOG: o_t = 1
    h = o * _either(output_activation, torch.tanh(c), c)  # (5) hidden state; NOAF: h_t = o_t ⊙ C_t
    return h, c


def variant_lstm_forward(
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    W_ih: Tensor,
    W_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    W_ch: Tensor | None = None,
    **options: bool,
) -> tuple[Tensor, Tensor, Tensor]:
    """``variant_lstm_step`` at every step (autograd differentiates the loop).

    Args:
        x: (T, B, D) (or (T, M, B, D), or (T, B, D) shared by M models); h0, c0: (B, H) (or (M, B, H));
            weights and ``options`` (forget_gate, input_gate, output_gate, coupled, input_activation,
            output_activation) as in ``variant_lstm_step``.

    Returns:
        output: (T, B, H) (or (T, M, B, H)) every h_t; h_n, c_n: the final states.
    """
    unknown = set(options) - set(_OPTIONS[:-1])
    if unknown:
        raise TypeError(f"unknown options {sorted(unknown)}; expected some of {list(_OPTIONS[:-1])}")
    h, c = h0, c0
    outputs = []
    for x_t in x:  # t = 1, ..., T
        h, c = variant_lstm_step(x_t, h, c, W_ih, W_hh, b_ih, b_hh, W_ch, **options)
        outputs.append(h)
    return torch.stack(outputs), h, c


class VariantLSTM(RecurrentBase):
    """The LSTM with the switches of Greff et al. (2017), with ``torch.nn.LSTM``'s interface.

    ``VariantLSTM(D, H)`` with every switch at its default is the standard LSTM, (1)-(5), and computes what
    ``torch.nn.LSTM`` computes on the same ``state_dict``. The switches (keyword only) and what they change:
    ``forget_gate=False`` (NFG, f_t = 1), ``input_gate=False`` (NIG, i_t = 1), ``output_gate=False``
    (NOG, o_t = 1), ``coupled=True`` (CIFG, f_t = 1 - i_t), ``input_activation=False`` (NIAF, no tanh in
    (3)), ``output_activation=False`` (NOAF, no tanh in (5)), ``peepholes=True`` ((1p), (2p), (4p)); see
    ``variant_lstm_step``. Parameters: those of ``torch.nn.LSTM`` (4H rows, gates i, f, g, o, drawn as
    it draws them; a switched-off gate's rows stay and get no gradient), plus ``weight_ch_l{k}`` (3H,)
    with ``peepholes=True``, drawn afterwards from the same U(-1/sqrt(H), 1/sqrt(H)). It runs the readable
    loop ``variant_lstm_forward`` (autograd); there is no fused kernel.

    Shapes (forward): x (T, B, D) -> output (T, B, num_directions*H), (h_n, c_n) each
    (num_layers*num_directions, B, H).
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
        forget_gate: bool = True,
        input_gate: bool = True,
        output_gate: bool = True,
        coupled: bool = False,
        input_activation: bool = True,
        output_activation: bool = True,
        peepholes: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        options = dict(
            forget_gate=forget_gate,
            input_gate=input_gate,
            output_gate=output_gate,
            coupled=coupled,
            input_activation=input_activation,
            output_activation=output_activation,
            peepholes=peepholes,
        )
        _check_options(options)
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            fast=False,
            fused=False,
            device=device,
            dtype=dtype,
        )
        self.options = options
        if peepholes:
            bound = 1.0 / math.sqrt(hidden_size)
            for layer in range(num_layers):
                for direction in range(self.num_directions):
                    name = f"weight_ch_l{layer}" + ("_reverse" if direction == 1 else "")
                    weight = nn.Parameter(torch.empty(3 * hidden_size, device=device, dtype=dtype))
                    nn.init.uniform_(weight, -bound, bound)
                    setattr(self, name, weight)

    @property
    def step_options(self) -> dict:
        """The switches ``variant_lstm_step`` takes (all but ``peepholes``, which is ``W_ch`` given or not)."""
        return {k: v for k, v in self.options.items() if k != "peepholes"}

    def extra_repr(self) -> str:
        text = super().extra_repr().replace(", fast=False", "")
        defaults = dict(zip(_OPTIONS, (True, True, True, False, True, True, False)))
        changed = [f"{k}={v}" for k, v in self.options.items() if v != defaults[k]]
        return ", ".join([text, *changed])

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
        raise ValueError("VariantLSTM has no fused kernel")

    def _layer_weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        return (*super()._layer_weights(layer, direction), getattr(self, "weight_ch" + suffix, None))

    def _layer_forward(self, x, state, W_ih, W_hh, b_ih, b_hh, W_ch):
        h0, c0 = state
        output, h_n, c_n = variant_lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh, W_ch, **self.step_options)
        return output, (h_n, c_n)


GATES = ("input", "forget", "cell", "output")  # torch.nn's order of the four row blocks: i, f, g, o


@torch.no_grad()
def init_gate_bias(module: nn.Module, gate: str, value: float) -> nn.Module:
    """Set one gate's bias in every layer and direction: that block of b_ih = ``value``, of b_hh = 0.

    The gate sees b_ih + b_hh, so its total bias becomes ``value``. ``gate`` is one of ``GATES``
    ("input", "forget", "cell" (the candidate C̃), "output"), rows k*H to (k+1)*H in torch.nn's order
    i, f, g, o. Works on any module with ``torch.nn.LSTM``'s layout: ``torch.nn.LSTM``,
    ``lstmlib.torch.LSTM``, ``PeepholeLSTM``, ``VariantLSTM``. Returns the module.

    Raises:
        ValueError: ``gate`` is not one of ``GATES``; the module has no biases (``bias=False``).
        TypeError: the module is not an LSTM with that layout (e.g. a GRU: 3H rows, no forget gate).
    """
    if gate not in GATES:
        raise ValueError(f"gate must be one of {GATES}; got {gate!r}")
    hidden_size = getattr(module, "hidden_size", None)
    weight = getattr(module, "weight_ih_l0", None)
    if hidden_size is None or weight is None or weight.shape[0] != 4 * hidden_size:
        rows = None if weight is None else tuple(weight.shape)
        raise TypeError(
            f"init_gate_bias needs an LSTM with torch.nn's layout (weight_ih_l0 of 4H = "
            f"{None if hidden_size is None else 4 * hidden_size} rows, gates i, f, g, o); "
            f"got {type(module).__name__} with weight_ih_l0 of shape {rows}"
        )
    if not getattr(module, "bias", True) or getattr(module, "bias_ih_l0", None) is None:
        raise ValueError("init_gate_bias needs a module with biases (bias=True); got bias=False")
    H, k = hidden_size, GATES.index(gate)
    for name, param in module.named_parameters():
        if name.startswith("bias_ih"):
            param[k * H : (k + 1) * H] = value
        elif name.startswith("bias_hh"):
            param[k * H : (k + 1) * H] = 0.0
    return module


def init_forget_bias(module: nn.Module, value: float = 1.0) -> nn.Module:
    """Set every layer's forget-gate bias so that b_f = ``value``: ``init_gate_bias(module, "forget", value)``.

    Works on any module with ``torch.nn.LSTM``'s layout (gates i, f, g, o). Returns the module.

    Raises:
        TypeError: the module is not an LSTM with that layout (e.g. a GRU: 3H rows, no forget gate).
        ValueError: the module has no biases (``bias=False``).
    """
    return init_gate_bias(module, "forget", value)
