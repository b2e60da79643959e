"""The mLSTM (lstmlib.torch.mlstm): gradients, parallel == recurrent, the stabiliser, the module, bad input."""

import math
import re

import pytest
import torch
from torch.func import functional_call

from lstmlib.torch.mlstm import (
    MLSTM,
    mlstm_forward,
    mlstm_initial_state,
    mlstm_parallel,
    mlstm_recurrent,
    mlstm_step,
)

D, H, B, T = 2, 3, 2, 4
GATES = ["sigmoid", "exp"]


def _weights(scale=0.7, seed=0, dtype=torch.float64, D=D, H=H, gate_bias=(0.0, 0.0)):
    g = torch.Generator().manual_seed(seed)
    W_ih = scale * torch.randn(4 * H, D, generator=g, dtype=dtype)
    b_ih = scale * torch.randn(4 * H, generator=g, dtype=dtype)
    W_gate = scale * torch.randn(2, D, generator=g, dtype=dtype)
    b_gate = scale * torch.randn(2, generator=g, dtype=dtype) + torch.tensor(gate_bias, dtype=dtype)
    return W_ih, b_ih, W_gate, b_gate


def _x(T=T, B=B, D=D, seed=1, dtype=torch.float64, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return scale * torch.randn(T, B, D, generator=g, dtype=dtype)


def _state(seed=2, dtype=torch.float64):
    """A state in the middle of a sequence: any C, n, finite m."""
    g = torch.Generator().manual_seed(seed)
    C = torch.randn(B, H, H, generator=g, dtype=dtype)
    n = torch.randn(B, H, generator=g, dtype=dtype)
    m = torch.randn(B, generator=g, dtype=dtype)
    return C, n, m


def _leaves(*tensors):
    return tuple(t.clone().requires_grad_(True) for t in tensors)


def _naive(x, W_ih, b_ih, W_gate, b_gate, forget_gate="sigmoid"):
    """(M1)-(M9) as written, no stabiliser, from C_0 = n_0 = 0: the oracle where exp does not overflow."""
    Hs = W_ih.shape[0] // 4
    C = torch.zeros(x.shape[1], Hs, Hs, dtype=x.dtype)
    n = torch.zeros(x.shape[1], Hs, dtype=x.dtype)
    outputs = []
    for x_t in x:
        q, k, v, o = (x_t @ W_ih.T + b_ih).chunk(4, dim=-1)
        k = k / math.sqrt(Hs)
        i_pre, f_pre = (x_t @ W_gate.T + b_gate).unbind(-1)
        i = torch.exp(i_pre)[:, None]
        f = (torch.sigmoid(f_pre) if forget_gate == "sigmoid" else torch.exp(f_pre))[:, None]
        C = f[:, :, None] * C + i[:, :, None] * torch.einsum("bi,bj->bij", v, k)
        n = f * n + i * k
        denominator = torch.clamp((n * q).sum(-1).abs(), min=1.0)
        outputs.append(torch.sigmoid(o) * torch.einsum("bij,bj->bi", C, q) / denominator[:, None])
    return torch.stack(outputs), C, n


# --- gradients: finite differences, float64, every input ---


@pytest.mark.parametrize("forget_gate", GATES)
def test_step_gradcheck_every_input(forget_gate):
    inputs = _leaves(_x()[0], *_state(), *_weights())

    def step(x, C, n, m, W_ih, b_ih, W_gate, b_gate):
        h, state = mlstm_step(x, (C, n, m), W_ih, b_ih, W_gate, b_gate, forget_gate)
        return (h, *state)

    assert torch.autograd.gradcheck(step, inputs)


@pytest.mark.parametrize("run", [mlstm_recurrent, mlstm_parallel], ids=["recurrent", "parallel"])
@pytest.mark.parametrize("forget_gate", GATES)
def test_forward_gradcheck_from_a_state(run, forget_gate):
    inputs = _leaves(_x(), *_state(), *_weights())

    def f(x, C, n, m, W_ih, b_ih, W_gate, b_gate):
        output, state = run(x, (C, n, m), W_ih, b_ih, W_gate, b_gate, forget_gate)
        return (output, *state)

    assert torch.autograd.gradcheck(f, inputs, fast_mode=True)


@pytest.mark.parametrize("run", [mlstm_recurrent, mlstm_parallel], ids=["recurrent", "parallel"])
def test_forward_gradcheck_from_empty_memory(run):
    inputs = _leaves(_x(), *_weights())

    def f(x, W_ih, b_ih, W_gate, b_gate):
        output, state = run(x, None, W_ih, b_ih, W_gate, b_gate)
        return (output, *state)

    assert torch.autograd.gradcheck(f, inputs)


@pytest.mark.parametrize("parallel", [True, False])
def test_module_gradcheck_every_parameter(parallel):
    model = MLSTM(D, H, num_layers=2, parallel=parallel, dtype=torch.float64)
    names = [name for name, _ in model.named_parameters()]
    params = _leaves(*(p.detach() for p in model.parameters()))
    state = _leaves(*(torch.stack([s, s + 0.1]) for s in _state()))

    def run(x, C, n, m, *params):
        output, final = functional_call(model, dict(zip(names, params)), (x, (C, n, m)))
        return (output, *final)

    assert torch.autograd.gradcheck(run, (*_leaves(_x(T=3)), *state, *params), fast_mode=True)


# --- parallel == recurrent ---


@pytest.mark.parametrize("forget_gate", GATES)
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("steps", [1, 2, 9])
def test_parallel_equals_recurrent_values_and_gradients(forget_gate, with_state, steps):
    x = _x(T=steps, scale=2.0)
    weights = _weights(scale=1.5)
    state = _state() if with_state else ()
    args_p = _leaves(x, *weights, *state)
    args_r = _leaves(x, *weights, *state)

    def run(fn, x, W_ih, b_ih, W_gate, b_gate, *state):
        output, final = fn(x, tuple(state) or None, W_ih, b_ih, W_gate, b_gate, forget_gate)
        return output, final

    out_p, final_p = run(mlstm_parallel, *args_p)
    out_r, final_r = run(mlstm_recurrent, *args_r)
    torch.testing.assert_close(out_p, out_r, rtol=1e-10, atol=1e-12)
    for a, b in zip(final_p, final_r):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    g = torch.Generator().manual_seed(7)
    upstream = [torch.randn(t.shape, generator=g, dtype=t.dtype) for t in (out_p, *final_p)]
    loss_p = sum((u * t).sum() for u, t in zip(upstream, (out_p, *final_p)))
    loss_r = sum((u * t).sum() for u, t in zip(upstream, (out_r, *final_r)))
    for g_p, g_r in zip(torch.autograd.grad(loss_p, args_p), torch.autograd.grad(loss_r, args_r)):
        torch.testing.assert_close(g_p, g_r, rtol=1e-8, atol=1e-10)


def test_module_parallel_equals_recurrent_float32():
    torch.manual_seed(0)
    model = MLSTM(5, 8, num_layers=2)
    x = torch.randn(50, 3, 5)
    out_p, final_p = model(x)
    model.parallel = False
    out_r, final_r = model(x)
    torch.testing.assert_close(out_p, out_r, rtol=1e-4, atol=1e-5)
    for a, b in zip(final_p, final_r):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


# --- the stabiliser ---


@pytest.mark.parametrize("forget_gate", GATES)
def test_stabilized_equals_the_plain_equations(forget_gate):
    """Where exp does not overflow, the stabilised step gives (M9)'s h_t, and C = C' e^m, n = n' e^m."""
    x = _x(T=7, scale=1.5)
    weights = _weights()
    expected, C_plain, n_plain = _naive(x, *weights, forget_gate)
    output, (C, n, m) = mlstm_recurrent(x, None, *weights, forget_gate)
    torch.testing.assert_close(output, expected, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(C * torch.exp(m)[:, None, None], C_plain, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(n * torch.exp(m)[:, None], n_plain, rtol=1e-10, atol=1e-12)
    x1, *w1 = _leaves(x, *weights)
    x2, *w2 = _leaves(x, *weights)
    grads = torch.autograd.grad(mlstm_parallel(x1, None, *w1, forget_gate)[0].sum(), (x1, *w1))
    grads_plain = torch.autograd.grad(_naive(x2, *w2, forget_gate)[0].sum(), (x2, *w2))
    for a, b in zip(grads, grads_plain):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("parallel", [True, False])
def test_stabilized_stays_finite_where_the_plain_form_overflows(dtype, parallel):
    limit = math.log(torch.finfo(dtype).max)
    weights = _weights(dtype=dtype, gate_bias=(1.5 * limit, 0.0))  # ĩ_t beyond exp's range
    x = _x(T=12, dtype=dtype)
    plain, _, _ = _naive(x, *weights)
    output, (C, n, m) = mlstm_forward(x, None, *weights, parallel=parallel)
    assert not torch.isfinite(plain).all()
    assert torch.isfinite(output).all() and torch.isfinite(C).all() and torch.isfinite(n).all()
    assert (m > limit).all()


def test_exponential_forget_gate_on_a_long_sequence():
    """f_t = exp(f̃_t) > 1: the plain memory overflows float32 within 100 steps; the stabilised one stays finite."""
    weights = _weights(dtype=torch.float32, gate_bias=(0.0, 2.0))
    x = _x(T=300, dtype=torch.float32)
    plain, _, _ = _naive(x, *weights, forget_gate="exp")
    assert not torch.isfinite(plain[-1]).any()
    for parallel in (True, False):
        output, _ = mlstm_forward(x, None, *weights, forget_gate="exp", parallel=parallel)
        assert torch.isfinite(output).all()


def test_zero_initial_m_gives_the_same_output():
    weights = _weights()
    x = _x(T=5)
    C0, n0, _ = mlstm_initial_state(B, H, dtype=torch.float64)
    out_inf, _ = mlstm_recurrent(x, None, *weights)
    for m0_value in (0.0, -3.0, 5.0):
        out, _ = mlstm_parallel(x, (C0, n0, torch.full((B,), m0_value, dtype=torch.float64)), *weights)
        torch.testing.assert_close(out, out_inf, rtol=1e-10, atol=1e-12)


# --- the module against its steps ---


@pytest.mark.parametrize("parallel", [True, False])
def test_module_equals_hand_stepped_loop(parallel):
    torch.manual_seed(0)
    model = MLSTM(D, H, num_layers=2, parallel=parallel, dtype=torch.float64)
    x = _x(T=5)
    output, final = model(x)
    states = [mlstm_initial_state(B, H, dtype=torch.float64) for _ in range(2)]
    expected = []
    for x_t in x:
        layer_input = x_t
        for layer in range(2):
            layer_input, states[layer] = mlstm_step(layer_input, states[layer], *model.layer_weights(layer))
        expected.append(layer_input)
    torch.testing.assert_close(output, torch.stack(expected), rtol=1e-10, atol=1e-12)
    for k in range(3):
        torch.testing.assert_close(final[k], torch.stack([states[0][k], states[1][k]]), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("parallel", [True, False])
def test_state_carries_across_chunks(parallel):
    model = MLSTM(D, H, num_layers=2, parallel=parallel, dtype=torch.float64)
    x = _x(T=7)
    whole, final = model(x)
    first, state = model(x[:3])
    second, final_chunks = model(x[3:], state)
    torch.testing.assert_close(torch.cat([first, second]), whole, rtol=1e-10, atol=1e-12)
    for a, b in zip(final, final_chunks):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_parameters_shapes_and_init():
    model = MLSTM(5, 4, num_layers=2)
    shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
    assert shapes == {
        "weight_ih_l0": (16, 5),
        "bias_ih_l0": (16,),
        "weight_gate_l0": (2, 5),
        "bias_gate_l0": (2,),
        "weight_ih_l1": (16, 4),
        "bias_ih_l1": (16,),
        "weight_gate_l1": (2, 4),
        "bias_gate_l1": (2,),
    }
    assert 0.94 < float(torch.sigmoid(model.bias_gate_l0.detach()[1])) < 0.96
    exp_model = MLSTM(5, 4, forget_gate="exp")
    assert 0.94 < float(torch.exp(exp_model.bias_gate_l0.detach()[1])) < 0.96
    assert model.weight_ih_l0.dtype == torch.float32


def test_output_shapes():
    model = MLSTM(5, 4, num_layers=3)
    output, (C, n, m) = model(torch.randn(6, 2, 5))
    assert output.shape == (6, 2, 4)
    assert C.shape == (3, 2, 4, 4) and n.shape == (3, 2, 4) and m.shape == (3, 2)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
@pytest.mark.parametrize("parallel", [True, False])
def test_gpu_equals_cpu(parallel):
    model = MLSTM(D, H, num_layers=2, parallel=parallel, dtype=torch.float64)
    x = _x(T=6)
    cpu, _ = model(x)
    gpu, _ = model.to("cuda")(x.to("cuda"))
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-10, atol=1e-12)


# --- bad input ---


class TestBadInput:
    def test_not_a_tensor(self):
        with pytest.raises(TypeError, match=r"x must be a torch.Tensor \(T, B, 3\); got list"):
            MLSTM(3, 4)([[1.0, 2.0, 3.0]])

    def test_integer_input(self):
        with pytest.raises(TypeError, match=r"floating-point.*got dtype torch.int64"):
            MLSTM(3, 4)(torch.zeros(5, 2, 3, dtype=torch.long))

    @pytest.mark.parametrize("shape", [(5, 3), (5, 2, 7), (5, 2, 3, 1)])
    def test_wrong_shape(self, shape):
        with pytest.raises(ValueError, match=re.escape(f"x must have shape (T, B, 3); got {tuple(shape)}")):
            MLSTM(3, 4)(torch.zeros(shape))

    @pytest.mark.parametrize("shape", [(0, 2, 3), (5, 0, 3)])
    @pytest.mark.parametrize("parallel", [True, False])
    def test_empty_sequence(self, shape, parallel):
        with pytest.raises(ValueError, match=r"x is empty: T and B must be at least 1"):
            MLSTM(3, 4, parallel=parallel)(torch.zeros(shape))

    def test_dtype_mismatch(self):
        with pytest.raises(ValueError, match=r"x has dtype torch.float64 but the model's parameters are torch.float32"):
            MLSTM(3, 4)(torch.zeros(5, 2, 3, dtype=torch.float64))

    def test_device_mismatch(self):
        with pytest.raises(ValueError, match=r"x is on device meta but the model is on cpu"):
            MLSTM(3, 4)(torch.zeros(5, 2, 3, device="meta"))

    def test_state_wrong_shape(self):
        state = (torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 4), torch.zeros(1, 2, 4))
        with pytest.raises(ValueError, match=r"state m must have shape \(1, 2\); got \(1, 2, 4\)"):
            MLSTM(3, 4)(torch.zeros(5, 2, 3), state)

    def test_state_wrong_length(self):
        with pytest.raises(TypeError, match=r"state must be a tuple \(C, n, m\)"):
            MLSTM(3, 4)(torch.zeros(5, 2, 3), (torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 4)))

    def test_state_wrong_device(self):
        state = (torch.zeros(1, 2, 4, 4, device="meta"), torch.zeros(1, 2, 4), torch.zeros(1, 2))
        with pytest.raises(ValueError, match=r"state C is on device meta but x is on cpu"):
            MLSTM(3, 4)(torch.zeros(5, 2, 3), state)

    def test_bad_forget_gate(self):
        with pytest.raises(ValueError, match=r"forget_gate must be one of \('sigmoid', 'exp'\); got 'relu'"):
            MLSTM(3, 4, forget_gate="relu")

    @pytest.mark.parametrize(("args", "error"), [((3, 0), ValueError), ((3, 4.0), TypeError), ((0, 4), ValueError)])
    def test_bad_sizes(self, args, error):
        with pytest.raises(error, match=r"must be"):
            MLSTM(*args)
