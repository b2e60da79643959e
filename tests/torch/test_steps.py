"""The building blocks: hand-written LSTM backward (gradcheck), step functions against the layers."""

import pytest
import torch

from lstmlib.torch import (
    GRU,
    LSTM,
    RNN,
    gru_forward,
    gru_step,
    lstm_cell,
    lstm_forward,
    lstm_step,
    rnn_forward,
    rnn_step,
)


def _lstm_inputs(T, B, D, H, bias=True, seed=0):
    g = torch.Generator().manual_seed(seed)

    def rand(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64).requires_grad_()

    return (
        rand(T, B, D),
        rand(B, H),
        rand(B, H),
        rand(4 * H, D),
        rand(4 * H, H),
        rand(4 * H) if bias else None,
        rand(4 * H) if bias else None,
    )


@pytest.mark.parametrize("T, B, D, H, bias", [(4, 3, 2, 3, True), (1, 1, 2, 2, True), (3, 2, 3, 2, False)])
def test_lstm_forward_gradcheck(T, B, D, H, bias):
    """The hand-written BPTT against centred finite differences, every input and parameter."""
    inputs = _lstm_inputs(T, B, D, H, bias)
    assert torch.autograd.gradcheck(lstm_forward, inputs, eps=1e-6, atol=1e-8, rtol=1e-6)


def test_lstm_forward_gradcheck_catches_a_wrong_backward(monkeypatch):
    """gradcheck is not vacuous: break the backward's forget-gate path and it must fail."""
    from lstmlib.torch import lstm as lstm_module

    original = lstm_module._LSTMLayer.backward

    def broken(ctx, d_output, d_h_n, d_c_n):
        grads = list(original(ctx, d_output, d_h_n, d_c_n))
        grads[2] = grads[2] * 1.01  # dc_0 off by 1 %
        return tuple(grads)

    monkeypatch.setattr(lstm_module._LSTMLayer, "backward", staticmethod(broken))
    inputs = _lstm_inputs(3, 2, 2, 3)
    assert not torch.autograd.gradcheck(lstm_forward, inputs, eps=1e-6, atol=1e-8, rtol=1e-6, raise_exception=False)


def test_lstm_forward_equals_autograd_of_lstm_step():
    """The layer (fast loop, hand-written backward) against a plain autograd loop of lstm_step."""
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = _lstm_inputs(6, 3, 4, 5)
    output, h_n, c_n = lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    h, c, steps = h0, c0, []
    for t in range(x.shape[0]):
        h, c = lstm_step(x[t], h, c, w_ih, w_hh, b_ih, b_hh)
        steps.append(h)
    torch.testing.assert_close(output, torch.stack(steps), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(h_n, h, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(c_n, c, rtol=1e-12, atol=1e-12)
    params = (x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    grads_fast = torch.autograd.grad((output**3).sum() + c_n.sum(), params)
    grads_loop = torch.autograd.grad((torch.stack(steps) ** 3).sum() + c.sum(), params)
    for fast, loop in zip(grads_fast, grads_loop):
        torch.testing.assert_close(fast, loop, rtol=1e-10, atol=1e-10)


def test_lstm_cell_equations():
    """lstm_cell computes (1)-(5) as written: check each against the formula."""
    g = torch.Generator().manual_seed(1)
    B, H = 2, 3
    gates = torch.randn(B, 4 * H, generator=g, dtype=torch.float64)
    c_prev = torch.randn(B, H, generator=g, dtype=torch.float64)
    h, c, (sigmoids, candidate, tanh_c) = lstm_cell(gates, c_prev)
    a_i, a_f, a_g, a_o = gates.split(H, dim=1)
    i, f, o = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.sigmoid(a_o)
    torch.testing.assert_close(candidate, torch.tanh(a_g))
    torch.testing.assert_close(c, f * c_prev + i * torch.tanh(a_g))
    torch.testing.assert_close(h, o * torch.tanh(c))
    torch.testing.assert_close(tanh_c, torch.tanh(c))


@pytest.mark.parametrize("cls, step", [(RNN, rnn_step), (GRU, gru_step), (LSTM, lstm_step)], ids=["RNN", "GRU", "LSTM"])
def test_module_equals_hand_stepped_loop(cls, step):
    torch.manual_seed(0)
    model = cls(3, 4).double()
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


def test_rnn_relu_matches_torch_nn():
    torch.manual_seed(0)
    ref = torch.nn.RNN(3, 4, nonlinearity="relu").double()
    ours = RNN(3, 4, nonlinearity="relu").double()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    torch.testing.assert_close(ours(x)[0], ref(x)[0], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("forward, gates", [(rnn_forward, 1), (gru_forward, 3)], ids=["rnn", "gru"])
def test_sequence_functions_gradcheck(forward, gates):
    g = torch.Generator().manual_seed(0)
    T, B, D, H = 3, 2, 2, 3

    def rand(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64).requires_grad_()

    inputs = (rand(T, B, D), rand(B, H), rand(gates * H, D), rand(gates * H, H), rand(gates * H), rand(gates * H))
    assert torch.autograd.gradcheck(forward, inputs, eps=1e-6, atol=1e-8, rtol=1e-6)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("T, B, D, H, bias", [(4, 3, 2, 3, True), (1, 1, 2, 2, True), (3, 2, 3, 2, False)])
def test_rnn_forward_gradcheck(T, B, D, H, bias, nonlinearity):
    """The RNN's hand-written BPTT against centred finite differences, every input and parameter."""
    g = torch.Generator().manual_seed(1)

    def rand(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64).requires_grad_()

    inputs = (rand(T, B, D), rand(B, H), rand(H, D), rand(H, H), rand(H) if bias else None, rand(H) if bias else None)
    assert torch.autograd.gradcheck(
        lambda *a: rnn_forward(*a, nonlinearity=nonlinearity), inputs, eps=1e-6, atol=1e-8, rtol=1e-6
    )


def test_rnn_forward_gradcheck_catches_a_wrong_backward(monkeypatch):
    """gradcheck is not vacuous: a recurrent-weight gradient 1 % off must fail it."""
    from lstmlib.torch import rnn as rnn_module

    original = rnn_module._RNNLayer.backward

    def broken(ctx, d_output, d_h_n):
        grads = list(original(ctx, d_output, d_h_n))
        grads[3] = grads[3] * 1.01  # dW_hh off by 1 %
        return tuple(grads)

    g = torch.Generator().manual_seed(2)
    inputs = tuple(
        torch.randn(*s, generator=g, dtype=torch.float64).requires_grad_()
        for s in [(4, 2, 3), (2, 3), (3, 3), (3, 3), (3,), (3,)]
    )
    assert torch.autograd.gradcheck(rnn_forward, inputs, eps=1e-6, atol=1e-8, rtol=1e-6)
    monkeypatch.setattr(rnn_module._RNNLayer, "backward", staticmethod(broken))
    assert not torch.autograd.gradcheck(rnn_forward, inputs, eps=1e-6, atol=1e-8, rtol=1e-6, raise_exception=False)
