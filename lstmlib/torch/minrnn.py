"""minGRU and minLSTM (Feng et al. 2024): gates that read only x_t, so the state is a linear recurrence.

    (MG1) z_t = σ(W_z x_t + b_z)                                   update gate
    (MG2) h̃_t = g(W_h x_t + b_h),  g(v) = v + 1/2 if v >= 0 else σ(v)   candidate, positive
    (MG3) h_t = (1 - z_t) ⊙ h_{t-1} + z_t ⊙ h̃_t                     new state

    (ML1) f_t = σ(W_f x_t + b_f)                                   forget gate
    (ML2) i_t = σ(W_i x_t + b_i)                                   input gate
    (ML3) f'_t = f_t / (f_t + i_t),  i'_t = i_t / (f_t + i_t)      normalised, they sum to 1
    (ML4) h̃_t = g(W_h x_t + b_h)                                   candidate, positive
    (ML5) h_t = f'_t ⊙ h_{t-1} + i'_t ⊙ h̃_t                         new state

Chapter 11 ("Recurrent networks today"). Both are the linear recurrence (LR1) of ``lstmlib.torch.scan``,
h_t = a_t ⊙ h_{t-1} + b_t, with a_t = 1 - z_t, b_t = z_t ⊙ h̃_t (minGRU) or a_t = f'_t, b_t = i'_t ⊙ h̃_t
(minLSTM). The step functions hold the equations; ``*_forward`` loops over them (the reference); the
``*_parallel`` functions compute every gate at once and solve the recurrence with the log-space scan
(LR3), taking logarithms from the pre-activations (log σ(k) = -softplus(-k)) as the paper does.
g is the paper's choice for the log-space version: it keeps h̃_t > 0, so log b_t exists.

Parameters: ``weight_ih_l{k}`` (2H, D_k) and ``bias_ih_l{k}`` (2H,) stacked z, h̃ for minGRU; (3H, D_k) and
(3H,) stacked f, i, h̃ for minLSTM; D_0 = input_size, D_k = H above; no hidden-to-hidden weights.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .scan import linear_recurrence_log

Tensor = torch.Tensor

__all__ = [
    "g",
    "log_g",
    "mingru_step",
    "mingru_forward",
    "mingru_parallel",
    "minlstm_step",
    "minlstm_forward",
    "minlstm_parallel",
    "MinGRU",
    "MinLSTM",
]


def g(v: Tensor) -> Tensor:
    """(MG2)'s g: v + 1/2 for v >= 0, σ(v) below; continuous, increasing, always > 0."""
    return torch.where(v >= 0, v + 0.5, torch.sigmoid(v))


def log_g(v: Tensor) -> Tensor:
    """log g(v), computed without forming g(v) for very negative v (log σ(v) = -softplus(-v))."""
    return torch.where(v >= 0, torch.log(torch.relu(v) + 0.5), -F.softplus(-v))


def mingru_step(x: Tensor, h_prev: Tensor, W_ih: Tensor, b_ih: Tensor) -> Tensor:
    """One minGRU step, equations (MG1)-(MG3).

    Args:
        x: (B, D); h_prev: (B, H); W_ih: (2H, D) stacked z, h̃; b_ih: (2H,).

    Returns:
        h: (B, H) the new state h_t.
    """
    k_z, k_h = (x @ W_ih.T + b_ih).chunk(2, dim=-1)
    z = torch.sigmoid(k_z)  # (MG1) update gate z_t = σ(W_z x_t + b_z)
    h_tilde = g(k_h)  # (MG2) candidate h̃_t = g(W_h x_t + b_h)
    return (1 - z) * h_prev + z * h_tilde  # (MG3) h_t = (1 - z_t) ⊙ h_{t-1} + z_t ⊙ h̃_t


def mingru_forward(x: Tensor, h0: Tensor, W_ih: Tensor, b_ih: Tensor) -> tuple[Tensor, Tensor]:
    """One minGRU layer over a sequence: ``mingru_step``, (MG1)-(MG3), at every step (the reference).

    Args:
        x: (T, B, D); h0: (B, H); W_ih: (2H, D); b_ih: (2H,).

    Returns:
        output: (T, B, H) every h_t; h_n: (B, H) the final state.
    """
    h = h0
    outputs = []
    for x_t in x:  # t = 1, ..., T
        h = mingru_step(x_t, h, W_ih, b_ih)
        outputs.append(h)
    return torch.stack(outputs), h


def mingru_parallel(x: Tensor, h0: Tensor, W_ih: Tensor, b_ih: Tensor) -> tuple[Tensor, Tensor]:
    """One minGRU layer, all steps at once: (MG1)-(MG2) for every t, then (MG3) by the log-space scan (LR3).

    Args and Returns as ``mingru_forward``; equal to it up to rounding.
    """
    k_z, k_h = (x @ W_ih.T + b_ih).chunk(2, dim=-1)  # (T, B, H) each, every step at once
    log_a = -F.softplus(k_z)  # (MG3) log(1 - z_t) = log σ(-k)
    log_b = -F.softplus(-k_z) + log_g(k_h)  # (MG1), (MG2) log(z_t ⊙ h̃_t) = log σ(k) + log g(·)
    output = linear_recurrence_log(log_a, log_b, h0)  # (MG3) as (LR1), solved by (LR3)
    return output, output[-1]


def minlstm_step(x: Tensor, h_prev: Tensor, W_ih: Tensor, b_ih: Tensor) -> Tensor:
    """One minLSTM step, equations (ML1)-(ML5).

    Args:
        x: (B, D); h_prev: (B, H); W_ih: (3H, D) stacked f, i, h̃; b_ih: (3H,).

    Returns:
        h: (B, H) the new state h_t.
    """
    k_f, k_i, k_h = (x @ W_ih.T + b_ih).chunk(3, dim=-1)
    f = torch.sigmoid(k_f)  # (ML1) forget gate f_t = σ(W_f x_t + b_f)
    i = torch.sigmoid(k_i)  # (ML2) input gate  i_t = σ(W_i x_t + b_i)
    f_norm, i_norm = f / (f + i), i / (f + i)  # (ML3) f'_t, i'_t, summing to 1
    h_tilde = g(k_h)  # (ML4) candidate h̃_t = g(W_h x_t + b_h)
    return f_norm * h_prev + i_norm * h_tilde  # (ML5) h_t = f'_t ⊙ h_{t-1} + i'_t ⊙ h̃_t


def minlstm_forward(x: Tensor, h0: Tensor, W_ih: Tensor, b_ih: Tensor) -> tuple[Tensor, Tensor]:
    """One minLSTM layer over a sequence: ``minlstm_step``, (ML1)-(ML5), at every step (the reference).

    Args:
        x: (T, B, D); h0: (B, H); W_ih: (3H, D); b_ih: (3H,).

    Returns:
        output: (T, B, H) every h_t; h_n: (B, H) the final state.
    """
    h = h0
    outputs = []
    for x_t in x:  # t = 1, ..., T
        h = minlstm_step(x_t, h, W_ih, b_ih)
        outputs.append(h)
    return torch.stack(outputs), h


def minlstm_parallel(x: Tensor, h0: Tensor, W_ih: Tensor, b_ih: Tensor) -> tuple[Tensor, Tensor]:
    """One minLSTM layer, all steps at once: (ML1)-(ML4) for every t, then (ML5) by the log-space scan (LR3).

    Args and Returns as ``minlstm_forward``; equal to it up to rounding.
    """
    k_f, k_i, k_h = (x @ W_ih.T + b_ih).chunk(3, dim=-1)  # (T, B, H) each
    # (ML1)-(ML3) in logs: log i_t - log f_t = softplus(-k_f) - softplus(-k_i) =: d, so
    # log f'_t = -log(1 + i_t / f_t) = -softplus(d) and log i'_t = -softplus(-d)
    d = F.softplus(-k_f) - F.softplus(-k_i)
    log_a = -F.softplus(d)  # (ML3) log f'_t
    log_b = -F.softplus(-d) + log_g(k_h)  # (ML3), (ML4) log(i'_t ⊙ h̃_t)
    output = linear_recurrence_log(log_a, log_b, h0)  # (ML5) as (LR1), solved by (LR3)
    return output, output[-1]


class _MinRNN(nn.Module):
    """A stack of minGRU or minLSTM layers (the subclasses), time-first, with torch.nn-style checks."""

    gate_count: int  # rows of weight_ih per hidden unit: 2 (minGRU) or 3 (minLSTM)
    _loop: staticmethod  # the layer's loop over its steps
    _scan: staticmethod  # the layer's parallel path

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        *,
        parallel: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int; got {type(value).__name__}")
            if value < 1:
                raise ValueError(f"{name} must be at least 1; got {value}")
        if not isinstance(parallel, bool):
            raise TypeError(f"parallel must be a bool; got {type(parallel).__name__}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.parallel = parallel  # True: the log-space scan (LR3); False: the loop over the steps
        factory = {"device": device, "dtype": dtype}
        bound = 1 / math.sqrt(hidden_size)  # torch.nn's RNN init, U(-1/√H, 1/√H)
        for layer in range(num_layers):
            width = input_size if layer == 0 else hidden_size
            weight = torch.empty(self.gate_count * hidden_size, width, **factory).uniform_(-bound, bound)
            bias = torch.empty(self.gate_count * hidden_size, **factory).uniform_(-bound, bound)
            self.register_parameter(f"weight_ih_l{layer}", nn.Parameter(weight))
            self.register_parameter(f"bias_ih_l{layer}", nn.Parameter(bias))

    def _check(self, x: object, h0: object) -> None:
        weight = self.weight_ih_l0
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor (T, B, {self.input_size}); got {type(x).__name__}")
        if not x.is_floating_point():
            raise TypeError(f"x must be a floating-point tensor (T, B, {self.input_size}); got dtype {x.dtype}")
        if x.dim() != 3 or x.shape[2] != self.input_size:
            raise ValueError(f"x must have shape (T, B, {self.input_size}); got {tuple(x.shape)}")
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(f"x is empty: T and B must be at least 1; got shape {tuple(x.shape)}")
        if x.dtype != weight.dtype or x.device != weight.device:
            raise ValueError(
                f"x must have the parameters' dtype {weight.dtype} on {weight.device}; got {x.dtype} on {x.device}"
            )
        if h0 is None:
            return
        expected = (self.num_layers, x.shape[1], self.hidden_size)
        if not isinstance(h0, torch.Tensor):
            raise TypeError(f"h0 must be a torch.Tensor {expected} or None; got {type(h0).__name__}")
        if tuple(h0.shape) != expected:
            raise ValueError(f"h0 must have shape (num_layers, B, H) = {expected}; got {tuple(h0.shape)}")
        if h0.dtype != x.dtype or h0.device != x.device:
            raise ValueError(f"h0 must have x's dtype {x.dtype} on {x.device}; got {h0.dtype} on {h0.device}")

    def forward(self, x: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Run every layer over the sequence.

        Args:
            x: (T, B, input_size); h0: (num_layers, B, H) initial states, zeros when None.

        Returns:
            output: (T, B, H) the last layer's h_t for every t; h_n: (num_layers, B, H) each layer's h_T.
        """
        self._check(x, h0)
        if h0 is None:
            h0 = x.new_zeros(self.num_layers, x.shape[1], self.hidden_size)
        layer_forward = self._scan if self.parallel else self._loop
        finals = []
        for layer in range(self.num_layers):
            weight, bias = getattr(self, f"weight_ih_l{layer}"), getattr(self, f"bias_ih_l{layer}")
            x, h_n = layer_forward(x, h0[layer], weight, bias)
            finals.append(h_n)
        return x, torch.stack(finals)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, parallel={self.parallel}"


class MinGRU(_MinRNN):
    """minGRU layers, equations (MG1)-(MG3): (T, B, D) -> (T, B, H), (num_layers, B, H).

    ``parallel=True`` (default) computes each layer with ``mingru_parallel`` (the log-space scan),
    ``parallel=False`` with the loop ``mingru_forward``; both on the same parameters
    ``weight_ih_l{k}`` (2H, D_k), ``bias_ih_l{k}`` (2H,), stacked z, h̃.
    """

    gate_count = 2
    _loop = staticmethod(mingru_forward)
    _scan = staticmethod(mingru_parallel)


class MinLSTM(_MinRNN):
    """minLSTM layers, equations (ML1)-(ML5): (T, B, D) -> (T, B, H), (num_layers, B, H).

    ``parallel=True`` (default) computes each layer with ``minlstm_parallel`` (the log-space scan),
    ``parallel=False`` with the loop ``minlstm_forward``; both on the same parameters
    ``weight_ih_l{k}`` (3H, D_k), ``bias_ih_l{k}`` (3H,), stacked f, i, h̃.
    """

    gate_count = 3
    _loop = staticmethod(minlstm_forward)
    _scan = staticmethod(minlstm_parallel)
