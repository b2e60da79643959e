"""The sLSTM of xLSTM (Beck et al. 2024): exponential gating, a normaliser, and a stabiliser state.

The cell, with the chapter's equation numbers (the paper's in brackets, Section 2.2):

    (S1) z_t = tanh(z̃_t),   z̃_t = W_z x_t + R_z h_{t-1} + b_z             cell input        [11]
    (S2) i_t = exp(ĩ_t),    ĩ_t = W_i x_t + R_i h_{t-1} + b_i             input gate        [12]
    (S3) f_t = σ(f̃_t) or exp(f̃_t),  f̃_t = W_f x_t + R_f h_{t-1} + b_f    forget gate       [13]
    (S4) o_t = σ(õ_t),      õ_t = W_o x_t + R_o h_{t-1} + b_o             output gate       [14]
    (S5) c_t = f_t c_{t-1} + i_t z_t                                       cell state        [8]
    (S6) n_t = f_t n_{t-1} + i_t                                           normaliser state  [9]
    (S7) h_t = o_t ⊙ c_t / n_t                                             hidden state      [10]

exp overflows (float32 at an argument of 89, float64 at 710), so the cell carries a stabiliser m_t and
stores c and n scaled by exp(-m_t):

    (S8)  m_t  = max(log f_t + m_{t-1}, ĩ_t)                               stabiliser state  [15]
    (S9)  i'_t = exp(ĩ_t - m_t)                                            stabilised input gate [16]
    (S10) f'_t = exp(log f_t + m_{t-1} - m_t)                              stabilised forget gate [17]

and runs (S5)-(S7) with i'_t, f'_t in place of i_t, f_t. Both exponents are at most 0, and the ratio
c_t / n_t, hence h_t, is unchanged (c and n carry the same factor exp(-m_t)). With the empty initial
memory (c_0 = n_0 = 0, m_0 = -inf) the stabilised normaliser stays at least 1.

``slstm_step`` (stabilised) and ``slstm_step_unstabilized`` (S1)-(S7) are the one place these are written;
``slstm_forward`` loops over either. Parameters per layer: ``weight_ih_l{k}`` (4H, D), ``weight_hh_l{k}``
(4H, H / heads), ``bias_l{k}`` (4H,); gates stacked i, f, z, o as in the paper. The recurrent R is
block-diagonal with one (H / heads)-square block per head and gate, as in the paper: cells mix their
memories within a head, not across heads. With one head (the default) R is a full (4H, H) matrix.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .checks import check_features, check_state

__all__ = ["slstm_step", "slstm_step_unstabilized", "slstm_forward", "slstm_initial_state", "SLSTM"]

Tensor = torch.Tensor
FORGET_GATES = ("sigmoid", "exp")


def _log_forget(f_pre: Tensor, forget_gate: str) -> Tensor:
    """log f_t from the pre-activation f̃_t: log σ(f̃_t) or f̃_t, (S3)."""
    if forget_gate == "sigmoid":
        return F.logsigmoid(f_pre)  # (S3) log σ(f̃_t), computed without forming σ(f̃_t)
    if forget_gate == "exp":
        return f_pre  # (S3) log exp(f̃_t)
    raise ValueError(f"forget_gate must be one of {FORGET_GATES}; got {forget_gate!r}")


def _preactivations(x: Tensor, h_prev: Tensor, W_ih: Tensor, W_hh: Tensor, b: Tensor | None):
    """z̃_t, ĩ_t, f̃_t, õ_t, each (B, H): W x_t + R h_{t-1} + b, gates stacked i, f, z, o.

    W_hh (4H, H / heads) holds R's diagonal blocks: rows g H + k S + j, columns l, for gate g, head k,
    of size S = H / heads: R_g[kS + j, kS + l]. One head: W_hh is R itself.
    """
    H, head_size = W_hh.shape[0] // 4, W_hh.shape[1]
    if head_size == H:
        recurrent = h_prev @ W_hh.T  # R h_{t-1}, (B, 4H)
    else:  # block-diagonal R: each head's cells read only that head's h_{t-1}
        heads = H // head_size
        R = W_hh.view(4, heads, head_size, head_size)  # (gate, head, out, in)
        recurrent = torch.einsum("gkjl,bkl->bgkj", R, h_prev.view(-1, heads, head_size)).reshape(-1, 4 * H)
    pre = x @ W_ih.T + recurrent  # (B, 4H)
    if b is not None:
        pre = pre + b
    i_pre, f_pre, z_pre, o_pre = pre.chunk(4, dim=-1)
    return i_pre, f_pre, z_pre, o_pre


def slstm_step(
    x: Tensor,
    state: tuple[Tensor, Tensor, Tensor, Tensor],
    W_ih: Tensor,
    W_hh: Tensor,
    b: Tensor | None = None,
    forget_gate: str = "sigmoid",
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """One stabilised sLSTM step, equations (S1)-(S10).

    Args:
        x: (B, D) the input x_t.
        state: (h, c, n, m), each (B, H): h_{t-1}, the scaled c_{t-1} and n_{t-1}, the stabiliser m_{t-1}.
        W_ih: (4H, D); W_hh: (4H, H / heads), R's diagonal blocks; b: (4H,) or None. Gates stacked i, f, z, o.
        forget_gate: "sigmoid" or "exp", (S3).

    Returns:
        (h, c, n, m), each (B, H): h_t, c_t exp(-m_t), n_t exp(-m_t), m_t.
    """
    h_prev, c_prev, n_prev, m_prev = state
    i_pre, f_pre, z_pre, o_pre = _preactivations(x, h_prev, W_ih, W_hh, b)
    log_f = _log_forget(f_pre, forget_gate)  # (S3) log f_t
    z = torch.tanh(z_pre)  # (S1) cell input
    o = torch.sigmoid(o_pre)  # (S4) output gate
    m = torch.maximum(log_f + m_prev, i_pre)  # (S8) stabiliser m_t = max(log f_t + m_{t-1}, ĩ_t)
    i = torch.exp(i_pre - m)  # (S9) i'_t = exp(ĩ_t - m_t) <= 1
    f = torch.exp(log_f + m_prev - m)  # (S10) f'_t = exp(log f_t + m_{t-1} - m_t) <= 1
    c = f * c_prev + i * z  # (S5) cell state, scaled by exp(-m_t)
    n = f * n_prev + i  # (S6) normaliser state, scaled by exp(-m_t)
    h = o * (c / n)  # (S7) hidden state: the scale cancels in c_t / n_t
    return h, c, n, m


def slstm_step_unstabilized(
    x: Tensor,
    state: tuple[Tensor, Tensor, Tensor],
    W_ih: Tensor,
    W_hh: Tensor,
    b: Tensor | None = None,
    forget_gate: str = "sigmoid",
) -> tuple[Tensor, Tensor, Tensor]:
    """One sLSTM step as the equations read, (S1)-(S7), without the stabiliser: exp may overflow.

    Args:
        x: (B, D); state: (h, c, n), each (B, H); weights as in ``slstm_step``.

    Returns:
        (h, c, n), each (B, H): h_t, c_t, n_t.
    """
    h_prev, c_prev, n_prev = state
    i_pre, f_pre, z_pre, o_pre = _preactivations(x, h_prev, W_ih, W_hh, b)
    z = torch.tanh(z_pre)  # (S1) cell input
    i = torch.exp(i_pre)  # (S2) exponential input gate
    f = torch.exp(_log_forget(f_pre, forget_gate))  # (S3) forget gate, σ(f̃_t) or exp(f̃_t)
    o = torch.sigmoid(o_pre)  # (S4) output gate
    c = f * c_prev + i * z  # (S5) cell state
    n = f * n_prev + i  # (S6) normaliser state
    h = o * (c / n)  # (S7) hidden state
    return h, c, n


def slstm_initial_state(
    batch_size: int, hidden_size: int, *, stabilized: bool = True, device=None, dtype=None
) -> tuple[Tensor, ...]:
    """The empty memory: h_0 = c_0 = n_0 = 0 and, stabilised, m_0 = -inf (so m_1 = ĩ_1 and n'_1 = 1).

    Returns:
        (h, c, n, m) (stabilised) or (h, c, n), each (B, H).
    """
    zeros = torch.zeros(batch_size, hidden_size, device=device, dtype=dtype)
    if not stabilized:
        return zeros, zeros.clone(), zeros.clone()
    return zeros, zeros.clone(), zeros.clone(), torch.full_like(zeros, -math.inf)


def slstm_forward(
    x: Tensor,
    state: tuple[Tensor, ...] | None,
    W_ih: Tensor,
    W_hh: Tensor,
    b: Tensor | None = None,
    forget_gate: str = "sigmoid",
    stabilized: bool = True,
) -> tuple[Tensor, tuple[Tensor, ...]]:
    """One sLSTM layer over a sequence: ``slstm_step`` (or the unstabilised step) at every t.

    The recurrence reads h_{t-1} in every gate, so the steps run one after another (no parallel form).

    Args:
        x: (T, B, D); state: (h, c, n, m) (stabilised) or (h, c, n), each (B, H), or None for the empty
        memory; weights as in ``slstm_step``; stabilized: run (S8)-(S10) or the plain (S1)-(S7).

    Returns:
        output: (T, B, H) every h_t; state: the final state, as passed in.
    """
    if state is None:
        H = W_hh.shape[0] // 4
        state = slstm_initial_state(x.shape[1], H, stabilized=stabilized, device=x.device, dtype=x.dtype)
    step = slstm_step if stabilized else slstm_step_unstabilized
    outputs = []
    for x_t in x:  # t = 1, ..., T
        state = step(x_t, state, W_ih, W_hh, b, forget_gate)
        outputs.append(state[0])
    return torch.stack(outputs), state


class SLSTM(nn.Module):
    """A stack of sLSTM layers, equations (S1)-(S10); ``num_heads`` blocks in each recurrent matrix.

    Shapes (forward): x (T, B, D) -> output (T, B, H) (the last layer's h_t), state (h, c, n, m), each
    (num_layers, B, H); state=None starts from the empty memory (m_0 = -inf).

    Init: weights uniform in ±1/sqrt(fan-in) (H for W_ih, H / heads for W_hh; with one head as
    ``torch.nn.LSTM``), biases 0 except the forget gate's, set so
    that f_t starts between σ(3) ≈ 0.95 and σ(6) ≈ 0.998 across the cells (a long memory at the start, as
    the authors' code does), in both the sigmoid and the exponential form.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        *,
        num_heads: int = 1,
        forget_gate: str = "sigmoid",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        sizes = (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers))
        for name, value in (*sizes, ("num_heads", num_heads)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int; got {type(value).__name__}")
            if value < 1:
                raise ValueError(f"{name} must be at least 1; got {value}")
        if hidden_size % num_heads:
            raise ValueError(f"hidden_size must be a multiple of num_heads; got {hidden_size} and {num_heads}")
        if forget_gate not in FORGET_GATES:
            raise ValueError(f"forget_gate must be one of {FORGET_GATES}; got {forget_gate!r}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.num_heads, self.forget_gate = num_heads, forget_gate
        head_size = hidden_size // num_heads
        factory = {"device": device, "dtype": dtype}
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size
            self.register_parameter(
                f"weight_ih_l{layer}", nn.Parameter(torch.empty(4 * hidden_size, layer_input, **factory))
            )
            self.register_parameter(
                f"weight_hh_l{layer}", nn.Parameter(torch.empty(4 * hidden_size, head_size, **factory))
            )
            self.register_parameter(f"bias_l{layer}", nn.Parameter(torch.empty(4 * hidden_size, **factory)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        H = self.hidden_size
        bound_ih, bound_hh = 1.0 / math.sqrt(H), 1.0 / math.sqrt(H // self.num_heads)
        with torch.no_grad():
            for layer in range(self.num_layers):
                getattr(self, f"weight_ih_l{layer}").uniform_(-bound_ih, bound_ih)
                getattr(self, f"weight_hh_l{layer}").uniform_(-bound_hh, bound_hh)
                bias = getattr(self, f"bias_l{layer}")
                bias.zero_()
                f_bias = torch.linspace(3.0, 6.0, H, dtype=torch.float64)
                if self.forget_gate == "exp":
                    f_bias = F.logsigmoid(f_bias)  # exp(f̃) = σ(3..6) at the start, as with the sigmoid gate
                bias[H : 2 * H] = f_bias.to(bias)

    def layer_weights(self, layer: int) -> tuple[Tensor, Tensor, Tensor]:
        """(W_ih, W_hh, b) of one layer."""
        return (
            getattr(self, f"weight_ih_l{layer}"),
            getattr(self, f"weight_hh_l{layer}"),
            getattr(self, f"bias_l{layer}"),
        )

    def _check(self, x: object, state: object) -> None:
        check_features(self, "x", x, self.input_size)
        dtype = self.weight_ih_l0.dtype
        if x.dtype != dtype:
            raise ValueError(f"x has dtype {x.dtype} but the model's parameters are {dtype}; convert one of them")
        if state is None:
            return
        expected = (self.num_layers, x.shape[1], self.hidden_size)
        check_state(state, dict.fromkeys("hcnm", expected), dtype, x.device)

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor, Tensor, Tensor] | None = None):
        """Run the stack over x (T, B, D); returns (output (T, B, H), (h, c, n, m) each (L, B, H))."""
        self._check(x, state)
        finals = []
        layer_input = x
        for layer in range(self.num_layers):
            layer_state = None if state is None else tuple(s[layer] for s in state)
            layer_input, final = slstm_forward(
                layer_input, layer_state, *self.layer_weights(layer), forget_gate=self.forget_gate
            )
            finals.append(final)
        return layer_input, tuple(torch.stack(parts) for parts in zip(*finals))

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, num_heads={self.num_heads}, "
            f"forget_gate={self.forget_gate!r}"
        )
