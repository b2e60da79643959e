"""The peephole LSTM and the forget-gate bias: equations, a hand-stepped loop, torch.nn, gradcheck."""

import numpy as np
import pytest
import torch

from lstmlib.torch import GRU, LSTM, _fast
from lstmlib.torch.variants import PeepholeLSTM, init_forget_bias, peephole_lstm_forward, peephole_lstm_step


def _inputs(T, B, D, H, bias=True, seed=0):
    g = torch.Generator().manual_seed(seed)

    def rand(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64).requires_grad_()

    return (
        rand(T, B, D),
        rand(B, H),
        rand(B, H),
        rand(4 * H, D),
        rand(4 * H, H),
        rand(3 * H),
        rand(4 * H) if bias else None,
        rand(4 * H) if bias else None,
    )


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_step_follows_the_equations():
    """peephole_lstm_step against (1p), (2p), (3), (3a), (4p), (5) written out in NumPy."""
    x, h, c, w_ih, w_hh, w_ch, b_ih, b_hh = (t.detach().numpy() for t in _inputs(1, 3, 2, 4, seed=3))
    x = x[0]
    H = 4
    z = x @ w_ih.T + h @ w_hh.T + b_ih + b_hh
    i = _sigmoid(z[:, :H] + w_ch[:H] * c)
    f = _sigmoid(z[:, H : 2 * H] + w_ch[H : 2 * H] * c)
    g = np.tanh(z[:, 2 * H : 3 * H])
    c_new = f * c + i * g
    o = _sigmoid(z[:, 3 * H :] + w_ch[2 * H :] * c_new)  # the output gate peeks at the new cell
    h_new = o * np.tanh(c_new)
    args = [torch.from_numpy(a) for a in (x, h, c, w_ih, w_hh, w_ch, b_ih, b_hh)]
    h_got, c_got = peephole_lstm_step(*args)
    np.testing.assert_allclose(h_got.numpy(), h_new, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c_got.numpy(), c_new, rtol=1e-12, atol=1e-12)


def test_peepholes_change_the_output():
    """Not vacuous: nonzero peepholes give a different h than zero peepholes."""
    x, h, c, w_ih, w_hh, w_ch, b_ih, b_hh = _inputs(1, 2, 3, 4)
    with torch.no_grad():
        h1, _ = peephole_lstm_step(x[0], h, c, w_ih, w_hh, w_ch, b_ih, b_hh)
        h0, _ = peephole_lstm_step(x[0], h, c, w_ih, w_hh, torch.zeros_like(w_ch), b_ih, b_hh)
    assert (h1 - h0).abs().max() > 1e-3


@pytest.mark.parametrize("bias", [True, False])
def test_fast_forward_equals_hand_stepped_loop(bias):
    """_fast.peephole_lstm_forward (hand-written backward) against autograd through peephole_lstm_step."""
    x, h0, c0, w_ih, w_hh, w_ch, b_ih, b_hh = _inputs(5, 3, 2, 4, bias)
    output, h_n, c_n = _fast.peephole_lstm_forward(x, h0, c0, w_ih, w_hh, w_ch, b_ih, b_hh)
    h, c, steps = h0, c0, []
    for t in range(x.shape[0]):
        h, c = peephole_lstm_step(x[t], h, c, w_ih, w_hh, w_ch, b_ih, b_hh)
        steps.append(h)
    torch.testing.assert_close(output, torch.stack(steps), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(h_n, h, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(c_n, c, rtol=1e-12, atol=1e-12)
    # the hand-written backward against autograd through the hand-stepped loop
    params = tuple(p for p in (x, h0, c0, w_ih, w_hh, w_ch, b_ih, b_hh) if p is not None)
    grads_fast = torch.autograd.grad((output**3).sum() + (c_n**2).sum() + h_n.sum(), params)
    grads_loop = torch.autograd.grad((torch.stack(steps) ** 3).sum() + (c**2).sum() + h.sum(), params)
    for fast, loop in zip(grads_fast, grads_loop):
        torch.testing.assert_close(fast, loop, rtol=1e-10, atol=1e-10)


def test_gradcheck_catches_a_wrong_backward(monkeypatch):
    """gradcheck is not vacuous: a peephole gradient 1 % off must fail it."""
    original = _fast._PeepholeLSTMLayer.backward

    def broken(ctx, d_output, d_h_n, d_c_n):
        grads = list(original(ctx, d_output, d_h_n, d_c_n))
        grads[5] = grads[5] * 1.01  # d weight_ch off by 1 %
        return tuple(grads)

    inputs = _inputs(3, 2, 2, 3)
    assert torch.autograd.gradcheck(_fast.peephole_lstm_forward, inputs, eps=1e-6, atol=1e-8, rtol=1e-6)
    monkeypatch.setattr(_fast._PeepholeLSTMLayer, "backward", staticmethod(broken))
    assert not torch.autograd.gradcheck(
        _fast.peephole_lstm_forward, inputs, eps=1e-6, atol=1e-8, rtol=1e-6, raise_exception=False
    )


@pytest.mark.parametrize("T, B, D, H, bias", [(4, 3, 2, 3, True), (1, 1, 2, 2, True), (3, 2, 3, 2, False)])
@pytest.mark.parametrize("path", ["loop", "fast"])
def test_forward_gradcheck(T, B, D, H, bias, path):
    """Gradients of every input and parameter (peepholes included) against finite differences."""
    inputs = _inputs(T, B, D, H, bias)
    forward = peephole_lstm_forward if path == "loop" else _fast.peephole_lstm_forward
    assert torch.autograd.gradcheck(forward, inputs, eps=1e-6, atol=1e-8, rtol=1e-6)


def test_module_gradcheck_two_layers_bidirectional():
    torch.manual_seed(0)
    model = PeepholeLSTM(2, 3, num_layers=2, bidirectional=True, dtype=torch.float64)
    x = torch.randn(4, 2, 2, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(4, 2, 3, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(4, 2, 3, dtype=torch.float64, requires_grad=True)
    params = tuple(model.parameters())

    def run(x, h0, c0, *weights):
        state = dict(zip([n for n, _ in model.named_parameters()], weights))
        out, (h_n, c_n) = torch.func.functional_call(model, state, (x, (h0, c0)))
        return out, h_n, c_n

    assert torch.autograd.gradcheck(run, (x, h0, c0, *params), eps=1e-6, atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize(
    "num_layers, bidirectional, batch_first", [(1, False, False), (2, True, False), (2, False, True)]
)
def test_zero_peepholes_equal_torch_nn_lstm(num_layers, bidirectional, batch_first):
    """With p = 0 the module is torch.nn.LSTM on the same state_dict."""
    torch.manual_seed(1)
    ours = PeepholeLSTM(
        3, 5, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first, dtype=torch.float64
    )
    ref = torch.nn.LSTM(
        3, 5, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first, dtype=torch.float64
    )
    missing, unexpected = ref.load_state_dict(ours.state_dict(), strict=False)
    assert not missing and all(k.startswith("weight_ch") for k in unexpected)
    with torch.no_grad():
        for name, p in ours.named_parameters():
            if name.startswith("weight_ch"):
                p.zero_()
    x = torch.randn(6, 2, 3, dtype=torch.float64)
    out, (h_n, c_n) = ours(x)
    out_ref, (h_ref, c_ref) = ref(x)
    torch.testing.assert_close(out, out_ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(h_n, h_ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(c_n, c_ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "loop"])
def test_module_equals_hand_stepped_layers(fast):
    """Two layers: the module's output is layer 0 stepped by hand, fed to layer 1 stepped by hand."""
    torch.manual_seed(2)
    model = PeepholeLSTM(2, 3, num_layers=2, dtype=torch.float64, fast=fast)
    x = torch.randn(5, 2, 2, dtype=torch.float64)
    with torch.no_grad():
        out, (h_n, c_n) = model(x)
        layer_input = x
        for k in range(2):
            w = [getattr(model, f"{n}_l{k}") for n in ("weight_ih", "weight_hh", "weight_ch", "bias_ih", "bias_hh")]
            h = c = torch.zeros(2, 3, dtype=torch.float64)
            steps = []
            for t in range(5):
                h, c = peephole_lstm_step(layer_input[t], h, c, *w)
                steps.append(h)
            layer_input = torch.stack(steps)
            torch.testing.assert_close(h_n[k], h, rtol=1e-12, atol=1e-12)
            torch.testing.assert_close(c_n[k], c, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(out, layer_input, rtol=1e-12, atol=1e-12)


def test_same_seed_same_standard_weights_as_torch_nn():
    torch.manual_seed(7)
    ours = PeepholeLSTM(3, 4)
    torch.manual_seed(7)
    ref = torch.nn.LSTM(3, 4)
    for name, p in ref.named_parameters():
        torch.testing.assert_close(getattr(ours, name), p, rtol=0, atol=0)
    assert ours.weight_ch_l0.shape == (12,)
    assert ours.weight_ch_l0.abs().max() <= 0.5


def test_parameter_names_and_shapes():
    model = PeepholeLSTM(3, 4, num_layers=2, bidirectional=True)
    shapes = {n: tuple(p.shape) for n, p in model.named_parameters()}
    assert shapes["weight_ih_l1_reverse"] == (16, 8)
    assert shapes["weight_ch_l1_reverse"] == (12,)
    assert sum(n.startswith("weight_ch") for n in shapes) == 4


def test_packed_and_unbatched_input():
    """PackedSequence and unbatched (T, D) input: each sequence as if run alone, to its own length."""
    torch.manual_seed(4)
    model = PeepholeLSTM(2, 3, bidirectional=True, dtype=torch.float64)
    x = torch.randn(5, 3, 2, dtype=torch.float64)
    lengths = [5, 2, 4]
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
    out, (h_n, c_n) = model(packed)
    padded, _ = torch.nn.utils.rnn.pad_packed_sequence(out)
    for b, length in enumerate(lengths):
        alone, (h_alone, c_alone) = model(x[:length, b])  # unbatched
        torch.testing.assert_close(padded[:length, b], alone, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(h_n[:, b], h_alone, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(c_n[:, b], c_alone, rtol=1e-12, atol=1e-12)


def test_errors():
    with pytest.raises(ValueError, match="fused=False"):
        PeepholeLSTM(2, 3, fused=True)
    model = PeepholeLSTM(2, 3)
    with pytest.raises(ValueError, match=r"\(T, B, 2\); got \(4, 1, 3\)"):
        model(torch.zeros(4, 1, 3))
    with pytest.raises(ValueError, match="h_0 must have shape"):
        model(torch.zeros(4, 1, 2), (torch.zeros(1, 2, 3), torch.zeros(1, 2, 3)))


@pytest.mark.parametrize(
    "make",
    [lambda: torch.nn.LSTM(2, 3, num_layers=2), lambda: LSTM(2, 3, bidirectional=True), lambda: PeepholeLSTM(2, 3)],
)
def test_init_forget_bias(make):
    model = make()
    H = 3
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    assert init_forget_bias(model, 1.0) is model
    layers = [n[len("bias_ih") :] for n in before if n.startswith("bias_ih")]
    assert layers
    for suffix in layers:
        b_ih, b_hh = getattr(model, "bias_ih" + suffix), getattr(model, "bias_hh" + suffix)
        torch.testing.assert_close(b_ih[H : 2 * H] + b_hh[H : 2 * H], torch.ones(H))
        # the other gates' biases are untouched
        for name in ("bias_ih", "bias_hh"):
            got, old = getattr(model, name + suffix), before[name + suffix]
            torch.testing.assert_close(torch.cat([got[:H], got[2 * H :]]), torch.cat([old[:H], old[2 * H :]]))
    for name, p in model.named_parameters():
        if not name.startswith("bias"):
            torch.testing.assert_close(p, before[name])


def test_init_forget_bias_rejects_non_lstm():
    with pytest.raises(TypeError, match="GRU"):
        init_forget_bias(GRU(2, 3))
    with pytest.raises(ValueError, match="bias=False"):
        init_forget_bias(torch.nn.LSTM(2, 3, bias=False))
