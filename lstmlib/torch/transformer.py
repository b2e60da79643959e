"""A small causal (decoder-only) Transformer, time-first, for comparing with recurrent networks.

Vaswani et al. (2017), "Attention is all you need", as a decoder-only stack with the layer norm before
each sub-layer (the form GPT-2 and minGPT use, which trains without a learning-rate warm-up):

    (TF1) z_0 = x_t W_in + b_in + p_t                  p_t: sinusoidal, p_{t,2i} = sin(t / 10000^{2i/d}),
                                                       p_{t,2i+1} = cos(t / 10000^{2i/d}); or learned
    (TF2) Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k) + M) V,   M_{ts} = 0 if s <= t else -inf (causal)
    (TF3) u = z + MultiHead(LN(z)),  MultiHead = Concat(head_1, ..., head_h) W_O,
          head_j = Attention(LN(z) W_Q^j, LN(z) W_K^j, LN(z) W_V^j)
    (TF4) z' = u + W_2 GELU(W_1 LN(u) + b_1) + b_2      (the position-wise feed-forward network)
    (TF5) output = LN(z_L)

The mask M makes output t a function of x_1..x_t only, so the model can be trained on every step of a
sequence at once (all T positions in parallel) and still be used causally, as a recurrent network is.
The attention is written out by hand (``fast=False``); ``fast=True`` (the default) calls
``torch.nn.functional.scaled_dot_product_attention``, the same computation in one fused kernel, tested
equal to the hand-written one (minGPT's pattern).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .checks import check_features

__all__ = ["CausalTransformer", "sinusoidal_positions"]


def sinusoidal_positions(length: int, d_model: int, *, device=None, dtype=None) -> torch.Tensor:
    """The fixed position code of (TF1): (length, d_model), row t = p_t."""
    position = torch.arange(length, device=device, dtype=torch.float64)[:, None]  # (T, 1)
    rate = torch.exp(-math.log(10000.0) * torch.arange(0, d_model, 2, device=device, dtype=torch.float64) / d_model)
    table = torch.zeros(length, d_model, device=device, dtype=torch.float64)
    table[:, 0::2] = torch.sin(position * rate)  # (TF1) even features
    table[:, 1::2] = torch.cos(position * rate[: d_model // 2])  # (TF1) odd features
    return table.to(dtype if dtype is not None else torch.get_default_dtype())


class _Block(nn.Module):
    """One decoder block: causal multi-head self-attention (TF2, TF3), then the feed-forward net (TF4)."""

    def __init__(self, d_model, num_heads, dim_feedforward, dropout, factory):
        super().__init__()
        self.num_heads = num_heads
        self.norm_attention = nn.LayerNorm(d_model, **factory)
        self.qkv = nn.Linear(d_model, 3 * d_model, **factory)  # W_Q, W_K, W_V of every head, stacked
        self.out = nn.Linear(d_model, d_model, **factory)  # W_O
        self.norm_feedforward = nn.LayerNorm(d_model, **factory)
        self.feedforward = nn.Sequential(
            nn.Linear(d_model, dim_feedforward, **factory),
            nn.GELU(),
            nn.Linear(dim_feedforward, d_model, **factory),
        )
        self.dropout = dropout

    def attention(self, z: torch.Tensor, fast: bool) -> torch.Tensor:
        T, B, d = z.shape
        heads, hs = self.num_heads, d // self.num_heads
        q, k, v = self.qkv(z).split(d, dim=2)  # (T, B, d) each
        q, k, v = (a.reshape(T, B, heads, hs).permute(1, 2, 0, 3) for a in (q, k, v))  # (B, heads, T, hs)
        p = self.dropout if self.training else 0.0
        if fast:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)  # (TF2) fused
        else:
            scores = q @ k.transpose(-2, -1) / math.sqrt(hs)  # (TF2) Q K^T / sqrt(d_k): (B, heads, T, T)
            future = torch.ones(T, T, dtype=torch.bool, device=z.device).triu(1)  # s > t
            scores = scores.masked_fill(future, float("-inf"))  # (TF2) + M
            weights = F.dropout(scores.softmax(dim=-1), p, self.training)
            y = weights @ v  # (TF2) (B, heads, T, hs)
        y = y.permute(2, 0, 1, 3).reshape(T, B, d)  # (TF3) Concat(head_1, ..., head_h): (T, B, d)
        return F.dropout(self.out(y), p, self.training)  # (TF3) W_O

    def forward(self, z: torch.Tensor, fast: bool) -> torch.Tensor:
        u = z + self.attention(self.norm_attention(z), fast)  # (TF3)
        p = self.dropout if self.training else 0.0
        return u + F.dropout(self.feedforward(self.norm_feedforward(u)), p, self.training)  # (TF4)


class CausalTransformer(nn.Module):
    """A decoder-only Transformer over (T, B, D) inputs: output t sees inputs 1..t only (TF1-TF5).

    Args:
        input_size: D, features per step (read by a linear map into d_model).
        d_model: width of the residual stream (a multiple of ``num_heads``).
        num_layers: decoder blocks.
        num_heads: attention heads per block (d_k = d_model / num_heads).
        max_len: the longest sequence the model accepts (learned positions need a row per step).
        dim_feedforward: hidden width of (TF4) (default 4 * d_model).
        dropout: dropout on the attention weights and on each sub-layer's output (training only).
        positions: "sinusoidal" (fixed, no parameters) or "learned" (a (max_len, d_model) table).
        fast: use ``scaled_dot_product_attention`` (True) or the hand-written attention (False).

    ``forward(x)``: x (T, B, D) with 1 <= T <= max_len -> (output (T, B, d_model), None); the None
    stands where a recurrent layer returns its final state, so the two are used alike.
    """

    def __init__(
        self,
        input_size: int,
        d_model: int,
        num_layers: int,
        num_heads: int,
        *,
        max_len: int,
        dim_feedforward: int | None = None,
        dropout: float = 0.0,
        positions: str = "sinusoidal",
        fast: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        for name, value in (("input_size", input_size), ("d_model", d_model), ("num_layers", num_layers),
                            ("num_heads", num_heads), ("max_len", max_len)):  # fmt: skip
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int; got {type(value).__name__}")
            if value < 1:
                raise ValueError(f"{name} must be >= 1; got {value}")
        if d_model % num_heads:
            raise ValueError(f"d_model must be a multiple of num_heads; got d_model={d_model}, num_heads={num_heads}")
        if positions not in ("sinusoidal", "learned"):
            raise ValueError(f"positions must be 'sinusoidal' or 'learned'; got {positions!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {dropout}")
        factory = {"device": device, "dtype": dtype}
        dim_feedforward = 4 * d_model if dim_feedforward is None else dim_feedforward
        self.input_size, self.d_model, self.max_len, self.fast = input_size, d_model, max_len, fast
        self.embed = nn.Linear(input_size, d_model, **factory)  # (TF1) W_in, b_in
        if positions == "learned":
            self.positions = nn.Parameter(0.02 * torch.randn(max_len, d_model, **factory))  # (TF1) p_t
        else:
            self.register_buffer("positions", sinusoidal_positions(max_len, d_model, **factory), persistent=False)
        self.blocks = nn.ModuleList(
            _Block(d_model, num_heads, dim_feedforward, dropout, factory) for _ in range(num_layers)
        )
        self.norm = nn.LayerNorm(d_model, **factory)  # (TF5)

    def forward(self, x: torch.Tensor, state=None) -> tuple[torch.Tensor, None]:
        """x (T, B, D) -> (output (T, B, d_model), None). ``state`` must be None (a Transformer keeps none)."""
        check_features(self, "x", x, self.input_size)
        if state is not None:
            raise ValueError(f"CausalTransformer keeps no state; got state of type {type(state).__name__}")
        if x.dtype != self.embed.weight.dtype:
            raise ValueError(f"x must have the model's dtype {self.embed.weight.dtype}; got {x.dtype}")
        T = x.shape[0]
        if T > self.max_len:
            raise ValueError(f"x has T = {T} steps but the model was built for at most max_len = {self.max_len}")
        z = self.embed(x) + self.positions[:T, None, :]  # (TF1) (T, B, d_model)
        for block in self.blocks:
            z = block(z, self.fast)  # (TF2-TF4)
        return self.norm(z), None  # (TF5)
