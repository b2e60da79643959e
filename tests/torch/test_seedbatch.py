"""lstmlib.torch.seedbatch: S stacked members compute exactly what S separate torch.nn modules compute."""

import re

import pytest
import torch

from lstmlib.torch import LSTM as CourseLSTM
from lstmlib.torch.seedbatch import (
    SeedBatchedAdam,
    SeedBatchedLinear,
    SeedBatchedLSTM,
    SeedBatchedRNN,
    clip_grad_norm_per_member,
    init_gate_bias,
    seedbatch_lstm_forward,
    seedbatch_rnn_forward,
)

S, T, B, D, H = 3, 6, 4, 2, 5


def _inputs(dtype=torch.float64):
    torch.manual_seed(1)
    return torch.randn(T, S, B, D, dtype=dtype)


def _loss(output, h_n):
    return output.sin().sum() + (h_n * h_n).sum()  # reaches every step's output and the final state


def test_lstm_members_equal_torch_nn_lstm_in_values_and_gradients():
    torch.manual_seed(0)
    layers = [torch.nn.LSTM(D, H).double() for _ in range(S)]
    stacked = SeedBatchedLSTM.stack(layers)
    x = _inputs().requires_grad_(True)
    output, (h_n, c_n) = stacked(x)
    _loss(output, h_n + c_n).backward()
    for s, layer in enumerate(layers):
        x_s = x.detach()[:, s].clone().requires_grad_(True)
        out_s, (h_s, c_s) = layer(x_s)
        _loss(out_s, h_s[0] + c_s[0]).backward()
        torch.testing.assert_close(output[:, s], out_s)
        torch.testing.assert_close(c_n[s], c_s[0])
        torch.testing.assert_close(x.grad[:, s], x_s.grad)
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            torch.testing.assert_close(getattr(stacked, name).grad[s], getattr(layer, f"{name}_l0").grad)


def test_lstm_stacks_the_course_lstm_too_and_unstacks_to_torch_nn():
    torch.manual_seed(0)
    layers = [CourseLSTM(D, H) for _ in range(S)]
    stacked = SeedBatchedLSTM.stack(layers)
    x = _inputs(torch.float32)
    for s, layer in enumerate(stacked.unstack()):
        assert isinstance(layer, torch.nn.LSTM)
        torch.testing.assert_close(layer(x[:, s])[0], layers[s](x[:, s])[0])
        torch.testing.assert_close(stacked(x)[0][:, s], layers[s](x[:, s])[0])


def test_rnn_members_with_their_own_nonlinearity_equal_torch_nn_rnn():
    torch.manual_seed(0)
    layers = [torch.nn.RNN(D, H, nonlinearity=kind).double() for kind in ("tanh", "relu", "relu")]
    stacked = SeedBatchedRNN.stack(layers)
    assert stacked.nonlinearity == ("tanh", "relu", "relu")
    x = _inputs().requires_grad_(True)
    output, h_n = stacked(x)
    _loss(output, h_n).backward()
    for s, layer in enumerate(layers):
        x_s = x.detach()[:, s].clone().requires_grad_(True)
        out_s, h_s = layer(x_s)
        _loss(out_s, h_s[0]).backward()
        torch.testing.assert_close(output[:, s], out_s)
        torch.testing.assert_close(x.grad[:, s], x_s.grad)
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            torch.testing.assert_close(getattr(stacked, name).grad[s], getattr(layer, f"{name}_l0").grad)
    for s, layer in enumerate(stacked.unstack()):
        assert layer.nonlinearity == layers[s].nonlinearity
        torch.testing.assert_close(layer(x.detach()[:, s])[0], output.detach()[:, s])


def test_lstm_backward_passes_gradcheck():
    torch.manual_seed(0)
    x = torch.randn(4, 2, 3, 2, dtype=torch.float64, requires_grad=True)
    h0, c0 = (torch.randn(2, 3, 3, dtype=torch.float64, requires_grad=True) for _ in range(2))
    W_ih = torch.randn(2, 12, 2, dtype=torch.float64, requires_grad=True)
    W_hh = torch.randn(2, 12, 3, dtype=torch.float64, requires_grad=True)
    b_ih, b_hh = (torch.randn(2, 12, dtype=torch.float64, requires_grad=True) for _ in range(2))
    assert torch.autograd.gradcheck(seedbatch_lstm_forward, (x, h0, c0, W_ih, W_hh, b_ih, b_hh))


@pytest.mark.parametrize("kinds", [("tanh", "tanh"), ("relu", "tanh")])
def test_rnn_backward_passes_gradcheck(kinds):
    torch.manual_seed(0)
    x = torch.randn(4, 2, 3, 2, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2, 3, 3, dtype=torch.float64, requires_grad=True)
    W_ih = torch.randn(2, 3, 2, dtype=torch.float64, requires_grad=True)
    W_hh = torch.randn(2, 3, 3, dtype=torch.float64, requires_grad=True)
    b_ih, b_hh = (torch.randn(2, 3, dtype=torch.float64, requires_grad=True) for _ in range(2))
    assert torch.autograd.gradcheck(lambda *a: seedbatch_rnn_forward(*a, kinds), (x, h0, W_ih, W_hh, b_ih, b_hh))


def test_linear_members_equal_torch_nn_linear_at_last_step_and_every_step():
    torch.manual_seed(0)
    heads = [torch.nn.Linear(H, 3).double() for _ in range(S)]
    stacked = SeedBatchedLinear.stack(heads)
    h = torch.randn(T, S, B, H, dtype=torch.float64)
    every, last = stacked(h), stacked(h[-1])
    for s, head in enumerate(heads):
        torch.testing.assert_close(every[:, s], head(h[:, s]))
        torch.testing.assert_close(last[s], head(h[-1, s]))


def test_init_gate_bias_sets_one_gate_of_chosen_members():
    torch.manual_seed(0)
    lstm = SeedBatchedLSTM(S, D, H)
    before = lstm.bias_ih.detach().clone()
    init_gate_bias(lstm, "f", 5.0, members=[0, 2])
    assert (lstm.bias_ih[[0, 2], H : 2 * H] == 5.0).all() and (lstm.bias_hh[[0, 2], H : 2 * H] == 0).all()
    torch.testing.assert_close(lstm.bias_ih[1], before[1])  # member 1 untouched
    torch.testing.assert_close(lstm.bias_ih[:, :H], before[:, :H])  # other gates untouched
    with pytest.raises(ValueError, match=re.escape("gate must be one of ('i', 'f', 'g', 'o'); got 'x'")):
        init_gate_bias(lstm, "x", 1.0)


def test_clip_per_member_is_torch_clip_on_each_member_alone():
    torch.manual_seed(0)
    params = [torch.nn.Parameter(torch.randn(S, 4, 3)), torch.nn.Parameter(torch.randn(S, 4))]
    grads = [torch.randn(S, 4, 3) * torch.tensor([0.1, 3.0, 10.0]).view(S, 1, 1), torch.randn(S, 4)]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    norms = clip_grad_norm_per_member(params, 1.0)
    for s in range(S):
        alone = [torch.nn.Parameter(p.detach()[s].clone()) for p in params]
        for a, g in zip(alone, grads):
            a.grad = g[s].clone()
        norm = torch.nn.utils.clip_grad_norm_(alone, 1.0)
        torch.testing.assert_close(norms[s], norm)
        for a, p in zip(alone, params):
            torch.testing.assert_close(p.grad[s], a.grad)


def test_adam_with_one_step_size_per_member_equals_torch_adam_per_member():
    torch.manual_seed(0)
    lrs = [1e-3, 1e-2, 3e-2]
    stacked = torch.nn.Parameter(torch.randn(S, 4, 2))
    alone = [torch.nn.Parameter(stacked.detach()[s].clone()) for s in range(S)]
    ours = SeedBatchedAdam([stacked], torch.tensor(lrs))
    theirs = [torch.optim.Adam([p], lr=lr) for p, lr in zip(alone, lrs)]
    for _ in range(5):
        ours.zero_grad()
        (stacked**3).sum().backward()
        ours.step()
        for p, optimizer in zip(alone, theirs):
            optimizer.zero_grad()
            (p**3).sum().backward()
            optimizer.step()
    for s in range(S):
        torch.testing.assert_close(stacked.detach()[s], alone[s].detach())


def test_adam_leaves_inactive_members_where_they_are():
    stacked = torch.nn.Parameter(torch.ones(S, 2))
    optimizer = SeedBatchedAdam([stacked], 0.1)
    stacked.grad = torch.ones(S, 2)
    optimizer.step(torch.tensor([True, False, True]))
    assert (stacked[1] == 1).all() and (stacked[[0, 2]] < 1).all()


def test_bad_shapes_name_what_was_expected_and_what_came():
    lstm = SeedBatchedLSTM(S, D, H)
    expected = "x must have shape (T, 3, B, 2) (time, members, batch, features); got (6, 2, 4, 2)"
    with pytest.raises(ValueError, match=re.escape(expected)):
        lstm(torch.zeros(6, 2, 4, 2))
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh', 'relu' or 3 of them; got 'sigmoid'"):
        SeedBatchedRNN(S, D, H, "sigmoid")
    with pytest.raises(ValueError, match="members must be a positive integer; got 0"):
        SeedBatchedLSTM(0, D, H)
    with pytest.raises(ValueError, match=re.escape("lr must be positive, a float or one per member (3,)")):
        SeedBatchedAdam([torch.nn.Parameter(torch.zeros(S, 2))], torch.tensor([0.1, 0.1]))
