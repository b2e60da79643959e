"""A small diagonal state-space layer (S4D / Mamba placement), a linear recurrence solved by the scan.

Each of the D input channels drives its own N-dimensional state, with a diagonal, stable A (A < 0):

    (SSM1) h_t = Ā_t ⊙ h_{t-1} + B̄_t x_t          state (B, D, N); the linear recurrence (LR1)
    (SSM2) y_t = Σ_n C_t[n] h_t[n] + D_skip ⊙ x_t   output (B, D)
    (SSM3) Ā = exp(Δ A),  B̄ = (Ā - 1) / A ⊙ B       zero-order hold, one Δ per channel (S4D, time-invariant)
    (SSM4) Δ_t = softplus(W_Δ x_t + b_Δ),  B_t = W_B x_t,  C_t = W_C x_t,
           Ā_t = exp(Δ_t A),  B̄_t = Δ_t B_t           selective (Mamba): Δ, B, C read the input

Chapter 11 ("Recurrent networks today"). With (SSM3) the layer is time-invariant, so the output is also a
causal convolution of x with the kernel K_k = Σ_n C[n] Ā[n]^k B̄[n] (``kernel``), the view S4 trains with;
with (SSM4) it is not, and only the recurrence remains, computed in parallel by the scan as Mamba does.
``ssm_step`` holds (SSM1)-(SSM2); ``parallel=True`` solves (SSM1) for every t with
``linear_recurrence_chunked`` (x may have any sign, so the log-space scan does not apply).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .scan import linear_recurrence_chunked

Tensor = torch.Tensor

__all__ = ["ssm_step", "DiagonalSSM"]


def ssm_step(
    x: Tensor, h_prev: Tensor, A_bar: Tensor, B_bar: Tensor, C: Tensor, D_skip: Tensor
) -> tuple[Tensor, Tensor]:
    """One step of the diagonal state-space layer, equations (SSM1)-(SSM2).

    Args:
        x: (B, D) input x_t; h_prev: (B, D, N) state h_{t-1};
        A_bar, B_bar: (D, N) time-invariant, or (B, D, N) selective; C: (D, N), or (B, 1, N) selective;
        D_skip: (D,) the skip connection.

    Returns:
        h: (B, D, N) the new state h_t; y: (B, D) the output y_t.
    """
    h = A_bar * h_prev + B_bar * x[..., None]  # (SSM1) h_t = Ā ⊙ h_{t-1} + B̄ x_t
    y = (C * h).sum(-1) + D_skip * x  # (SSM2) y_t = Σ_n C[n] h_t[n] + D_skip ⊙ x_t
    return h, y


class DiagonalSSM(nn.Module):
    """A diagonal state-space layer, (SSM1)-(SSM3), or selective, (SSM4): (T, B, D) -> (T, B, D), (B, D, N).

    Parameters: ``A_log`` (D, N) with A = -exp(A_log), initialised A[n] = -(n + 1) (S4D-Real);
    ``log_dt`` (D,) with Δ = exp(log_dt) drawn log-uniform in [1e-3, 1e-1]; ``D_skip`` (D,);
    time-invariant: ``B``, ``C`` (D, N); selective: ``dt_proj`` (D -> D), ``B_proj``, ``C_proj`` (D -> N)
    (Δ_t = softplus(dt_proj(x_t) + log(exp(Δ) - 1)), so Δ_t starts near Δ).
    """

    def __init__(
        self,
        d_model: int,
        state_size: int = 16,
        *,
        selective: bool = False,
        parallel: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        for name, value in (("d_model", d_model), ("state_size", state_size)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int; got {type(value).__name__}")
            if value < 1:
                raise ValueError(f"{name} must be at least 1; got {value}")
        for name, value in (("selective", selective), ("parallel", parallel)):
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be a bool; got {type(value).__name__}")
        self.d_model, self.state_size = d_model, state_size
        self.selective = selective  # True: Δ, B, C depend on x_t (SSM4); False: fixed (SSM3)
        self.parallel = parallel  # True: the chunked scan over time; False: the loop over ssm_step
        factory = {"device": device, "dtype": dtype}
        D, N = d_model, state_size
        self.A_log = nn.Parameter(torch.log(torch.arange(1, N + 1, **factory)).repeat(D, 1))  # A[n] = -(n + 1)
        log_dt = torch.empty(D, **factory).uniform_(math.log(1e-3), math.log(1e-1))
        self.log_dt = nn.Parameter(log_dt)
        self.D_skip = nn.Parameter(torch.ones(D, **factory))
        if selective:
            self.dt_proj = nn.Linear(D, D, **factory)
            self.B_proj = nn.Linear(D, N, bias=False, **factory)
            self.C_proj = nn.Linear(D, N, bias=False, **factory)
        else:
            self.B = nn.Parameter(torch.ones(D, N, **factory))
            self.C = nn.Parameter(torch.randn(D, N, **factory) / math.sqrt(N))

    def discretize(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Ā, B̄ and C for every step: (SSM3) (D, N) each, or (SSM4) (T, B, D, N), (T, B, D, N), (T, B, 1, N)."""
        A = -torch.exp(self.A_log)  # (D, N), negative: a stable, decaying state
        if not self.selective:
            dt = torch.exp(self.log_dt)[:, None]  # (D, 1)
            A_bar = torch.exp(dt * A)  # (SSM3) Ā = exp(Δ A)
            B_bar = (A_bar - 1) / A * self.B  # (SSM3) B̄ = (Ā - 1) / A ⊙ B
            return A_bar, B_bar, self.C
        dt_bias = torch.log(torch.expm1(torch.exp(self.log_dt)))  # softplus(dt_bias) = Δ
        dt = F.softplus(self.dt_proj(x) + dt_bias)[..., None]  # (SSM4) Δ_t, (T, B, D, 1)
        A_bar = torch.exp(dt * A)  # (SSM4) Ā_t = exp(Δ_t A)
        B_bar = dt * self.B_proj(x)[..., None, :]  # (SSM4) B̄_t = Δ_t B_t, (T, B, D, N)
        C = self.C_proj(x)[..., None, :]  # (SSM4) C_t, (T, B, 1, N)
        return A_bar, B_bar, C

    def kernel(self, length: int) -> Tensor:
        """The time-invariant layer's convolution kernel K_k = Σ_n C[n] Ā[n]^k B̄[n], k < length: (length, D)."""
        if self.selective:
            raise ValueError("a selective layer (selective=True) has no convolution kernel: Ā_t, B̄_t change with t")
        A_bar, B_bar, C = self.discretize(None)
        powers = A_bar[None] ** torch.arange(length, device=A_bar.device, dtype=A_bar.dtype)[:, None, None]
        return (C * powers * B_bar).sum(-1)  # (length, D)

    def forward(self, x: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Run the layer over a sequence.

        Args:
            x: (T, B, D); h0: (B, D, N) initial state, zeros when None.

        Returns:
            y: (T, B, D) every y_t; h_n: (B, D, N) the final state.
        """
        D, N = self.d_model, self.state_size
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor (T, B, {D}); got {type(x).__name__}")
        if not x.is_floating_point():
            raise TypeError(f"x must be a floating-point tensor (T, B, {D}); got dtype {x.dtype}")
        if x.dim() != 3 or x.shape[2] != D:
            raise ValueError(f"x must have shape (T, B, {D}); got {tuple(x.shape)}")
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(f"x is empty: T and B must be at least 1; got shape {tuple(x.shape)}")
        if x.dtype != self.A_log.dtype or x.device != self.A_log.device:
            raise ValueError(
                f"x must have dtype {self.A_log.dtype} on {self.A_log.device}; got {x.dtype} on {x.device}"
            )
        T, B = x.shape[:2]
        if h0 is None:
            h0 = x.new_zeros(B, D, N)
        elif (
            not isinstance(h0, torch.Tensor)
            or tuple(h0.shape) != (B, D, N)
            or h0.dtype != x.dtype
            or h0.device != x.device
        ):
            got = f"{tuple(h0.shape)} {h0.dtype} on {h0.device}" if isinstance(h0, torch.Tensor) else type(h0).__name__
            raise ValueError(
                f"h0 must be a tensor of shape (B, D, N) = {(B, D, N)} and dtype {x.dtype} on {x.device}; got {got}"
            )
        A_bar, B_bar, C = self.discretize(x)
        if not self.parallel:
            h, outputs = h0, []
            for t in range(T):
                step = (A_bar, B_bar, C) if not self.selective else (A_bar[t], B_bar[t], C[t])
                h, y = ssm_step(x[t], h, *step, self.D_skip)
                outputs.append(y)
            return torch.stack(outputs), h
        a = A_bar.expand(T, B, D, N).reshape(T, B, D * N)  # (SSM1) as (LR1), the state flattened
        b = (B_bar * x[..., None]).reshape(T, B, D * N)  # B̄_t x_t
        h = linear_recurrence_chunked(a, b, h0.reshape(B, D * N)).reshape(T, B, D, N)
        y = (C * h).sum(-1) + self.D_skip * x  # (SSM2) for every t
        return y, h[-1]
