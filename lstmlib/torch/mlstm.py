"""The mLSTM of xLSTM (Beck et al. 2024): a matrix memory with a covariance update, trainable in parallel.

The cell, with the chapter's equation numbers (the paper's in brackets, Section 2.3), d = H:

    (M1) q_t = W_q x_t + b_q                                   query             [22]
    (M2) k_t = (W_k x_t + b_k) / sqrt(d)                       key               [23]
    (M3) v_t = W_v x_t + b_v                                   value             [24]
    (M4) i_t = exp(ĩ_t),  ĩ_t = w_iᵀ x_t + b_i                 input gate        [25]
    (M5) f_t = σ(f̃_t) or exp(f̃_t),  f̃_t = w_fᵀ x_t + b_f      forget gate       [26]
    (M6) o_t = σ(W_o x_t + b_o)                                output gate       [27]
    (M7) C_t = f_t C_{t-1} + i_t v_t k_tᵀ                      cell state (H, H) [19]
    (M8) n_t = f_t n_{t-1} + i_t k_t                           normaliser (H,)   [20]
    (M9) h_t = o_t ⊙ C_t q_t / max(|n_tᵀ q_t|, 1)              hidden state      [21]

The gates are scalars (one head) and read x_t only, not h_{t-1}: that is what makes a parallel form exist.
(M2) scales the bias with W_k x_t, as the authors' code does; the paper's [23] writes b_k outside the
scale, which only rescales the parameter b_k.
Stabilised as the sLSTM ((S8)-(S10) of ``lstmlib.torch.slstm``): m_t = max(log f_t + m_{t-1}, ĩ_t),
i'_t = exp(ĩ_t - m_t), f'_t = exp(log f_t + m_{t-1} - m_t), C and n stored scaled by exp(-m_t), so that

    (M10) h_t = o_t ⊙ C'_t q_t / max(|n'_tᵀ q_t|, exp(-m_t))   (the same h_t as (M9)).

The parallel form (the paper's appendix) unrolls (M7)-(M8): with F_t = Σ_{r<=t} log f_r,

    (M11) log D_ts = F_t - F_s + ĩ_s for s <= t, -inf for s > t            decay-masked gate matrix (T, T)
    (M12) m_t = max_s log D_ts,  D'_ts = exp(log D_ts - m_t)                row-wise stabiliser
    (M13) S = (Q Kᵀ) ⊙ D',  h_t = o_t ⊙ (S V)_t / max(|Σ_s S_ts|, exp(-m_t))

An initial state (C_0, n_0, m_0) enters as one more column, s = 0, with log D_t0 = F_t + m_0. Then m_t of
(M12) equals the recurrent m_t exactly, and so do h_t and the final state.

``mlstm_step`` (M1)-(M10) and ``mlstm_parallel`` (M11)-(M13) are written once each; ``mlstm_recurrent``
loops over the step. Parameters per layer: ``weight_ih_l{k}`` (4H, D) and ``bias_ih_l{k}`` (4H,) stacked
q, k, v, o; ``weight_gate_l{k}`` (2, D) and ``bias_gate_l{k}`` (2,) stacked i, f.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .checks import check_features, check_state
from .slstm import FORGET_GATES, _log_forget

__all__ = ["mlstm_step", "mlstm_recurrent", "mlstm_parallel", "mlstm_forward", "mlstm_initial_state", "MLSTM"]

Tensor = torch.Tensor


def _project(x: Tensor, W_ih: Tensor, b_ih: Tensor | None, W_gate: Tensor, b_gate: Tensor | None, forget_gate: str):
    """(M1)-(M6) for any leading shape (..., D): q, k, v, o (..., H) and ĩ, log f (...)."""
    H = W_ih.shape[0] // 4
    qkvo = x @ W_ih.T  # (..., 4H)
    gates = x @ W_gate.T  # (..., 2)
    if b_ih is not None:
        qkvo = qkvo + b_ih
    if b_gate is not None:
        gates = gates + b_gate
    q, k, v, o_pre = qkvo.chunk(4, dim=-1)
    k = k / math.sqrt(H)  # (M2) key scaled by 1/sqrt(d)
    o = torch.sigmoid(o_pre)  # (M6) output gate
    i_pre = gates[..., 0]  # (M4) ĩ_t; i_t = exp(ĩ_t) is formed only stabilised
    log_f = _log_forget(gates[..., 1], forget_gate)  # (M5) log f_t
    return q, k, v, o, i_pre, log_f


def mlstm_initial_state(batch_size: int, hidden_size: int, *, device=None, dtype=None) -> tuple[Tensor, Tensor, Tensor]:
    """The empty memory: C_0 = 0 (B, H, H), n_0 = 0 (B, H), m_0 = -inf (B,)."""
    C = torch.zeros(batch_size, hidden_size, hidden_size, device=device, dtype=dtype)
    n = torch.zeros(batch_size, hidden_size, device=device, dtype=dtype)
    m = torch.full((batch_size,), -math.inf, device=device, dtype=dtype)
    return C, n, m


def mlstm_step(
    x: Tensor,
    state: tuple[Tensor, Tensor, Tensor],
    W_ih: Tensor,
    b_ih: Tensor | None,
    W_gate: Tensor,
    b_gate: Tensor | None,
    forget_gate: str = "sigmoid",
) -> tuple[Tensor, tuple[Tensor, Tensor, Tensor]]:
    """One stabilised mLSTM step, equations (M1)-(M10).

    Args:
        x: (B, D) the input x_t.
        state: (C, n, m): C_{t-1} exp(-m_{t-1}) (B, H, H), n_{t-1} exp(-m_{t-1}) (B, H), m_{t-1} (B,).
        W_ih: (4H, D), b_ih: (4H,) or None, stacked q, k, v, o; W_gate: (2, D), b_gate: (2,) or None, i, f.
        forget_gate: "sigmoid" or "exp", (M5).

    Returns:
        h: (B, H) the hidden state h_t; state: (C, n, m) at time t, scaled as above.
    """
    C_prev, n_prev, m_prev = state
    q, k, v, o, i_pre, log_f = _project(x, W_ih, b_ih, W_gate, b_gate, forget_gate)  # (M1)-(M6)
    m = torch.maximum(log_f + m_prev, i_pre)  # stabiliser m_t = max(log f_t + m_{t-1}, ĩ_t), as (S8)
    i = torch.exp(i_pre - m)[:, None]  # i'_t, as (S9), (B, 1)
    f = torch.exp(log_f + m_prev - m)[:, None]  # f'_t, as (S10), (B, 1)
    C = f[:, :, None] * C_prev + i[:, :, None] * (v[:, :, None] * k[:, None, :])  # (M7) C_t, v_t k_tᵀ (B, H, H)
    n = f * n_prev + i * k  # (M8) normaliser n_t
    numerator = (C @ q[:, :, None])[:, :, 0]  # C_t q_t (B, H)
    denominator = torch.maximum((n * q).sum(-1).abs(), torch.exp(-m))  # max(|n_tᵀ q_t|, exp(-m_t)) (B,)
    h = o * numerator / denominator[:, None]  # (M10) = (M9) hidden state
    return h, (C, n, m)


def mlstm_recurrent(
    x: Tensor,
    state: tuple[Tensor, Tensor, Tensor] | None,
    W_ih: Tensor,
    b_ih: Tensor | None,
    W_gate: Tensor,
    b_gate: Tensor | None,
    forget_gate: str = "sigmoid",
) -> tuple[Tensor, tuple[Tensor, Tensor, Tensor]]:
    """One mLSTM layer over a sequence, step by step: ``mlstm_step`` at every t.

    Args:
        x: (T, B, D); state: (C, n, m) as in ``mlstm_step``, or None for the empty memory; weights as there.

    Returns:
        output: (T, B, H) every h_t; state: (C, n, m) after the last step.
    """
    if state is None:
        state = mlstm_initial_state(x.shape[1], W_ih.shape[0] // 4, device=x.device, dtype=x.dtype)
    outputs = []
    for x_t in x:  # t = 1, ..., T
        h, state = mlstm_step(x_t, state, W_ih, b_ih, W_gate, b_gate, forget_gate)
        outputs.append(h)
    return torch.stack(outputs), state


def mlstm_parallel(
    x: Tensor,
    state: tuple[Tensor, Tensor, Tensor] | None,
    W_ih: Tensor,
    b_ih: Tensor | None,
    W_gate: Tensor,
    b_gate: Tensor | None,
    forget_gate: str = "sigmoid",
) -> tuple[Tensor, tuple[Tensor, Tensor, Tensor]]:
    """One mLSTM layer over a sequence, all steps at once: equations (M11)-(M13), T x T matrices.

    Same arguments and returns as ``mlstm_recurrent``, and the same values.
    """
    T, B, _ = x.shape
    H = W_ih.shape[0] // 4
    if state is None:
        state = mlstm_initial_state(B, H, device=x.device, dtype=x.dtype)
    C0, n0, m0 = state
    q, k, v, o, i_pre, log_f = _project(x, W_ih, b_ih, W_gate, b_gate, forget_gate)  # (M1)-(M6), all t at once
    q, k, v, o = (a.transpose(0, 1) for a in (q, k, v, o))  # (B, T, H)
    i_pre, log_f = i_pre.T, log_f.T  # (B, T)
    F_cum = log_f.cumsum(dim=1)  # F_t = Σ_{r<=t} log f_r (B, T)
    causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()  # s <= t
    log_D = torch.where(causal, F_cum[:, :, None] - F_cum[:, None, :] + i_pre[:, None, :], -math.inf)  # (M11)
    log_D0 = F_cum + m0[:, None]  # the initial state's column, s = 0 (B, T)
    m = torch.maximum(log_D.amax(dim=2), log_D0)  # (M12) row-wise stabiliser m_t (B, T)
    D = torch.exp(log_D - m[:, :, None])  # (M12) D'_ts <= 1, 0 above the diagonal (B, T, T)
    decay0 = torch.exp(log_D0 - m)  # weight of the initial state in row t (B, T)
    S = (q @ k.transpose(1, 2)) * D  # (M13) S = (Q Kᵀ) ⊙ D' (B, T, T)
    numerator = S @ v + decay0[:, :, None] * (q @ C0.transpose(1, 2))  # C_t q_t, (B, T, H)
    n_dot_q = S.sum(dim=2) + decay0 * (q @ n0[:, :, None])[:, :, 0]  # n_tᵀ q_t (B, T)
    denominator = torch.maximum(n_dot_q.abs(), torch.exp(-m))  # (M13) max(|n_tᵀ q_t|, exp(-m_t))
    h = o * numerator / denominator[:, :, None]  # (M13) h_t (B, T, H)
    # the final state, row T of the same matrices: C_T = Σ_s D'_Ts v_s k_sᵀ + decay C_0
    w_last = D[:, -1, :]  # (B, T)
    C_T = (v * w_last[:, :, None]).transpose(1, 2) @ k + decay0[:, -1, None, None] * C0  # (B, H, H)
    n_T = (k * w_last[:, :, None]).sum(dim=1) + decay0[:, -1, None] * n0  # (B, H)
    return h.transpose(0, 1), (C_T, n_T, m[:, -1])


def mlstm_forward(
    x: Tensor,
    state: tuple[Tensor, Tensor, Tensor] | None,
    W_ih: Tensor,
    b_ih: Tensor | None,
    W_gate: Tensor,
    b_gate: Tensor | None,
    forget_gate: str = "sigmoid",
    parallel: bool = True,
) -> tuple[Tensor, tuple[Tensor, Tensor, Tensor]]:
    """One mLSTM layer: ``mlstm_parallel`` (parallel=True) or ``mlstm_recurrent``; same values."""
    run = mlstm_parallel if parallel else mlstm_recurrent
    return run(x, state, W_ih, b_ih, W_gate, b_gate, forget_gate)


class MLSTM(nn.Module):
    """A stack of mLSTM layers, equations (M1)-(M13), one head per layer.

    Shapes (forward): x (T, B, D) -> output (T, B, H) (the last layer's h_t), state (C, n, m) with C
    (num_layers, B, H, H), n (num_layers, B, H), m (num_layers, B); state=None starts from the empty memory.
    ``parallel=True`` runs (M11)-(M13) (memory O(T²) per sequence), ``parallel=False`` the step-by-step loop.

    Init: weights uniform in ±1/sqrt(D_l) (as ``torch.nn.Linear``), biases 0 except the forget gate's,
    set so that f_t starts near σ(3) ≈ 0.95 (the authors' code starts its forget gates in σ(3..6)).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        *,
        parallel: bool = True,
        forget_gate: str = "sigmoid",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int; got {type(value).__name__}")
            if value < 1:
                raise ValueError(f"{name} must be at least 1; got {value}")
        if forget_gate not in FORGET_GATES:
            raise ValueError(f"forget_gate must be one of {FORGET_GATES}; got {forget_gate!r}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.parallel, self.forget_gate = bool(parallel), forget_gate
        factory = {"device": device, "dtype": dtype}
        H = hidden_size
        for layer in range(num_layers):
            D = input_size if layer == 0 else H
            self.register_parameter(f"weight_ih_l{layer}", nn.Parameter(torch.empty(4 * H, D, **factory)))
            self.register_parameter(f"bias_ih_l{layer}", nn.Parameter(torch.empty(4 * H, **factory)))
            self.register_parameter(f"weight_gate_l{layer}", nn.Parameter(torch.empty(2, D, **factory)))
            self.register_parameter(f"bias_gate_l{layer}", nn.Parameter(torch.empty(2, **factory)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            for layer in range(self.num_layers):
                W_ih, b_ih, W_gate, b_gate = self.layer_weights(layer)
                bound = 1.0 / math.sqrt(W_ih.shape[1])
                W_ih.uniform_(-bound, bound)
                W_gate.uniform_(-bound, bound)
                b_ih.zero_()
                b_gate.zero_()
                f_bias = torch.tensor(3.0, dtype=torch.float64)
                if self.forget_gate == "exp":
                    f_bias = torch.nn.functional.logsigmoid(f_bias)
                b_gate[1] = f_bias.to(b_gate)

    def layer_weights(self, layer: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """(W_ih, b_ih, W_gate, b_gate) of one layer."""
        return tuple(getattr(self, f"{name}_l{layer}") for name in ("weight_ih", "bias_ih", "weight_gate", "bias_gate"))

    def _check(self, x: object, state: object) -> None:
        check_features(self, "x", x, self.input_size)
        dtype = self.weight_ih_l0.dtype
        if x.dtype != dtype:
            raise ValueError(f"x has dtype {x.dtype} but the model's parameters are {dtype}; convert one of them")
        if state is None:
            return
        L, B, H = self.num_layers, x.shape[1], self.hidden_size
        check_state(state, {"C": (L, B, H, H), "n": (L, B, H), "m": (L, B)}, dtype, x.device)

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor, Tensor] | None = None):
        """Run the stack over x (T, B, D); returns (output (T, B, H), (C, n, m))."""
        self._check(x, state)
        finals = []
        layer_input = x
        for layer in range(self.num_layers):
            layer_state = None if state is None else tuple(s[layer] for s in state)
            layer_input, final = mlstm_forward(
                layer_input,
                layer_state,
                *self.layer_weights(layer),
                forget_gate=self.forget_gate,
                parallel=self.parallel,
            )
            finals.append(final)
        return layer_input, tuple(torch.stack(parts) for parts in zip(*finals))

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, parallel={self.parallel}, "
            f"forget_gate={self.forget_gate!r}"
        )
