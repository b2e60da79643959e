"""The linear recurrence (LR1) of lstmlib.torch.scan: the doubling, chunked and log-space scans equal the loop in
values and gradients (float64, T up to a few hundred), pass gradcheck, and reject bad input by name."""

import pytest
import torch

from lstmlib.torch.scan import (
    combine,
    linear_recurrence_chunked,
    linear_recurrence_log,
    linear_recurrence_loop,
    linear_recurrence_scan,
)

GRADCHECK = {"eps": 1e-6, "atol": 1e-8, "rtol": 1e-6}


def _inputs(T, B, H, seed=0, positive=False):
    """a in (0.5, 1), b standard normal (positive: |b| + 0.1), h0 standard normal; float64."""
    g = torch.Generator().manual_seed(seed)
    a = 0.5 + 0.5 * torch.rand(T, B, H, generator=g, dtype=torch.float64)
    b = torch.randn(T, B, H, generator=g, dtype=torch.float64)
    if positive:
        b = b.abs() + 0.1
    h0 = torch.randn(B, H, generator=g, dtype=torch.float64)
    return a, b, h0


def _log_scan(a, b, h0=None):
    return linear_recurrence_log(a.log(), b.log(), h0)


def _chunk_5(a, b, h0=None):
    return linear_recurrence_chunked(a, b, h0, chunk=5)


SCANS = {"doubling": linear_recurrence_scan, "chunked": linear_recurrence_chunked, "chunk5": _chunk_5, "log": _log_scan}
LENGTHS = [1, 2, 3, 7, 16, 33, 300]


@pytest.mark.parametrize("with_h0", [True, False], ids=["h0", "zeros"])
@pytest.mark.parametrize("T", LENGTHS)
@pytest.mark.parametrize("name", list(SCANS))
def test_scan_equals_loop_in_values_and_gradients(name, T, with_h0):
    a, b, h0 = _inputs(T, 3, 4, seed=T, positive=name == "log")
    h0 = h0 if with_h0 else None
    weights = torch.randn(T, 3, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    grads = []
    for fn in (linear_recurrence_loop, SCANS[name]):
        leaves = [t.clone().requires_grad_() for t in (a, b)] + ([h0.clone().requires_grad_()] if with_h0 else [])
        h = fn(*leaves) if with_h0 else fn(*leaves, None)
        (h * weights).sum().backward()
        # a gradient that is zero because nothing depends on the input (a_1 when h0 = 0) may be None
        grads.append((h.detach(), [torch.zeros_like(x) if x.grad is None else x.grad for x in leaves]))
    (h_loop, g_loop), (h_scan, g_scan) = grads
    torch.testing.assert_close(h_scan, h_loop, rtol=1e-10, atol=1e-10)
    for g_s, g_l in zip(g_scan, g_loop):
        torch.testing.assert_close(g_s, g_l, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("name", ["loop", *SCANS])
def test_gradcheck(name):
    fn = linear_recurrence_loop if name == "loop" else SCANS[name]
    a, b, h0 = (t.requires_grad_() for t in _inputs(6, 2, 3, positive=name == "log"))
    assert torch.autograd.gradcheck(fn, (a, b, h0), **GRADCHECK)


def test_loop_is_the_recurrence_stepped_by_hand():
    a, b, h0 = _inputs(5, 2, 3)
    h = h0
    for t in range(5):
        h = a[t] * h + b[t]
        torch.testing.assert_close(linear_recurrence_loop(a, b, h0)[t], h)


def test_combine_is_associative_and_composes_the_steps():
    g = torch.Generator().manual_seed(0)
    pairs = [tuple(torch.randn(4, generator=g, dtype=torch.float64) for _ in range(2)) for _ in range(3)]
    p, q, r = pairs
    left, right = combine(combine(p, q), r), combine(p, combine(q, r))
    for u, v in zip(left, right):
        torch.testing.assert_close(u, v)
    h = torch.randn(4, generator=g, dtype=torch.float64)
    a, b = combine(p, q)
    torch.testing.assert_close(a * h + b, q[0] * (p[0] * h + p[1]) + q[1])


def test_log_scan_survives_long_decays_in_float32():
    """a* = Σ log a reaches -4000 here; exp(a*) underflows, but the log-space form stays finite and right."""
    g = torch.Generator().manual_seed(0)
    a = torch.full((4000, 2, 3), 0.37, dtype=torch.float32)
    b = torch.rand(4000, 2, 3, generator=g) + 0.1
    h = linear_recurrence_log(a.log(), b.log())
    assert torch.isfinite(h).all()
    torch.testing.assert_close(h, linear_recurrence_loop(a, b), rtol=2e-3, atol=1e-5)


@pytest.mark.parametrize("name", ["loop", "doubling", "chunked", "log"])
def test_errors(name):
    fn = {**SCANS, "loop": linear_recurrence_loop, "log": linear_recurrence_log}[name]
    a, b, h0 = _inputs(4, 2, 3, positive=True)
    with pytest.raises(TypeError, match="torch.Tensor"):
        fn(a.numpy(), b)
    with pytest.raises(TypeError, match="floating-point"):
        fn(a.long(), b.long())
    with pytest.raises(ValueError, match=r"\(T, B, H\); got \(4, 6\)"):
        fn(a.reshape(4, 6), b.reshape(4, 6))
    with pytest.raises(ValueError, match="same shape"):
        fn(a, b[:3])
    with pytest.raises(ValueError, match="dtype"):
        fn(a, b.float())
    with pytest.raises(ValueError, match="empty"):
        fn(a[:0], b[:0])
    with pytest.raises(ValueError, match=r"h0 must have shape \(B, H\) = \(2, 3\); got \(3,\)"):
        fn(a, b, h0[0])
    with pytest.raises(ValueError, match="h0 must have dtype"):
        fn(a, b, h0.float())
    with pytest.raises(TypeError, match="h0 must be a torch.Tensor"):
        fn(a, b, 0.0)


def test_chunk_argument_is_checked():
    a, b, _ = _inputs(4, 2, 3)
    with pytest.raises(ValueError, match="positive"):
        linear_recurrence_chunked(a, b, chunk=0)
    with pytest.raises(TypeError, match="chunk"):
        linear_recurrence_chunked(a, b, chunk=2.0)
