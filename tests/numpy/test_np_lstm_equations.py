"""Each LSTM equation on its own, the notes' concatenated weights, one step versus a whole
sequence for every cell, and property-based tests over shapes."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lstmlib.numpy as nn
from lstmlib.numpy import _fast


def _sig(z):  # the textbook formula, as an independent oracle
    return 1.0 / (1.0 + np.exp(-z))


@pytest.fixture
def step():
    rng = np.random.default_rng(0)
    B, D, H = 3, 4, 5
    x, h_prev, c_prev = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    W_ih, W_hh = 0.5 * rng.standard_normal((4 * H, D)), 0.5 * rng.standard_normal((4 * H, H))
    b_ih, b_hh = 0.5 * rng.standard_normal(4 * H), 0.5 * rng.standard_normal(4 * H)
    h, c, cache = nn.lstm_step_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh)
    # the notes' form: one matrix per gate acting on [h_{t-1}, x_t], one bias per gate
    W = nn.concat_weights(W_ih, W_hh)  # (4H, H + D)
    W_i, W_f, W_g, W_o = np.split(W, 4, axis=0)
    b_i, b_f, b_g, b_o = np.split(b_ih + b_hh, 4)
    hx = np.concatenate([h_prev, x], axis=1)  # [h_{t-1}, x_t], (B, H + D)
    return dict(
        h=h,
        c=c,
        cache=cache,
        c_prev=c_prev,
        hx=hx,
        W=dict(i=W_i, f=W_f, g=W_g, o=W_o),
        b=dict(i=b_i, f=b_f, g=b_g, o=b_o),
    )


def test_eq1_forget_gate(step):
    W, b = step["W"]["f"], step["b"]["f"]
    np.testing.assert_allclose(step["cache"].f, _sig(step["hx"] @ W.T + b), rtol=1e-13, atol=1e-14)


def test_eq2_input_gate(step):
    W, b = step["W"]["i"], step["b"]["i"]
    np.testing.assert_allclose(step["cache"].i, _sig(step["hx"] @ W.T + b), rtol=1e-13, atol=1e-14)


def test_eq3_candidate(step):
    W, b = step["W"]["g"], step["b"]["g"]
    np.testing.assert_allclose(step["cache"].g, np.tanh(step["hx"] @ W.T + b), rtol=1e-13, atol=1e-14)


def test_eq4_output_gate(step):
    W, b = step["W"]["o"], step["b"]["o"]
    np.testing.assert_allclose(step["cache"].o, _sig(step["hx"] @ W.T + b), rtol=1e-13, atol=1e-14)


def test_eq3a_cell_update(step):
    k = step["cache"]
    np.testing.assert_array_equal(step["c"], k.f * step["c_prev"] + k.i * k.g)
    np.testing.assert_array_equal(k.c, step["c"])


def test_eq5_hidden_state(step):
    k = step["cache"]
    np.testing.assert_array_equal(step["h"], k.o * np.tanh(step["c"]))
    np.testing.assert_array_equal(k.h, step["h"])


def test_concat_and_split_weights_are_inverse():
    rng = np.random.default_rng(1)
    W_ih, W_hh = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    W = nn.concat_weights(W_ih, W_hh)
    assert W.shape == (8, 5)
    back_ih, back_hh = nn.split_weights(W, hidden_size=2)
    np.testing.assert_array_equal(back_ih, W_ih)
    np.testing.assert_array_equal(back_hh, W_hh)
    h, x = rng.standard_normal(2), rng.standard_normal(3)
    np.testing.assert_allclose(W @ np.concatenate([h, x]), W_hh @ h + W_ih @ x, rtol=1e-13)


def test_lstm_gate_order_is_torch_i_f_g_o():
    """With every weight zero and one gate's bias large, only that gate opens: checks the row order."""
    H = 2
    zeros = np.zeros((1, 1))
    for k, name in enumerate("ifgo"):
        b = np.zeros(4 * H)
        b[k * H : (k + 1) * H] = 50.0
        _, _, cache = nn.lstm_step_forward(
            zeros, np.zeros((1, H)), np.zeros((1, H)), np.zeros((4 * H, 1)), np.zeros((4 * H, H)), b, np.zeros(4 * H)
        )
        expected = {n: (1.0 if n == name else (0.0 if n == "g" else 0.5)) for n in "ifgo"}
        for n in "ifgo":
            assert np.allclose(getattr(cache, n), expected[n]), (name, n)


def _steps(cell, x, h0, c0, params):
    """Hand-stepped loop with the step functions: the reference for the sequence functions."""
    hs, h, c = [], h0, c0
    for x_t in x:
        if cell == "lstm":
            h, c, _ = nn.lstm_step_forward(x_t, h, c, *params)
        else:
            h, _ = getattr(nn, f"{cell}_step_forward")(x_t, h, *params)
        hs.append(h)
    return np.stack(hs), c


def _step_backward(cell, x, h0, c0, params, dh, dh_n):
    caches, h, c = [], h0, c0
    for x_t in x:
        if cell == "lstm":
            h, c, k = nn.lstm_step_forward(x_t, h, c, *params)
        else:
            h, k = getattr(nn, f"{cell}_step_forward")(x_t, h, *params)
        caches.append(k)
    dxs, dh_next, dc_next = [], dh_n, np.zeros_like(h0)
    dparams = [np.zeros_like(p) for p in params]
    for t in range(len(x) - 1, -1, -1):
        if cell == "lstm":
            dx, dh_next, dc_next, *dp = nn.lstm_step_backward(dh[t] + dh_next, dc_next, caches[t])
        else:
            dx, dh_next, *dp = getattr(nn, f"{cell}_step_backward")(dh[t] + dh_next, caches[t])
        dxs.append(dx)
        dparams = [a + b for a, b in zip(dparams, dp)]
    return [np.stack(dxs[::-1]), dh_next] + ([dc_next] if cell == "lstm" else []) + dparams


def _sequence_matches_steps(cell, T, B, D, H, seed, module=nn):
    """``module`` (lstmlib.numpy's loops, or _fast) against a loop written here over the step functions."""
    rng = np.random.default_rng(seed)
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    x, h0, c0 = rng.standard_normal((T, B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    params = [0.5 * rng.standard_normal(s) for s in ((gates * H, D), (gates * H, H), (gates * H,), (gates * H,))]
    dh, dh_n = rng.standard_normal((T, B, H)), rng.standard_normal((B, H))
    stepped_h, stepped_c = _steps(cell, x, h0, c0, params)
    if cell == "lstm":
        h, h_n, c_n, cache = module.lstm_forward(x, h0, c0, *params)
        np.testing.assert_allclose(c_n, stepped_c, rtol=1e-12, atol=1e-13)
        grads = module.lstm_backward(dh, cache, dh_n)
    else:
        h, h_n, cache = getattr(module, f"{cell}_forward")(x, h0, *params)
        grads = getattr(module, f"{cell}_backward")(dh, cache, dh_n)
    np.testing.assert_allclose(h, stepped_h, rtol=1e-12, atol=1e-13)
    np.testing.assert_array_equal(h_n, h[-1])
    for mine, stepped in zip(grads, _step_backward(cell, x, h0, c0, params, dh, dh_n), strict=True):
        np.testing.assert_allclose(mine, stepped, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("T,B", [(1, 1), (1, 4), (9, 1), (6, 3)])
@pytest.mark.parametrize("module", [nn, _fast], ids=["loops", "fast"])
def test_sequence_equals_hand_stepped_cell(cell, T, B, module):
    _sequence_matches_steps(cell, T, B, 3, 4, seed=T * 10 + B, module=module)


@settings(max_examples=25, deadline=None)
@given(
    cell=st.sampled_from(["rnn", "lstm", "gru"]),
    T=st.integers(1, 6),
    B=st.integers(1, 4),
    D=st.integers(1, 5),
    H=st.integers(1, 5),
    seed=st.integers(0, 2**16),
)
def test_property_sequence_equals_steps(cell, T, B, D, H, seed):
    _sequence_matches_steps(cell, T, B, D, H, seed)
    _sequence_matches_steps(cell, T, B, D, H, seed, module=_fast)


@settings(max_examples=25, deadline=None)
@given(
    cls=st.sampled_from([nn.RNN, nn.LSTM, nn.GRU]),
    T=st.integers(1, 5),
    B=st.integers(1, 4),
    D=st.integers(1, 4),
    H=st.integers(1, 4),
    layers=st.integers(1, 2),
    batch_first=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_property_layer_matches_torch_and_shapes(cls, T, B, D, H, layers, batch_first, seed):
    from np_helpers import random_inputs, random_upstream, torch_reference

    model = cls(D, H, num_layers=layers, batch_first=batch_first, seed=seed)
    x, state = random_inputs(model, T, B, seed=seed)
    output, final = model.forward(x, state)
    assert output.shape == ((B, T, H) if batch_first else (T, B, H))
    d_output, d_state = random_upstream(output, final, seed=seed + 1)
    dx, d_state0 = model.backward(d_output, d_state)
    assert dx.shape == x.shape
    ref = torch_reference(model, x, state, d_output, d_state)
    np.testing.assert_allclose(output, ref["output"], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dx, ref["dx"], rtol=1e-10, atol=1e-10)
    for name, g in ref["grads"].items():
        np.testing.assert_allclose(model.grads[name], g, rtol=1e-10, atol=1e-10)


def test_layer_last_output_is_final_hidden_state_and_zero_state_default():
    model = nn.LSTM(3, 4, num_layers=2, seed=0)
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    output, (h_n, c_n) = model.forward(x)
    np.testing.assert_array_equal(output[-1], h_n[-1])
    zeros = np.zeros((2, 2, 4))
    output2, _ = model.forward(x, (zeros, zeros))
    np.testing.assert_array_equal(output, output2)
    assert isinstance(model.backward(np.ones_like(output)), tuple)  # state given: (dx, (dh0, dc0))
    model.forward(x)
    assert isinstance(model.backward(np.ones_like(output)), np.ndarray)  # no state given: dx only
    ref = torch.nn.LSTM(3, 4, num_layers=2).double()
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    np.testing.assert_allclose(c_n, ref(torch.from_numpy(x))[1][1].detach().numpy(), atol=1e-12)


def test_sequence_cache_exposes_every_steps_gates():
    """lstm_forward's cache holds each step's cache; the fast cache holds i, f, g, o of every step in
    one (T, 4, B, H) array; both equal to the step function's gates."""
    rng = np.random.default_rng(3)
    T, B, D, H = 3, 2, 3, 4
    x, h0, c0 = rng.standard_normal((T, B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    params = [0.5 * rng.standard_normal(s) for s in ((4 * H, D), (4 * H, H), (4 * H,), (4 * H,))]
    *_, cache = nn.lstm_forward(x, h0, c0, *params)
    *_, fast_cache = _fast.lstm_forward(x, h0, c0, *params)
    assert isinstance(cache, nn.LSTMCache) and len(cache.steps) == T
    assert isinstance(fast_cache, _fast.LSTMFastCache) and fast_cache.gates.shape == (T, 4, B, H)
    h, c = h0, c0
    for t in range(T):
        h, c, step = nn.lstm_step_forward(x[t], h, c, *params)
        for k, name in enumerate("ifgo"):
            np.testing.assert_array_equal(getattr(cache.steps[t], name), getattr(step, name))
            np.testing.assert_allclose(fast_cache.gates[t, k], getattr(step, name), rtol=1e-12, atol=1e-14)


def test_step_without_cache_equals_step_forward():
    rng = np.random.default_rng(4)
    B, D, H = 2, 3, 4
    x, h, c = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    for cell, gates in (("rnn", 1), ("lstm", 4), ("gru", 3)):
        params = [0.5 * rng.standard_normal(s) for s in ((gates * H, D), (gates * H, H), (gates * H,), (gates * H,))]
        if cell == "lstm":
            h1, c1, _ = nn.lstm_step_forward(x, h, c, *params)
            out = nn.lstm_step(x, h, c, *params)
            assert isinstance(out, tuple) and len(out) == 2
            np.testing.assert_array_equal(out[0], h1)
            np.testing.assert_array_equal(out[1], c1)
        else:
            h1, _ = getattr(nn, f"{cell}_step_forward")(x, h, *params)
            np.testing.assert_array_equal(getattr(nn, f"{cell}_step")(x, h, *params), h1)
