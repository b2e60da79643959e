"""The fast sequence functions (lstmlib.numpy._fast, what the classes run by default) equal the
readable loops (lstmlib.numpy.{rnn,lstm,gru}_forward/_backward) on values and every gradient, float64,
to ~1e-12, over several shapes, with and without bias (and a projection for the LSTM)."""

import numpy as np
import pytest

import lstmlib.numpy as nn
from lstmlib.numpy import _fast

SHAPES = [(1, 1, 1, 1), (1, 3, 2, 4), (5, 1, 3, 2), (7, 4, 5, 8), (12, 3, 6, 6)]  # T, B, D, H
TOL = dict(rtol=1e-12, atol=1e-12)


def _arrays(cell, T, B, D, H, bias, seed, proj=0):
    rng = np.random.default_rng(seed)
    G = {"rnn": 1, "rnn-relu": 1, "lstm": 4, "gru": 3}[cell]
    R = proj or H
    x = rng.standard_normal((T, B, D))
    states = [rng.standard_normal((B, R))] + ([rng.standard_normal((B, H))] if cell == "lstm" else [])
    weights = [rng.standard_normal((G * H, D)), rng.standard_normal((G * H, R))]
    weights += [rng.standard_normal(G * H), rng.standard_normal(G * H)] if bias else [None, None]
    if cell == "lstm":
        weights.append(rng.standard_normal((proj, H)) if proj else None)
    d_output = rng.standard_normal((T, B, R))
    d_final = [rng.standard_normal(s.shape) for s in states]
    return x, states, weights, d_output, d_final


def _both(cell, args, d_output, d_final):
    kind, extra = cell.split("-")[0], ("relu",) if cell == "rnn-relu" else ()
    results = []
    for module in (nn, _fast):
        forward, backward = getattr(module, f"{kind}_forward"), getattr(module, f"{kind}_backward")
        *values, cache = forward(*args, *extra)
        results.append((values, backward(d_output, cache, *d_final)))
    return results


def _assert_same(a, b):
    assert (a is None) == (b is None)
    if a is not None:
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, **TOL)


@pytest.mark.parametrize("cell", ["rnn", "rnn-relu", "lstm", "gru"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "T{}-B{}-D{}-H{}".format(*s))
@pytest.mark.parametrize("bias", [True, False])
def test_fast_equals_loops(cell, shape, bias):
    x, states, weights, d_output, d_final = _arrays(cell, *shape, bias, seed=sum(shape))
    (values, grads), (fast_values, fast_grads) = _both(cell, [x, *states, *weights], d_output, d_final)
    assert len(values) == len(fast_values) and len(grads) == len(fast_grads)
    for a, b in zip(values + list(grads), fast_values + list(fast_grads)):
        _assert_same(a, b)


@pytest.mark.parametrize("shape", SHAPES[1:], ids=lambda s: "T{}-B{}-D{}-H{}".format(*s))
@pytest.mark.parametrize("bias", [True, False])
def test_fast_equals_loops_lstm_projection(shape, bias):
    T, B, D, H = shape
    x, states, weights, d_output, d_final = _arrays("lstm", T, B, D, H, bias, seed=7, proj=max(1, H // 2))
    (values, grads), (fast_values, fast_grads) = _both("lstm", [x, *states, *weights], d_output, d_final)
    assert len(grads) == len(fast_grads) == 8  # dW_hr appended
    for a, b in zip(values + list(grads), fast_values + list(fast_grads)):
        _assert_same(a, b)


def test_fast_equals_loops_float32_and_without_final_gradients():
    x, states, weights, d_output, _ = _arrays("lstm", 6, 3, 4, 8, True, seed=3)
    x, d_output = x.astype(np.float32), d_output.astype(np.float32)
    states = [s.astype(np.float32) for s in states]
    weights = [None if w is None else w.astype(np.float32) for w in weights]
    (values, grads), (fast_values, fast_grads) = _both("lstm", [x, *states, *weights], d_output, [])
    for a, b in zip(values + list(grads), fast_values + list(fast_grads)):
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_classes_fast_and_loops_agree(cls):
    kwargs = dict(num_layers=2, bidirectional=True, batch_first=True)
    fast, loops = cls(3, 5, **kwargs, seed=0), cls(3, 5, **kwargs, seed=0, fast=False)
    assert fast.fast and not loops.fast and "fast=False" in repr(loops)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 3))
    out_fast, final_fast = fast.forward(x)
    out_loops, final_loops = loops.forward(x)
    np.testing.assert_allclose(out_fast, out_loops, **TOL)
    d_output = rng.standard_normal(out_fast.shape)
    np.testing.assert_allclose(fast.backward(d_output), loops.backward(d_output), **TOL)
    assert list(fast.grads) == list(loops.grads) == list(fast.params)
    for name in fast.grads:
        np.testing.assert_allclose(fast.grads[name], loops.grads[name], **TOL)


def test_loop_functions_are_plain_loops_over_the_steps():
    """What chapter 6 prints: the loops call the step functions and name the backward equations."""
    import inspect

    forward, backward = inspect.getsource(nn.lstm_forward), inspect.getsource(nn.lstm_backward)
    assert "for x_t in x" in forward and "lstm_step_forward(" in forward
    assert "lstm_step_backward(" in backward
    for label in ("(B1)", "(B2)", "(B3)", "(B4)", "(B5)", "(B6)"):
        assert label in backward or label in inspect.getsource(nn.lstm_step_backward), label
    step = inspect.getsource(nn.lstm_step_forward)
    for label in ("(1)", "(2)", "(3)", "(4)", "(3a)", "(5)"):
        assert step.count(f"# {label}") == 1, label
