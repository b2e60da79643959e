"""The linear recurrence h_t = a_t ⊙ h_{t-1} + b_t, computed step by step and in parallel over time.

    (LR1) h_t = a_t ⊙ h_{t-1} + b_t                                  the recurrence, elementwise
    (LR2) (a_1, b_1) ∘ (a_2, b_2) = (a_1 ⊙ a_2, a_2 ⊙ b_1 + b_2)      the associative operator
    (LR3) log h_t = a*_t + logcumsumexp_{s<=t}(log b_s - a*_s),  a*_t = Σ_{s<=t} log a_s   (h0 = 0)

Chapter 11 ("Recurrent networks today"). Three ways to get every h_t of (LR1), all time-first (T, B, H):

- ``linear_recurrence_loop``: T sequential steps of (LR1), the readable reference;
- ``linear_recurrence_scan``: the doubling (Hillis–Steele) scan with the operator (LR2): ⌈log2 T⌉ rounds of
  whole-sequence tensor operations, any signs;
- ``linear_recurrence_chunked``: the scan in two levels: split time into about √T chunks of about √T steps,
  run the loop inside all chunks at once, then over the chunks' ends; about 2√T sequential steps and
  O(T) work, any signs;
- ``linear_recurrence_log``: Heinsen's (2023) closed form (LR3) in log space, one ``cumsum`` and one
  ``logcumsumexp``; it needs a_t > 0 and b_t > 0 (minGRU's and minLSTM's gates and g-candidates are) and
  takes their logarithms, which the models compute directly from pre-activations without underflow.

The initial state enters every form linearly, h_t = (Π_{s<=t} a_s) ⊙ h_0 + (the state started from 0), so
h_0 may have any sign in all three.
"""

from __future__ import annotations

import math

import torch

Tensor = torch.Tensor

__all__ = [
    "combine",
    "linear_recurrence_loop",
    "linear_recurrence_scan",
    "linear_recurrence_chunked",
    "linear_recurrence_log",
]


def combine(first: tuple[Tensor, Tensor], second: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
    """The associative operator (LR2): the affine map h -> a h + b of ``first`` followed by ``second``'s.

    Args:
        first: (a_1, b_1), tensors of one shape; second: (a_2, b_2), the same shape.

    Returns:
        (a_1 ⊙ a_2, a_2 ⊙ b_1 + b_2): applying it to h gives a_2 ⊙ (a_1 ⊙ h + b_1) + b_2.
    """
    a1, b1 = first
    a2, b2 = second
    return a1 * a2, a2 * b1 + b2  # (LR2)


def _check(a: object, b: object, h0: object, names: tuple[str, str] = ("a", "b")) -> None:
    """a and b: floating (T, B, H) tensors of one shape, dtype and device, T >= 1; h0: None or (B, H) alike."""
    for name, value in zip(names, (a, b)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor (T, B, H); got {type(value).__name__}")
        if not value.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor (T, B, H); got dtype {value.dtype}")
        if value.dim() != 3:
            raise ValueError(f"{name} must have shape (T, B, H); got {tuple(value.shape)}")
    a_name, b_name = names
    if a.shape != b.shape:
        raise ValueError(
            f"{a_name} and {b_name} must have the same shape (T, B, H); got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    if a.dtype != b.dtype or a.device != b.device:
        raise ValueError(
            f"{a_name} and {b_name} must share dtype and device; got {a.dtype} on {a.device} and "
            f"{b.dtype} on {b.device}"
        )
    if a.shape[0] == 0:
        raise ValueError(f"the sequence is empty: {a_name} has T = 0 steps, shape {tuple(a.shape)}")
    if h0 is None:
        return
    if not isinstance(h0, torch.Tensor):
        raise TypeError(f"h0 must be a torch.Tensor (B, H) or None; got {type(h0).__name__}")
    if h0.shape != a.shape[1:]:
        raise ValueError(f"h0 must have shape (B, H) = {tuple(a.shape[1:])}; got {tuple(h0.shape)}")
    if h0.dtype != a.dtype or h0.device != a.device:
        raise ValueError(f"h0 must have dtype {a.dtype} on {a.device}; got {h0.dtype} on {h0.device}")


def linear_recurrence_loop(a: Tensor, b: Tensor, h0: Tensor | None = None) -> Tensor:
    """Every state of (LR1), h_t = a_t ⊙ h_{t-1} + b_t, one step after another (the reference).

    Args:
        a: (T, B, H) coefficients; b: (T, B, H) inputs; h0: (B, H) initial state, zeros when None.

    Returns:
        h: (T, B, H), h[t] the state after step t + 1.
    """
    _check(a, b, h0)
    h = torch.zeros_like(b[0]) if h0 is None else h0
    states = []
    for a_t, b_t in zip(a, b):  # t = 1, ..., T
        h = a_t * h + b_t  # (LR1)
        states.append(h)
    return torch.stack(states)


def linear_recurrence_scan(a: Tensor, b: Tensor, h0: Tensor | None = None) -> Tensor:
    """Every state of (LR1) by the doubling scan: ⌈log2 T⌉ rounds of the operator (LR2), any signs.

    After round k, position t holds the composition of steps max(1, t - 2^k + 1), ..., t; so after
    ⌈log2 T⌉ rounds, position t holds steps 1..t, whose b part is h_t started from zero. That is
    O(T log T) work in O(log T) sequential rounds (Hillis and Steele's scan; Blelloch's does O(T) work).

    Args:
        a: (T, B, H) coefficients; b: (T, B, H) inputs; h0: (B, H) initial state, zeros when None.

    Returns:
        h: (T, B, H), equal to ``linear_recurrence_loop(a, b, h0)`` up to rounding.
    """
    _check(a, b, h0)
    A, Bsum = a, b  # position t: the composed map of steps (t - span, t]
    span = 1
    while span < a.shape[0]:
        # (LR2): compose the block ending at t - span (first) with the block ending at t (second)
        A_new, B_new = combine((A[:-span], Bsum[:-span]), (A[span:], Bsum[span:]))
        A = torch.cat([A[:span], A_new])
        Bsum = torch.cat([Bsum[:span], B_new])
        span *= 2
    return Bsum if h0 is None else A * h0 + Bsum  # h_t = (Π a_s) h0 + (the state from zero)


def linear_recurrence_chunked(a: Tensor, b: Tensor, h0: Tensor | None = None, chunk: int | None = None) -> Tensor:
    """Every state of (LR1) by a two-level scan: the loop inside chunks (all at once), then across them.

    Time is cut into N chunks of L steps (padded with a = 1, b = 0). Inside every chunk at once, the loop
    gives the state started from zero, and ``cumprod`` the product of its a's; a loop over the N chunk
    ends then carries the state from chunk to chunk; one last elementwise step adds each chunk's
    incoming state (LR2). L + N sequential steps instead of T (L = ⌈√T⌉ by default), O(T) work.

    Args:
        a: (T, B, H) coefficients; b: (T, B, H) inputs; h0: (B, H) initial state, zeros when None;
        chunk: L, the steps per chunk (a positive int), ⌈√T⌉ when None.

    Returns:
        h: (T, B, H), equal to ``linear_recurrence_loop(a, b, h0)`` up to rounding.
    """
    _check(a, b, h0)
    T, B, H = a.shape
    if chunk is None:
        chunk = max(1, math.ceil(math.sqrt(T)))
    if isinstance(chunk, bool) or not isinstance(chunk, int):
        raise TypeError(f"chunk must be a positive int or None; got {type(chunk).__name__}")
    if chunk < 1:
        raise ValueError(f"chunk must be a positive int; got {chunk}")
    n_chunks = -(-T // chunk)
    pad = n_chunks * chunk - T
    if pad:  # a = 1, b = 0 leave the state unchanged
        a = torch.cat([a, a.new_ones(pad, B, H)])
        b = torch.cat([b, b.new_zeros(pad, B, H)])
    # (L, N*B, H): step j of every chunk side by side, so one loop step advances all chunks
    a_in = a.reshape(n_chunks, chunk, B, H).transpose(0, 1).reshape(chunk, n_chunks * B, H)
    b_in = b.reshape(n_chunks, chunk, B, H).transpose(0, 1).reshape(chunk, n_chunks * B, H)
    from_zero = linear_recurrence_loop(a_in, b_in)  # inside each chunk, the state started from 0
    products = torch.cumprod(a_in, dim=0)  # inside each chunk, Π a_s up to each step
    ends_a = products[-1].reshape(n_chunks, B, H)  # each chunk as one step (LR2): h -> ends_a h + ends_b
    ends_b = from_zero[-1].reshape(n_chunks, B, H)
    carried = linear_recurrence_loop(ends_a, ends_b, h0)  # the state at each chunk's end, (N, B, H)
    start = torch.zeros_like(carried[:1]) if h0 is None else h0[None]
    incoming = torch.cat([start, carried[:-1]])  # the state entering each chunk, (N, B, H)
    h = products * incoming.reshape(1, n_chunks * B, H) + from_zero  # (LR2) incoming, then the chunk
    return h.reshape(chunk, n_chunks, B, H).transpose(0, 1).reshape(n_chunks * chunk, B, H)[:T]


def linear_recurrence_log(log_a: Tensor, log_b: Tensor, h0: Tensor | None = None) -> Tensor:
    """Every state of (LR1) for a_t > 0, b_t > 0, from their logarithms, by Heinsen's closed form (LR3).

    Args:
        log_a: (T, B, H) log a_t; log_b: (T, B, H) log b_t; h0: (B, H), any sign,
            zeros when None.

    Returns:
        h: (T, B, H), equal to ``linear_recurrence_loop(log_a.exp(), log_b.exp(), h0)`` up to rounding.
    """
    _check(log_a, log_b, h0, names=("log_a", "log_b"))
    a_star = torch.cumsum(log_a, dim=0)  # (LR3) a*_t = Σ_{s<=t} log a_s, (T, B, H)
    h = torch.exp(a_star + torch.logcumsumexp(log_b - a_star, dim=0))  # (LR3) the state from h0 = 0
    return h if h0 is None else h + torch.exp(a_star) * h0  # plus (Π_{s<=t} a_s) ⊙ h0
