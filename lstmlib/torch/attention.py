"""Attention: a decoder state (the query) reads a weighted average of the encoder's states.

Chapter 10's equations. For one query q (the decoder's state) and the encoder's states k_1 .. k_S (the
keys, which are also the values v_s here):

    (A1) e_s = w_a^T tanh(W_q q + W_k k_s)                  additive score (Bahdanau et al. 2015)
    (A2) e_s = q^T k_s                                      dot-product score (Luong et al. 2015, "dot")
    (A3) e_s = q^T W_a k_s                                  bilinear score (Luong et al. 2015, "general")
    (A4) alpha_s = exp(e_s) / sum_{s' real} exp(e_{s'})     weights; padded positions get alpha_s = 0
    (A5) c = sum_s alpha_s v_s                              the context vector

Shapes are time-first: keys and values (S, B, H_enc), mask (S, B) bool (True = a real position), query
(B, H_dec) for one query per sequence, or (N, B, H_dec) for N queries at once (every decoder step of a
teacher-forced target; tested equal to N single calls).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["masked_softmax", "attend", "AdditiveAttention", "DotProductAttention", "GeneralAttention"]


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """(A4) softmax over the source axis (dim -2 of (..., S, B)), with weight exactly 0 where mask is False."""
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))  # exp(-inf) = 0: padding gets no weight
    return torch.softmax(scores, dim=-2)


def attend(weights: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """(A5) c = sum_s alpha_s v_s: weights (S, B) or (N, S, B), values (S, B, H) -> (B, H) or (N, B, H)."""
    return (weights[..., None] * values).sum(dim=-3)


def _check_inputs(module: nn.Module, query, keys, values, mask, query_size: int, key_size: int):
    """Shapes, dtypes and devices of an attention call; raises ValueError/TypeError naming what came."""
    for name, t in (("query", query), ("keys", keys), ("values", values)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor; got {type(t).__name__}")
        if not t.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor; got dtype {t.dtype}")
    if keys.dim() != 3 or keys.shape[2] != key_size:
        raise ValueError(f"keys must have shape (S, B, {key_size}); got {tuple(keys.shape)}")
    S, B = keys.shape[:2]
    if S == 0 or B == 0:
        raise ValueError(f"keys are empty: S (source length) and B must be at least 1; got {tuple(keys.shape)}")
    if query.dim() not in (2, 3) or query.shape[-2:] != (B, query_size):
        raise ValueError(
            f"query must have shape (B, H) = ({B}, {query_size}) or (N, {B}, {query_size}); got {tuple(query.shape)}"
        )
    if values.dim() != 3 or values.shape[:2] != (S, B):
        raise ValueError(f"values must have shape ({S}, {B}, H_v) (S, B from keys); got {tuple(values.shape)}")
    params = list(module.parameters())
    dtype = params[0].dtype if params else keys.dtype
    device = params[0].device if params else keys.device
    for name, t in (("query", query), ("keys", keys), ("values", values)):
        if t.dtype != dtype:
            raise ValueError(f"{name} has dtype {t.dtype} but the attention expects {dtype}")
        if t.device != device:
            raise ValueError(f"{name} is on device {t.device} but the attention is on {device}")
    if mask is not None:
        if not isinstance(mask, torch.Tensor):
            raise TypeError(f"mask must be a torch.Tensor of bool (S, B); got {type(mask).__name__}")
        if mask.dtype != torch.bool:
            raise ValueError(f"mask must have dtype torch.bool (True = real position); got {mask.dtype}")
        if mask.shape != (S, B):
            raise ValueError(f"mask must have shape (S, B) = ({S}, {B}); got {tuple(mask.shape)}")
        if mask.device != device:
            raise ValueError(f"mask is on device {mask.device} but the attention is on {device}")
        if not bool(mask.any(dim=0).all()):
            empty = int((~mask.any(dim=0)).nonzero()[0, 0])
            raise ValueError(f"mask must leave at least one real position per sequence; sequence {empty} has none")


class _Attention(nn.Module):
    """Shared forward: scores (from the subclass), masked softmax (A4), weighted sum (A5)."""

    def __init__(self, query_size: int, key_size: int):
        super().__init__()
        for name, size in (("query_size", query_size), ("key_size", key_size)):
            if not isinstance(size, int) or isinstance(size, bool) or size < 1:
                raise ValueError(f"{name} must be a positive int; got {size!r}")
        self.query_size, self.key_size = query_size, key_size

    def scores(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        """e: query (N, B, H_dec), keys (S, B, H_enc) -> (N, S, B)."""
        raise NotImplementedError

    def forward(
        self,
        query: torch.Tensor,
        keys: torch.Tensor,
        mask: torch.Tensor | None = None,
        values: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Context vector(s) and attention weights.

        Args:
            query: (B, H_dec), or (N, B, H_dec) for N queries at once.
            keys: (S, B, H_enc), the encoder's states.
            mask: (S, B) bool, True at real positions (None: all real).
            values: (S, B, H_v), default ``keys``.

        Returns:
            context (B, H_v) or (N, B, H_v); weights (S, B) or (N, S, B), summing to 1 over S.
        """
        values = keys if values is None else values
        _check_inputs(self, query, keys, values, mask, self.query_size, self.key_size)
        single = query.dim() == 2
        q = query[None] if single else query  # (N, B, H_dec)
        weights = masked_softmax(self.scores(q, keys), mask)  # (A4) (N, S, B)
        context = attend(weights, values)  # (A5) (N, B, H_v)
        return (context[0], weights[0]) if single else (context, weights)


class AdditiveAttention(_Attention):
    """Additive (Bahdanau) attention: a one-hidden-layer network scores each key against the query.

        (A1) e_s = w_a^T tanh(W_q q + W_k k_s),  then (A4) weights and (A5) context.

    Args:
        query_size: H_dec; key_size: H_enc; attention_size: A, the score network's hidden units.

    Parameters: ``weight_query`` W_q (A, H_dec), ``weight_key`` W_k (A, H_enc), ``weight_score`` w_a (A,).
    Forward: see ``_Attention.forward``.
    """

    def __init__(self, query_size: int, key_size: int, attention_size: int, *, device=None, dtype=None):
        super().__init__(query_size, key_size)
        if not isinstance(attention_size, int) or isinstance(attention_size, bool) or attention_size < 1:
            raise ValueError(f"attention_size must be a positive int; got {attention_size!r}")
        kw = dict(device=device, dtype=dtype)
        self.weight_query = nn.Parameter(torch.empty(attention_size, query_size, **kw))
        self.weight_key = nn.Parameter(torch.empty(attention_size, key_size, **kw))
        self.weight_score = nn.Parameter(torch.empty(attention_size, **kw))
        for w in (self.weight_query, self.weight_key):
            nn.init.uniform_(w, -(w.shape[1] ** -0.5), w.shape[1] ** -0.5)  # as nn.Linear
        nn.init.uniform_(self.weight_score, -(attention_size**-0.5), attention_size**-0.5)

    def scores(self, query, keys):
        projected_query = query @ self.weight_query.T  # W_q q: (N, B, A)
        projected_keys = keys @ self.weight_key.T  # W_k k_s: (S, B, A)
        hidden = torch.tanh(projected_query[:, None] + projected_keys[None])  # (N, S, B, A)
        return hidden @ self.weight_score  # (A1) (N, S, B)


class DotProductAttention(_Attention):
    """Dot-product attention (Luong's "dot"): the score of a key is its dot product with the query.

        (A2) e_s = q^T k_s,  then (A4) weights and (A5) context. No parameters; H_dec = H_enc = size.
    Luong et al. score with q^T k_s unscaled; Vaswani et al.'s scaled form divides by sqrt(H).

    Args:
        size: H, the size of query and keys.
    """

    def __init__(self, size: int):
        super().__init__(size, size)  # no parameters: query, keys and values must agree with each other

    def scores(self, query, keys):
        return torch.einsum("nbh,sbh->nsb", query, keys)  # (A2) (N, S, B)


class GeneralAttention(_Attention):
    """Bilinear attention (Luong's "general"): e_s = q^T W_a k_s.

        (A3) e_s = q^T W_a k_s,  then (A4) weights and (A5) context.

    Args:
        query_size: H_dec; key_size: H_enc. Parameter ``weight`` W_a (H_dec, H_enc).
    """

    def __init__(self, query_size: int, key_size: int, *, device=None, dtype=None):
        super().__init__(query_size, key_size)
        self.weight = nn.Parameter(torch.empty(query_size, key_size, device=device, dtype=dtype))
        nn.init.uniform_(self.weight, -(key_size**-0.5), key_size**-0.5)

    def scores(self, query, keys):
        return torch.einsum("nbh,sbh->nsb", query @ self.weight, keys)  # (A3) q^T W_a k_s: (N, S, B)
