"""The sLSTM (lstmlib.torch.slstm): gradients, the stabiliser, the module against its steps, bad input."""

import math
import re

import pytest
import torch
from torch.func import functional_call

from lstmlib.torch.slstm import (
    SLSTM,
    slstm_forward,
    slstm_initial_state,
    slstm_step,
    slstm_step_unstabilized,
)

D, H, B, T = 2, 3, 2, 4
GATES = ["sigmoid", "exp"]


def _weights(scale=0.5, seed=0, dtype=torch.float64, D=D, H=H):
    g = torch.Generator().manual_seed(seed)
    W_ih = scale * torch.randn(4 * H, D, generator=g, dtype=dtype)
    W_hh = scale * torch.randn(4 * H, H, generator=g, dtype=dtype)
    b = scale * torch.randn(4 * H, generator=g, dtype=dtype)
    return W_ih, W_hh, b


def _x(T=T, B=B, D=D, seed=1, dtype=torch.float64, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return scale * torch.randn(T, B, D, generator=g, dtype=dtype)


def _state(seed=2):
    """A state in the middle of a sequence: any h, c; n >= 1 (as the stabilised n is); any finite m."""
    g = torch.Generator().manual_seed(seed)
    h = torch.rand(B, H, generator=g, dtype=torch.float64) * 2 - 1
    n = 1 + torch.rand(B, H, generator=g, dtype=torch.float64)
    c = n * (torch.rand(B, H, generator=g, dtype=torch.float64) * 2 - 1)
    m = torch.randn(B, H, generator=g, dtype=torch.float64)
    return h, c, n, m


def _leaves(*tensors):
    return tuple(t.clone().requires_grad_(True) for t in tensors)


# --- gradients: finite differences, float64, every input ---


@pytest.mark.parametrize("forget_gate", GATES)
def test_step_gradcheck_every_input(forget_gate):
    inputs = _leaves(_x()[0], *_state(), *_weights())

    def step(x, h, c, n, m, W_ih, W_hh, b):
        return slstm_step(x, (h, c, n, m), W_ih, W_hh, b, forget_gate)

    assert torch.autograd.gradcheck(step, inputs)


@pytest.mark.parametrize("forget_gate", GATES)
def test_unstabilized_step_gradcheck(forget_gate):
    h, c, n, _ = _state()
    inputs = _leaves(_x()[0], h, c, n, *_weights())

    def step(x, h, c, n, W_ih, W_hh, b):
        return slstm_step_unstabilized(x, (h, c, n), W_ih, W_hh, b, forget_gate)

    assert torch.autograd.gradcheck(step, inputs)


@pytest.mark.parametrize("forget_gate", GATES)
def test_forward_gradcheck_from_empty_memory(forget_gate):
    # m_0 = -inf is not differentiated (it is a constant); x and the weights are
    inputs = _leaves(_x(), *_weights())

    def run(x, W_ih, W_hh, b):
        return slstm_forward(x, None, W_ih, W_hh, b, forget_gate)[0]

    assert torch.autograd.gradcheck(run, inputs)


@pytest.mark.parametrize("forget_gate", GATES)
def test_forward_gradcheck_from_a_state(forget_gate):
    inputs = _leaves(_x(), *_state(), *_weights())

    def run(x, h, c, n, m, W_ih, W_hh, b):
        output, state = slstm_forward(x, (h, c, n, m), W_ih, W_hh, b, forget_gate)
        return (output, *state)

    assert torch.autograd.gradcheck(run, inputs)


def test_module_gradcheck_every_parameter():
    model = SLSTM(D, H, num_layers=2, dtype=torch.float64)
    names = [name for name, _ in model.named_parameters()]
    params = _leaves(*(p.detach() for p in model.parameters()))
    state = _leaves(*(torch.stack([s, s + 0.1]) for s in _state()))

    def run(x, h, c, n, m, *params):
        output, final = functional_call(model, dict(zip(names, params)), (x, (h, c, n, m)))
        return (output, *final)

    assert torch.autograd.gradcheck(run, (*_leaves(_x(T=3)), *state, *params), fast_mode=True)


def _dense_from_blocks(W_hh_blocks, H):
    """The full (4H, H) recurrent matrix R whose diagonal blocks W_hh_blocks (4H, H / heads) holds."""
    S = W_hh_blocks.shape[1]
    dense = torch.zeros(4 * H, H, dtype=W_hh_blocks.dtype)
    for row in range(4 * H):
        head = (row % H) // S
        dense[row, head * S : (head + 1) * S] = W_hh_blocks[row]
    return dense


@pytest.mark.parametrize("heads", [2, 4])
def test_heads_equal_a_block_diagonal_recurrent_matrix(heads):
    """num_heads blocks: the same as one head whose R is zero off the diagonal blocks (values and gradients)."""
    H_big = 8
    W_ih, _, b = _weights(H=H_big)
    blocks = torch.randn(4 * H_big, H_big // heads, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    x = _x(T=5)
    leaves_blocks = _leaves(x, W_ih, blocks, b)
    out_blocks, _ = slstm_forward(leaves_blocks[0], None, *leaves_blocks[1:])
    dense = _dense_from_blocks(blocks, H_big).requires_grad_()
    x2, W_ih2, b2 = _leaves(x, W_ih, b)
    out_dense, _ = slstm_forward(x2, None, W_ih2, dense, b2)
    torch.testing.assert_close(out_blocks, out_dense, rtol=1e-12, atol=1e-14)
    grads_blocks = torch.autograd.grad(out_blocks.sum(), leaves_blocks)
    grads_dense = torch.autograd.grad(out_dense.sum(), (x2, W_ih2, dense, b2))
    for k in (0, 1, 3):
        torch.testing.assert_close(grads_blocks[k], grads_dense[k], rtol=1e-10, atol=1e-12)
    # the gradient of a block is the dense gradient restricted to that block; off the blocks nothing is learned
    torch.testing.assert_close(_dense_from_blocks(grads_blocks[2], H_big), grads_dense[2] * (dense != 0))


def test_heads_step_gradcheck():
    H_big, heads = 4, 2
    g = torch.Generator().manual_seed(4)
    x = torch.randn(B, D, generator=g, dtype=torch.float64)
    h, c, m = (torch.randn(B, H_big, generator=g, dtype=torch.float64) for _ in range(3))
    n = 1 + torch.rand(B, H_big, generator=g, dtype=torch.float64)
    W_ih = torch.randn(4 * H_big, D, generator=g, dtype=torch.float64)
    W_hh = torch.randn(4 * H_big, H_big // heads, generator=g, dtype=torch.float64)
    b = torch.randn(4 * H_big, generator=g, dtype=torch.float64)

    def step(x, h, c, n, m, W_ih, W_hh, b):
        return slstm_step(x, (h, c, n, m), W_ih, W_hh, b)

    assert torch.autograd.gradcheck(step, _leaves(x, h, c, n, m, W_ih, W_hh, b))


def test_module_with_heads():
    model = SLSTM(3, 8, num_layers=2, num_heads=4)
    assert model.weight_hh_l0.shape == (32, 2) and model.weight_hh_l1.shape == (32, 2)
    output, state = model(torch.randn(5, 2, 3))
    assert output.shape == (5, 2, 8) and all(s.shape == (2, 2, 8) for s in state)
    assert "num_heads=4" in repr(model)


# --- the stabiliser ---


@pytest.mark.parametrize("forget_gate", GATES)
@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_stabilized_equals_unstabilized_values_and_gradients(forget_gate, scale):
    """Where exp does not overflow, (S8)-(S10) change nothing: same h, c = c' e^m, n = n' e^m, same grads."""
    x = _x(T=6, scale=scale)
    weights = _weights(scale=scale)
    x1, *w1 = _leaves(x, *weights)
    x2, *w2 = _leaves(x, *weights)
    out_s, (h_s, c_s, n_s, m_s) = slstm_forward(x1, None, *w1, forget_gate=forget_gate)
    out_u, (h_u, c_u, n_u) = slstm_forward(x2, None, *w2, forget_gate=forget_gate, stabilized=False)
    assert torch.isfinite(n_u).all() and n_u.max() < 1e100  # the plain form did not overflow here
    torch.testing.assert_close(out_s, out_u, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(c_s * torch.exp(m_s), c_u, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(n_s * torch.exp(m_s), n_u, rtol=1e-10, atol=1e-12)
    upstream = torch.randn(out_s.shape, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    grads_s = torch.autograd.grad((out_s * upstream).sum(), (x1, *w1))
    grads_u = torch.autograd.grad((out_u * upstream).sum(), (x2, *w2))
    for g_s, g_u in zip(grads_s, grads_u):
        torch.testing.assert_close(g_s, g_u, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_stabilized_stays_finite_where_the_plain_form_overflows(dtype):
    """Input-gate pre-activations past exp's range: the plain h_t is inf/inf = NaN; the stabilised h_t is finite."""
    limit = math.log(torch.finfo(dtype).max)  # 88.7 (float32), 709.8 (float64)
    W_ih, W_hh, b = _weights(dtype=dtype)
    b = b.clone()
    b[:H] = 1.5 * limit  # ĩ_t beyond exp's range at every step
    x = _x(T=20, dtype=dtype)
    out_u, (_, _, n_u) = slstm_forward(x, None, W_ih, W_hh, b, stabilized=False)
    out_s, (_, _, n_s, m_s) = slstm_forward(x, None, W_ih, W_hh, b)
    assert not torch.isfinite(n_u).any() and torch.isnan(out_u).all()
    assert torch.isfinite(out_s).all() and torch.isfinite(n_s).all()
    assert (m_s > limit).all()  # the overflow moved into the stabiliser, a logarithm


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_exponential_forget_gate_on_a_long_sequence(dtype):
    """f_t = exp(f̃_t) > 1 multiplies the plain n_t at every step until it overflows; the stabilised one does not."""
    W_ih, W_hh, b = _weights(dtype=dtype)
    b = b.clone()
    b[H : 2 * H] = 2.0  # f_t around e^2 per step
    x = _x(T=400, dtype=dtype)
    out_u, _ = slstm_forward(x, None, W_ih, W_hh, b, forget_gate="exp", stabilized=False)
    out_s, _ = slstm_forward(x, None, W_ih, W_hh, b, forget_gate="exp")
    assert not torch.isfinite(out_u[-1]).any()
    assert torch.isfinite(out_s).all()
    steps_ok = int(torch.isfinite(out_u).all(dim=(1, 2)).sum())
    torch.testing.assert_close(out_s[:steps_ok], out_u[:steps_ok], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("forget_gate", GATES)
def test_stabilizer_properties(forget_gate):
    """Both exponents are <= 0, one of i'_t, f'_t is exactly 1, n'_t >= 1 from the empty memory, |h_t| <= 1."""
    W_ih, W_hh, b = _weights(scale=3.0)
    x = _x(T=30, scale=3.0)
    state = slstm_initial_state(B, H, dtype=torch.float64)
    for x_t in x:
        h_prev, c_prev, n_prev, m_prev = state
        state = slstm_step(x_t, state, W_ih, W_hh, b, forget_gate)
        h, c, n, m = state
        # i'_t and f'_t recomputed from the pre-activations and the stabilisers the step returned
        pre = x_t @ W_ih.T + h_prev @ W_hh.T + b
        i_pre, f_pre = pre[:, :H], pre[:, H : 2 * H]
        log_f = torch.nn.functional.logsigmoid(f_pre) if forget_gate == "sigmoid" else f_pre
        i_s, f_s = torch.exp(i_pre - m), torch.exp(log_f + m_prev - m)
        assert (i_s <= 1).all() and (f_s <= 1).all()
        assert torch.equal(torch.maximum(i_s, f_s), torch.ones_like(m))
        assert (n >= 1).all()
        assert (h.abs() <= 1).all()  # |c_t / n_t| is a weighted mean of |z_s| <= 1


def test_zero_initial_m_gives_the_same_output():
    """h_t does not depend on m_0 when c_0 = n_0 = 0: the stabiliser is a change of scale only."""
    W = _weights()
    x = _x(T=5)
    h0, c0, n0, _ = slstm_initial_state(B, H, dtype=torch.float64)
    out_inf, _ = slstm_forward(x, None, *W)
    for m0_value in (0.0, -3.0, 5.0):
        out, _ = slstm_forward(x, (h0, c0, n0, torch.full_like(h0, m0_value)), *W)
        torch.testing.assert_close(out, out_inf, rtol=1e-10, atol=1e-12)


# --- the module against its steps ---


@pytest.mark.parametrize("forget_gate", GATES)
def test_module_equals_hand_stepped_loop(forget_gate):
    torch.manual_seed(0)
    model = SLSTM(D, H, num_layers=2, forget_gate=forget_gate, dtype=torch.float64)
    x = _x(T=5)
    output, final = model(x)
    states = [slstm_initial_state(B, H, dtype=torch.float64) for _ in range(2)]
    expected = []
    for x_t in x:
        layer_input = x_t
        for layer in range(2):
            states[layer] = slstm_step(layer_input, states[layer], *model.layer_weights(layer), forget_gate)
            layer_input = states[layer][0]
        expected.append(layer_input)
    torch.testing.assert_close(output, torch.stack(expected), rtol=0, atol=0)
    for k in range(4):
        torch.testing.assert_close(final[k], torch.stack([states[0][k], states[1][k]]), rtol=0, atol=0)


def test_state_carries_across_chunks():
    model = SLSTM(D, H, num_layers=2, dtype=torch.float64)
    x = _x(T=7)
    whole, final = model(x)
    first, state = model(x[:3])
    second, final_chunks = model(x[3:], state)
    torch.testing.assert_close(torch.cat([first, second]), whole, rtol=1e-12, atol=1e-14)
    for a, b in zip(final, final_chunks):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)


def test_parameters_shapes_and_init():
    model = SLSTM(5, 4, num_layers=2)
    shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
    assert shapes == {
        "weight_ih_l0": (16, 5),
        "weight_hh_l0": (16, 4),
        "bias_l0": (16,),
        "weight_ih_l1": (16, 4),
        "weight_hh_l1": (16, 4),
        "bias_l1": (16,),
    }
    forget = torch.sigmoid(model.bias_l0[4:8])
    assert (forget > 0.94).all() and (forget < 0.999).all()
    exp_model = SLSTM(5, 4, forget_gate="exp")
    torch.testing.assert_close(torch.exp(exp_model.bias_l0[4:8]), forget)
    assert model.weight_ih_l0.dtype == torch.float32
    assert SLSTM(5, 4, dtype=torch.float64).weight_hh_l0.dtype == torch.float64


def test_output_shapes():
    model = SLSTM(5, 4, num_layers=3)
    output, (h, c, n, m) = model(torch.randn(6, 2, 5))
    assert output.shape == (6, 2, 4)
    assert h.shape == c.shape == n.shape == m.shape == (3, 2, 4)
    torch.testing.assert_close(h[-1], output[-1])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_gpu_equals_cpu():
    model = SLSTM(D, H, num_layers=2, dtype=torch.float64)
    x = _x(T=6)
    cpu, _ = model(x)
    gpu, _ = model.to("cuda")(x.to("cuda"))
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-10, atol=1e-12)


# --- bad input ---


class TestBadInput:
    def test_not_a_tensor(self):
        with pytest.raises(TypeError, match=r"x must be a torch.Tensor \(T, B, 3\); got list"):
            SLSTM(3, 4)([[1.0, 2.0, 3.0]])

    def test_integer_input(self):
        with pytest.raises(TypeError, match=r"floating-point.*got dtype torch.int64"):
            SLSTM(3, 4)(torch.zeros(5, 2, 3, dtype=torch.long))

    @pytest.mark.parametrize("shape", [(5, 3), (5, 2, 7), (5, 2, 3, 1)])
    def test_wrong_shape(self, shape):
        with pytest.raises(ValueError, match=re.escape(f"x must have shape (T, B, 3); got {tuple(shape)}")):
            SLSTM(3, 4)(torch.zeros(shape))

    @pytest.mark.parametrize("shape", [(0, 2, 3), (5, 0, 3)])
    def test_empty_sequence(self, shape):
        with pytest.raises(ValueError, match=r"x is empty: T and B must be at least 1"):
            SLSTM(3, 4)(torch.zeros(shape))

    def test_dtype_mismatch(self):
        with pytest.raises(ValueError, match=r"x has dtype torch.float64 but the model's parameters are torch.float32"):
            SLSTM(3, 4)(torch.zeros(5, 2, 3, dtype=torch.float64))

    def test_device_mismatch(self):
        with pytest.raises(ValueError, match=r"x is on device meta but the model is on cpu"):
            SLSTM(3, 4)(torch.zeros(5, 2, 3, device="meta"))

    def test_state_wrong_shape(self):
        state = tuple(torch.zeros(1, 2, 4) for _ in range(3)) + (torch.zeros(1, 3, 4),)
        with pytest.raises(ValueError, match=r"state m must have shape \(1, 2, 4\); got \(1, 3, 4\)"):
            SLSTM(3, 4)(torch.zeros(5, 2, 3), state)

    def test_state_wrong_length(self):
        with pytest.raises(TypeError, match=r"state must be a tuple \(h, c, n, m\)"):
            SLSTM(3, 4)(torch.zeros(5, 2, 3), (torch.zeros(1, 2, 4), torch.zeros(1, 2, 4)))

    def test_state_wrong_dtype(self):
        state = tuple(torch.zeros(1, 2, 4, dtype=torch.float64) for _ in range(4))
        with pytest.raises(ValueError, match=r"state h has dtype torch.float64"):
            SLSTM(3, 4)(torch.zeros(5, 2, 3), state)

    def test_bad_forget_gate(self):
        with pytest.raises(ValueError, match=r"forget_gate must be one of \('sigmoid', 'exp'\); got 'tanh'"):
            SLSTM(3, 4, forget_gate="tanh")

    @pytest.mark.parametrize(("args", "error"), [((3, 0), ValueError), ((3, 4.0), TypeError), ((3, 4, 0), ValueError)])
    def test_bad_sizes(self, args, error):
        with pytest.raises(error, match=r"must be"):
            SLSTM(*args)

    def test_heads_must_divide_hidden_size(self):
        with pytest.raises(ValueError, match=r"hidden_size must be a multiple of num_heads; got 6 and 4"):
            SLSTM(3, 6, num_heads=4)
        with pytest.raises(ValueError, match=r"num_heads must be at least 1; got 0"):
            SLSTM(3, 6, num_heads=0)
