"""The LSTM variants (peepholes, Greff et al.'s switches) and the gates' biases: equations, a hand-stepped loop,
torch.nn, gradcheck."""

import numpy as np
import pytest
import torch

from lstmlib.torch import GRU, LSTM, _fast
from lstmlib.torch.variants import (
    PeepholeLSTM,
    VariantLSTM,
    init_forget_bias,
    init_gate_bias,
    peephole_lstm_forward,
    peephole_lstm_step,
    variant_lstm_forward,
    variant_lstm_step,
)


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


# ----------------------------------------------------------------------------------------------------
# VariantLSTM: the switches of Greff et al. (2017), against the equations written out here

VARIANTS = {
    "vanilla": {},
    "NFG": {"forget_gate": False},
    "NIG": {"input_gate": False},
    "NOG": {"output_gate": False},
    "CIFG": {"coupled": True},
    "NIAF": {"input_activation": False},
    "NOAF": {"output_activation": False},
    "PH": {"peepholes": True},
}


def _variant_by_hand(x, h, c, w_ih, w_hh, b, w_ch, options):
    """One step of the variant, in NumPy, from the equations of the docstring (not from the library)."""
    H = h.shape[1]
    z = x @ w_ih.T + h @ w_hh.T + b
    a_i, a_f, a_g, a_o = z[:, :H], z[:, H : 2 * H], z[:, 2 * H : 3 * H], z[:, 3 * H :]
    if options.get("peepholes"):
        a_i = a_i + w_ch[:H] * c  # (2p)
        a_f = a_f + w_ch[H : 2 * H] * c  # (1p)
    i = _sigmoid(a_i) if options.get("input_gate", True) else np.ones_like(a_i)  # NIG: i = 1
    f = _sigmoid(a_f) if options.get("forget_gate", True) else np.ones_like(a_f)  # NFG: f = 1
    if options.get("coupled"):
        f = 1 - i  # CIFG
    g = np.tanh(a_g) if options.get("input_activation", True) else a_g  # NIAF: no tanh
    c_new = f * c + i * g  # (3a)
    if options.get("peepholes"):
        a_o = a_o + w_ch[2 * H :] * c_new  # (4p)
    o = _sigmoid(a_o) if options.get("output_gate", True) else np.ones_like(a_o)  # NOG: o = 1
    h_new = o * (np.tanh(c_new) if options.get("output_activation", True) else c_new)  # NOAF: h = o C
    return h_new, c_new


@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_step_follows_the_equations(name):
    options = VARIANTS[name]
    x, h, c, w_ih, w_hh, w_ch, b_ih, b_hh = _inputs(1, 3, 2, 4, seed=5)
    x = x[0]
    args = [t.detach() for t in (x, h, c, w_ih, w_hh, b_ih, b_hh)]
    peep = w_ch.detach() if options.get("peepholes") else None
    step_options = {k: v for k, v in options.items() if k != "peepholes"}
    h_got, c_got = variant_lstm_step(*args, peep, **step_options)
    a = [t.numpy() for t in args]
    h_want, c_want = _variant_by_hand(a[0], a[1], a[2], a[3], a[4], a[5] + a[6], w_ch.detach().numpy(), options)
    np.testing.assert_allclose(h_got.numpy(), h_want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c_got.numpy(), c_want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", [n for n in VARIANTS if n != "vanilla"])
def test_every_switch_changes_the_output(name):
    """Not vacuous: each variant differs from the standard LSTM on the same weights and states."""
    torch.manual_seed(0)
    x = torch.randn(4, 2, 3, dtype=torch.float64)
    state = (torch.randn(1, 2, 5, dtype=torch.float64), torch.randn(1, 2, 5, dtype=torch.float64))
    standard = VariantLSTM(3, 5, dtype=torch.float64)
    variant = VariantLSTM(3, 5, dtype=torch.float64, **VARIANTS[name])
    variant.load_state_dict(standard.state_dict(), strict=False)
    with torch.no_grad():
        difference = (variant(x, state)[0] - standard(x, state)[0]).abs().max()
    assert difference > 1e-3


@pytest.mark.parametrize(
    "num_layers, bidirectional, batch_first", [(1, False, False), (2, True, False), (2, False, True)]
)
def test_variant_defaults_equal_torch_nn_lstm(num_layers, bidirectional, batch_first):
    """All switches at their defaults: torch.nn.LSTM on the same state_dict, outputs and gradients."""
    torch.manual_seed(3)
    kwargs = dict(num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first, dtype=torch.float64)
    ours, ref = VariantLSTM(3, 5, **kwargs), torch.nn.LSTM(3, 5, **kwargs)
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(6, 2, 3, dtype=torch.float64)
    out, (h_n, c_n) = ours(x)
    out_ref, (h_ref, c_ref) = ref(x)
    for got, want in ((out, out_ref), (h_n, h_ref), (c_n, c_ref)):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)
    (out.sum() + c_n.sum()).backward()
    (out_ref.sum() + c_ref.sum()).backward()
    for (name, p), p_ref in zip(ours.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p.grad, p_ref.grad, rtol=1e-10, atol=1e-10, msg=name)


def test_variant_same_seed_same_weights_as_torch_nn():
    torch.manual_seed(7)
    ours = VariantLSTM(3, 4, peepholes=True)
    torch.manual_seed(7)
    ref = torch.nn.LSTM(3, 4)
    for name, p in ref.named_parameters():
        torch.testing.assert_close(getattr(ours, name), p, rtol=0, atol=0)
    assert ours.weight_ch_l0.shape == (12,) and not hasattr(VariantLSTM(3, 4), "weight_ch_l0")


@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_gradcheck(name):
    """Every input and parameter's gradient against finite differences, for each variant."""
    options = VARIANTS[name]
    x, h0, c0, w_ih, w_hh, w_ch, b_ih, b_hh = _inputs(3, 2, 2, 3, seed=6)
    step_options = {k: v for k, v in options.items() if k != "peepholes"}

    def run(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_ch):
        return variant_lstm_forward(
            x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_ch if options.get("peepholes") else None, **step_options
        )

    inputs = (x, h0, c0, w_ih * 0.5, w_hh * 0.5, b_ih, b_hh, w_ch)
    assert torch.autograd.gradcheck(run, inputs, eps=1e-6, atol=1e-8, rtol=1e-6)


def test_variant_module_gradcheck_two_layers_bidirectional():
    torch.manual_seed(0)
    model = VariantLSTM(2, 3, num_layers=2, bidirectional=True, coupled=True, peepholes=True, dtype=torch.float64)
    x = torch.randn(4, 2, 2, dtype=torch.float64, requires_grad=True)
    names = [n for n, _ in model.named_parameters()]

    def run(x, *weights):
        out, (h_n, c_n) = torch.func.functional_call(model, dict(zip(names, weights)), (x,))
        return out, h_n, c_n

    assert torch.autograd.gradcheck(run, (x, *model.parameters()), eps=1e-6, atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize("name, rows", [("NFG", [1]), ("NIG", [0]), ("NOG", [3]), ("CIFG", [1])])
def test_switched_off_gate_gets_no_gradient(name, rows):
    """The rows of a gate that is switched off are never read: their gradient is exactly zero."""
    torch.manual_seed(1)
    model = VariantLSTM(2, 3, **VARIANTS[name])
    out, _ = model(torch.randn(5, 2, 2))
    out.pow(2).sum().backward()
    for k in range(4):
        block = model.weight_hh_l0.grad[k * 3 : (k + 1) * 3]
        assert (block.abs().max() == 0) == (k in rows), (name, k)


def test_stacked_models_equal_each_model_alone():
    """A leading axis of M models, each its own variant (switches as (M,) bools): each as if run alone."""
    names = list(VARIANTS)
    T, B, D, H = 4, 2, 3, 5
    torch.manual_seed(2)
    models = [VariantLSTM(D, H, dtype=torch.float64, **VARIANTS[n]) for n in names]
    x = torch.randn(T, len(names), B, D, dtype=torch.float64)

    def stacked(name):
        return torch.stack([getattr(m, name) for m in models])

    w_ch = torch.stack([getattr(m, "weight_ch_l0", torch.zeros(3 * H, dtype=torch.float64)) for m in models])
    switches = {
        key: torch.tensor([m.options[key] for m in models])
        for key in ("forget_gate", "input_gate", "output_gate", "coupled", "input_activation", "output_activation")
    }
    zeros = torch.zeros(len(names), B, H, dtype=torch.float64)
    weights = [stacked(n) for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")]
    out, h_n, c_n = variant_lstm_forward(x, zeros, zeros, *weights, w_ch, **switches)
    for k, model in enumerate(models):
        alone, (h_alone, c_alone) = model(x[:, k])
        torch.testing.assert_close(out[:, k], alone, rtol=1e-12, atol=1e-12, msg=names[k])
        torch.testing.assert_close(c_n[k], c_alone[0], rtol=1e-12, atol=1e-12, msg=names[k])


def test_variant_errors():
    with pytest.raises(ValueError, match="coupled=True .* forget_gate=False"):
        VariantLSTM(2, 3, coupled=True, forget_gate=False)
    with pytest.raises(ValueError, match="input_gate=False"):
        VariantLSTM(2, 3, coupled=True, input_gate=False)
    with pytest.raises(TypeError, match=r"peepholes must be a bool \(True or False\); got int 1"):
        VariantLSTM(2, 3, peepholes=1)
    with pytest.raises(TypeError, match="unknown options"):
        variant_lstm_forward(*[torch.zeros(1)] * 5, forget=False)
    model = VariantLSTM(2, 3)
    with pytest.raises(ValueError, match=r"\(T, B, 2\); got \(4, 1, 3\)"):
        model(torch.zeros(4, 1, 3))
    assert "coupled=True" in repr(VariantLSTM(2, 3, coupled=True)) and "fast" not in repr(model)


MAKERS = [lambda: torch.nn.LSTM(2, 3, num_layers=2), lambda: LSTM(2, 3, bidirectional=True), lambda: VariantLSTM(2, 3)]


@pytest.mark.parametrize("gate", ["input", "forget", "cell", "output"])
@pytest.mark.parametrize("make", MAKERS)
def test_init_gate_bias(gate, make):
    model = make()
    H, k = 3, ["input", "forget", "cell", "output"].index(gate)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    assert init_gate_bias(model, gate, -2.5) is model
    for name, p in model.named_parameters():
        if name.startswith("bias_"):
            rows = slice(k * H, (k + 1) * H)
            want = -2.5 if name.startswith("bias_ih") else 0.0
            torch.testing.assert_close(p[rows], torch.full((H,), want))
            kept = torch.cat([p[: k * H], p[(k + 1) * H :]])
            torch.testing.assert_close(kept, torch.cat([before[name][: k * H], before[name][(k + 1) * H :]]))
        else:
            torch.testing.assert_close(p, before[name])


def test_init_forget_bias_is_init_gate_bias_forget():
    torch.manual_seed(0)
    a = torch.nn.LSTM(2, 3)
    b = torch.nn.LSTM(2, 3)
    b.load_state_dict(a.state_dict())
    init_forget_bias(a, 5.0)
    init_gate_bias(b, "forget", 5.0)
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=0)


def test_init_gate_bias_errors():
    with pytest.raises(ValueError, match=r"gate must be one of .*; got 'candidate'"):
        init_gate_bias(torch.nn.LSTM(2, 3), "candidate", 1.0)
    with pytest.raises(TypeError, match="GRU"):
        init_gate_bias(GRU(2, 3), "input", 1.0)
    with pytest.raises(ValueError, match="bias=False"):
        init_gate_bias(torch.nn.LSTM(2, 3, bias=False), "output", 1.0)
