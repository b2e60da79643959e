"""The building blocks: each step follows its equations; the fast sequence functions (``_fast``, hand-written
backward) equal the readable loops in values and gradients; both pass gradcheck; a wrong backward fails it."""

import pytest
import torch

from lstmlib.torch import (
    GRU,
    LSTM,
    RNN,
    _fast,
    gru_forward,
    gru_step,
    lstm_forward,
    lstm_step,
    rnn_forward,
    rnn_step,
)

GRADCHECK = {"eps": 1e-6, "atol": 1e-8, "rtol": 1e-6}


def _rand(g, *shape):
    return torch.randn(*shape, generator=g, dtype=torch.float64).requires_grad_()


def _inputs(kind, T, B, D, H, bias=True, seed=0):
    """(x, h0, [c0,] weight_ih, weight_hh, bias_ih, bias_hh[, weight_hr]) for one layer of ``kind``."""
    g = torch.Generator().manual_seed(seed)
    if kind == "lstm-proj":  # torch.nn's proj_size P = H - 1: h is (B, P), weight_hh (4H, P), weight_hr (P, H)
        P = max(H - 1, 1)
        biases = [_rand(g, 4 * H), _rand(g, 4 * H)] if bias else [None, None]
        x, h0, c0 = _rand(g, T, B, D), _rand(g, B, P), _rand(g, B, H)
        return (x, h0, c0, _rand(g, 4 * H, D), _rand(g, 4 * H, P), *biases, _rand(g, P, H))
    G = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    states = [_rand(g, B, H)] * 1 + ([_rand(g, B, H)] if kind == "lstm" else [])
    biases = [_rand(g, G * H), _rand(g, G * H)] if bias else [None, None]
    return (_rand(g, T, B, D), *states, _rand(g, G * H, D), _rand(g, G * H, H), *biases)


LOOPS = {
    "rnn-tanh": (rnn_forward, _fast.rnn_forward, "rnn", {}),
    "rnn-relu": (rnn_forward, _fast.rnn_forward, "rnn", {"nonlinearity": "relu"}),
    "lstm": (lstm_forward, _fast.lstm_forward, "lstm", {}),
    "lstm-proj": (lstm_forward, _fast.lstm_forward, "lstm-proj", {}),
    "gru": (gru_forward, _fast.gru_forward, "gru", {}),
}
SHAPES = [(4, 3, 2, 3, True), (1, 1, 2, 2, True), (3, 2, 3, 2, False), (7, 5, 4, 6, True)]


def _shape_id(shape):
    T, B, D, H, bias = shape
    return f"T{T}-B{B}-D{D}-H{H}" + ("" if bias else "-nobias")


@pytest.mark.parametrize("shape", SHAPES, ids=_shape_id)
@pytest.mark.parametrize("name", list(LOOPS))
def test_fast_equals_loop_values_and_gradients(name, shape):
    """The fast path (hand-written backward) against autograd through the readable loop over the step."""
    loop, fast, kind, options = LOOPS[name]
    inputs = _inputs(kind, *shape)
    results = {}
    for label, forward in (("loop", loop), ("fast", fast)):
        output, *finals = forward(*inputs, **options)
        # weight every output differently so that no gradient is trivially symmetric
        weights = torch.linspace(-1, 2, output.numel(), dtype=torch.float64).view_as(output)
        loss = (output * weights).sum() + (output**3).sum() + sum((s**2).sum() for s in finals)
        params = [p for p in inputs if p is not None]
        results[label] = (output, finals, torch.autograd.grad(loss, params))
    (out_l, fin_l, grads_l), (out_f, fin_f, grads_f) = results["loop"], results["fast"]
    torch.testing.assert_close(out_f, out_l, rtol=1e-12, atol=1e-12)
    for a, b in zip(fin_f, fin_l, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    for a, b in zip(grads_f, grads_l, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("path", ["loop", "fast"])
@pytest.mark.parametrize("shape", SHAPES[:3], ids=_shape_id)
@pytest.mark.parametrize("name", list(LOOPS))
def test_gradcheck(name, shape, path):
    """Both paths against centred finite differences, every input and parameter."""
    loop, fast, kind, options = LOOPS[name]
    forward = loop if path == "loop" else fast
    inputs = _inputs(kind, *shape, seed=1)
    assert torch.autograd.gradcheck(lambda *a: forward(*a, **options), inputs, **GRADCHECK)


@pytest.mark.parametrize(
    "layer, index, make",
    [
        ("_LSTMLayer", 2, lambda: _inputs("lstm", 3, 2, 2, 3)),  # dc_0 off by 1 %
        ("_RNNLayer", 3, lambda: _inputs("rnn", 4, 2, 3, 3, seed=2)),  # dW_hh off by 1 %
        ("_LSTMProjectedLayer", 7, lambda: _inputs("lstm-proj", 3, 2, 2, 3)),  # dW_hr off by 1 %
    ],
    ids=["lstm-dc0", "rnn-dW_hh", "lstm-proj-dW_hr"],
)
def test_gradcheck_catches_a_wrong_backward(monkeypatch, layer, index, make):
    """gradcheck is not vacuous: a hand-written backward with one gradient 1 % off must fail it."""
    function = getattr(_fast, layer)
    forward = _fast.rnn_forward if layer == "_RNNLayer" else _fast.lstm_forward
    inputs = make()
    assert torch.autograd.gradcheck(forward, inputs, **GRADCHECK)
    original = function.backward

    def broken(ctx, *grads_out):
        grads = list(original(ctx, *grads_out))
        grads[index] = grads[index] * 1.01
        return tuple(grads)

    monkeypatch.setattr(function, "backward", staticmethod(broken))
    assert not torch.autograd.gradcheck(forward, inputs, **GRADCHECK, raise_exception=False)


def test_lstm_step_equations():
    """lstm_step computes (1)-(5) and (3a) as written: each against the formula on the stacked gates."""
    g = torch.Generator().manual_seed(1)
    B, D, H = 2, 3, 4
    x, h_prev, c_prev = (torch.randn(*s, generator=g, dtype=torch.float64) for s in [(B, D), (B, H), (B, H)])
    w_ih, w_hh = torch.randn(4 * H, D, generator=g, dtype=torch.float64), torch.randn(4 * H, H, generator=g)
    w_hh = w_hh.double()
    b_ih, b_hh = torch.randn(4 * H, generator=g, dtype=torch.float64), torch.randn(4 * H, generator=g).double()
    h, c = lstm_step(x, h_prev, c_prev, w_ih, w_hh, b_ih, b_hh)
    W = torch.cat([w_hh, w_ih], 1)  # W·[h_{t-1}, x_t]
    hx = torch.cat([h_prev, x], 1)
    W_i, W_f, W_C, W_o = W.split(H)
    b_i, b_f, b_C, b_o = (b_ih + b_hh).split(H)
    f = torch.sigmoid(hx @ W_f.T + b_f)  # (1)
    i = torch.sigmoid(hx @ W_i.T + b_i)  # (2)
    candidate = torch.tanh(hx @ W_C.T + b_C)  # (3)
    o = torch.sigmoid(hx @ W_o.T + b_o)  # (4)
    torch.testing.assert_close(c, f * c_prev + i * candidate, rtol=1e-12, atol=1e-12)  # (3a)
    torch.testing.assert_close(h, o * torch.tanh(c), rtol=1e-12, atol=1e-12)  # (5)
    # the projection of torch.nn's proj_size: h_t = W_hr (o_t ⊙ tanh C_t)
    w_hr = torch.randn(2, H, generator=g, dtype=torch.float64)
    h_proj, c_proj = lstm_step(x, h_prev, c_prev, w_ih, w_hh, b_ih, b_hh, W_hr=w_hr)
    torch.testing.assert_close(h_proj, (o * torch.tanh(c)) @ w_hr.T, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(c_proj, c, rtol=0, atol=0)


def test_gru_and_rnn_step_equations():
    g = torch.Generator().manual_seed(2)
    B, D, H = 2, 3, 4
    x, h_prev = torch.randn(B, D, generator=g, dtype=torch.float64), torch.randn(B, H, generator=g).double()
    w_ih, w_hh = torch.randn(3 * H, D, generator=g).double(), torch.randn(3 * H, H, generator=g).double()
    b_ih, b_hh = torch.randn(3 * H, generator=g).double(), torch.randn(3 * H, generator=g).double()
    (W_ir, W_iz, W_in), (W_hr, W_hz, W_hn) = w_ih.split(H), w_hh.split(H)
    (b_ir, b_iz, b_in), (b_hr, b_hz, b_hn) = b_ih.split(H), b_hh.split(H)
    r = torch.sigmoid(x @ W_ir.T + b_ir + h_prev @ W_hr.T + b_hr)  # (G1)
    z = torch.sigmoid(x @ W_iz.T + b_iz + h_prev @ W_hz.T + b_hz)  # (G2)
    n = torch.tanh(x @ W_in.T + b_in + r * (h_prev @ W_hn.T + b_hn))  # (G3)
    expected = (1 - z) * n + z * h_prev  # (G4)
    torch.testing.assert_close(gru_step(x, h_prev, w_ih, w_hh, b_ih, b_hh), expected, rtol=1e-12, atol=1e-12)
    pre = x @ w_ih[:H].T + b_ih[:H] + h_prev @ w_hh[:H].T + b_hh[:H]
    got = rnn_step(x, h_prev, w_ih[:H], w_hh[:H], b_ih[:H], b_hh[:H])
    torch.testing.assert_close(got, torch.tanh(pre), rtol=1e-12, atol=1e-12)  # (R1)
    got = rnn_step(x, h_prev, w_ih[:H], w_hh[:H], b_ih[:H], b_hh[:H], nonlinearity="relu")
    torch.testing.assert_close(got, torch.relu(pre), rtol=1e-12, atol=1e-12)


def test_rnn_step_rejects_an_unknown_nonlinearity():
    x, h = torch.zeros(1, 2), torch.zeros(1, 3)
    with pytest.raises(ValueError, match=r"nonlinearity must be 'tanh' or 'relu'; got 'sig'"):
        rnn_step(x, h, torch.zeros(3, 2), torch.zeros(3, 3), nonlinearity="sig")
    with pytest.raises(ValueError, match=r"nonlinearity must be 'tanh' or 'relu'; got 'sig'"):
        _fast.rnn_forward(x[None], h, torch.zeros(3, 2), torch.zeros(3, 3), nonlinearity="sig")


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "loop"])
@pytest.mark.parametrize("cls, step", [(RNN, rnn_step), (GRU, gru_step), (LSTM, lstm_step)], ids=["RNN", "GRU", "LSTM"])
def test_module_equals_hand_stepped_loop(cls, step, fast):
    torch.manual_seed(0)
    model = cls(3, 4, fast=fast).double()
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    output, final = model(x)
    weights = (model.weight_ih_l0, model.weight_hh_l0, model.bias_ih_l0, model.bias_hh_l0)
    h = torch.zeros(2, 4, dtype=torch.float64)
    c = torch.zeros(2, 4, dtype=torch.float64)
    for t in range(5):
        if cls is LSTM:
            h, c = step(x[t], h, c, *weights)
        else:
            h = step(x[t], h, *weights)
        torch.testing.assert_close(output[t], h, rtol=1e-12, atol=1e-12)
    final_h = final[0] if cls is LSTM else final
    torch.testing.assert_close(final_h[0], h, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "options",
    [{}, {"num_layers": 2, "bidirectional": True}, {"bias": False, "batch_first": True}, {"nonlinearity": "relu"}],
    ids=["plain", "2-layers-bidirectional", "nobias-batch-first", "relu"],
)
@pytest.mark.parametrize("cls", [RNN, LSTM, GRU], ids=["RNN", "LSTM", "GRU"])
def test_module_fast_equals_loop(cls, options):
    """The classes: fast=True and fast=False on one state_dict, same outputs, states and gradients."""
    if "nonlinearity" in options and cls is not RNN:
        options = {}
    torch.manual_seed(0)
    models = [cls(3, 4, fast=fast, **options).double() for fast in (True, False)]
    models[1].load_state_dict(models[0].state_dict())
    x = torch.randn(5, 2, 3, dtype=torch.float64, requires_grad=True)
    results = []
    for model in models:
        output, final = model(x)
        finals = final if isinstance(final, tuple) else (final,)
        loss = (output**3).sum() + sum((s**2).sum() for s in finals)
        results.append((output, finals, torch.autograd.grad(loss, [x, *model.parameters()])))
    (out_f, fin_f, g_f), (out_l, fin_l, g_l) = results
    torch.testing.assert_close(out_f, out_l, rtol=1e-12, atol=1e-12)
    for a, b in zip(fin_f + g_f, fin_l + g_l, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


def test_rnn_relu_matches_torch_nn():
    torch.manual_seed(0)
    ref = torch.nn.RNN(3, 4, nonlinearity="relu").double()
    ours = RNN(3, 4, nonlinearity="relu").double()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    torch.testing.assert_close(ours(x)[0], ref(x)[0], rtol=1e-10, atol=1e-10)
