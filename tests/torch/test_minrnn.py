"""minGRU and minLSTM (lstmlib.torch.minrnn): the steps follow (MG1)-(MG3) and (ML1)-(ML5); the parallel path (the
log-space scan) equals the loop in values and gradients; gradcheck; the module equals a hand-stepped loop; errors."""

import pytest
import torch

from lstmlib.torch.minrnn import (
    MinGRU,
    MinLSTM,
    g,
    log_g,
    mingru_forward,
    mingru_parallel,
    mingru_step,
    minlstm_forward,
    minlstm_parallel,
    minlstm_step,
)

GRADCHECK = {"eps": 1e-6, "atol": 1e-8, "rtol": 1e-6}
KINDS = {
    "mingru": (2, mingru_step, mingru_forward, mingru_parallel),
    "minlstm": (3, minlstm_step, minlstm_forward, minlstm_parallel),
}
MODULES = {"mingru": MinGRU, "minlstm": MinLSTM}


def _inputs(kind, T, B, D, H, seed=0):
    gen = torch.Generator().manual_seed(seed)
    G = KINDS[kind][0]

    def rand(*shape):
        return torch.randn(*shape, generator=gen, dtype=torch.float64)

    return rand(T, B, D), rand(B, H), rand(G * H, D), rand(G * H)


def test_g_and_log_g():
    v = torch.linspace(-30, 30, 601, dtype=torch.float64)
    expected = torch.where(v >= 0, v + 0.5, 1 / (1 + torch.exp(-v)))
    torch.testing.assert_close(g(v), expected)
    torch.testing.assert_close(log_g(v), torch.log(expected))
    assert (g(v) > 0).all()
    assert torch.isfinite(log_g(torch.tensor([-1e4]))).all()  # log σ(v) ≈ v, no log(0)


def test_mingru_step_follows_its_equations():
    x, h, W, b = _inputs("mingru", 1, 3, 2, 4)
    x = x[0]
    W_z, W_h = W[:4], W[4:]
    z = torch.sigmoid(x @ W_z.T + b[:4])  # (MG1)
    k = x @ W_h.T + b[4:]
    h_tilde = torch.where(k >= 0, k + 0.5, torch.sigmoid(k))  # (MG2)
    torch.testing.assert_close(mingru_step(x, h, W, b), (1 - z) * h + z * h_tilde)  # (MG3)


def test_minlstm_step_follows_its_equations():
    x, h, W, b = _inputs("minlstm", 1, 3, 2, 4)
    x = x[0]
    f = torch.sigmoid(x @ W[:4].T + b[:4])  # (ML1)
    i = torch.sigmoid(x @ W[4:8].T + b[4:8])  # (ML2)
    k = x @ W[8:].T + b[8:]
    h_tilde = torch.where(k >= 0, k + 0.5, torch.sigmoid(k))  # (ML4)
    expected = f / (f + i) * h + i / (f + i) * h_tilde  # (ML3), (ML5)
    torch.testing.assert_close(minlstm_step(x, h, W, b), expected)


@pytest.mark.parametrize("T", [1, 5, 64, 200])
@pytest.mark.parametrize("kind", list(KINDS))
def test_parallel_equals_loop_in_values_and_gradients(kind, T):
    _, _, loop, parallel = KINDS[kind]
    inputs = _inputs(kind, T, 3, 2, 4, seed=T)
    weights = torch.randn(T, 3, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    results = []
    for fn in (loop, parallel):
        leaves = [t.clone().requires_grad_() for t in inputs]
        output, h_n = fn(*leaves)
        ((output * weights).sum() + h_n.sum()).backward()
        results.append([output.detach(), h_n.detach()] + [leaf.grad for leaf in leaves])
    for got, expected in zip(results[1], results[0]):
        torch.testing.assert_close(got, expected, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("fn_index", [1, 2, 3], ids=["step", "loop", "parallel"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_gradcheck(kind, fn_index):
    fn = KINDS[kind][fn_index]
    x, h, W, b = (t.requires_grad_() for t in _inputs(kind, 4, 2, 3, 3))
    args = (x[0], h, W, b) if fn_index == 1 else (x, h, W, b)
    assert torch.autograd.gradcheck(fn, args, **GRADCHECK)


@pytest.mark.parametrize("parallel", [True, False])
@pytest.mark.parametrize("kind", list(MODULES))
def test_module_gradcheck(kind, parallel):
    torch.manual_seed(0)
    module = MODULES[kind](2, 3, num_layers=2, parallel=parallel, dtype=torch.float64)
    x = torch.randn(5, 2, 2, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2, 2, 3, dtype=torch.float64, requires_grad=True)

    def run(x, h0, *params):
        state = dict(zip([name for name, _ in module.named_parameters()], params))
        return torch.func.functional_call(module, state, (x, h0))

    assert torch.autograd.gradcheck(run, (x, h0, *module.parameters()), **GRADCHECK)


@pytest.mark.parametrize("with_h0", [True, False], ids=["h0", "zeros"])
@pytest.mark.parametrize("parallel", [True, False])
@pytest.mark.parametrize("kind", list(MODULES))
def test_module_equals_hand_stepped_loop(kind, parallel, with_h0):
    step = KINDS[kind][1]
    torch.manual_seed(0)
    module = MODULES[kind](3, 4, num_layers=2, parallel=parallel, dtype=torch.float64)
    x = torch.randn(9, 2, 3, dtype=torch.float64)
    h0 = torch.randn(2, 2, 4, dtype=torch.float64) if with_h0 else torch.zeros(2, 2, 4, dtype=torch.float64)
    output, h_n = module(x, h0 if with_h0 else None)
    layer_input = x
    for layer in range(2):
        W, b = getattr(module, f"weight_ih_l{layer}"), getattr(module, f"bias_ih_l{layer}")
        h, states = h0[layer], []
        for t in range(9):
            h = step(layer_input[t], h, W, b)
            states.append(h)
        layer_input = torch.stack(states)
        torch.testing.assert_close(h_n[layer], h)
    torch.testing.assert_close(output, layer_input)


@pytest.mark.parametrize("kind", list(MODULES))
def test_parameters_and_shapes(kind):
    G = KINDS[kind][0]
    module = MODULES[kind](5, 7, num_layers=3)
    shapes = {name: tuple(p.shape) for name, p in module.named_parameters()}
    assert shapes == {
        "weight_ih_l0": (G * 7, 5),
        "bias_ih_l0": (G * 7,),
        "weight_ih_l1": (G * 7, 7),
        "bias_ih_l1": (G * 7,),
        "weight_ih_l2": (G * 7, 7),
        "bias_ih_l2": (G * 7,),
    }
    output, h_n = module(torch.randn(11, 4, 5))
    assert output.shape == (11, 4, 7) and h_n.shape == (3, 4, 7)
    assert "parallel=True" in repr(module)


@pytest.mark.parametrize("kind", list(MODULES))
def test_float32_parallel_stays_close_to_loop_over_2000_steps(kind):
    torch.manual_seed(0)
    module = MODULES[kind](3, 8)
    x = torch.randn(2000, 2, 3)
    with torch.no_grad():
        out_parallel, _ = module(x)
        module.parallel = False
        out_loop, _ = module(x)
    assert torch.isfinite(out_parallel).all()
    torch.testing.assert_close(out_parallel, out_loop, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("kind", list(MODULES))
def test_errors(kind):
    module = MODULES[kind](3, 4, num_layers=2)
    x = torch.randn(5, 2, 3)
    with pytest.raises(TypeError, match="torch.Tensor"):
        module(x.numpy())
    with pytest.raises(TypeError, match="floating-point"):
        module(x.long())
    with pytest.raises(ValueError, match=r"\(T, B, 3\); got \(5, 2, 4\)"):
        module(torch.randn(5, 2, 4))
    with pytest.raises(ValueError, match=r"\(T, B, 3\); got \(5, 3\)"):
        module(torch.randn(5, 3))
    with pytest.raises(ValueError, match="empty"):
        module(x[:0])
    with pytest.raises(ValueError, match="dtype"):
        module(x.double())
    with pytest.raises(ValueError, match=r"h0 must have shape \(num_layers, B, H\) = \(2, 2, 4\); got \(1, 2, 4\)"):
        module(x, torch.zeros(1, 2, 4))
    with pytest.raises(ValueError, match="h0 must have x's dtype"):
        module(x, torch.zeros(2, 2, 4, dtype=torch.float64))
    with pytest.raises(TypeError, match="h0 must be a torch.Tensor"):
        module(x, 0.0)
    with pytest.raises(TypeError, match="hidden_size must be an int"):
        MODULES[kind](3, 4.0)
    with pytest.raises(ValueError, match="num_layers must be at least 1"):
        MODULES[kind](3, 4, 0)
    with pytest.raises(TypeError, match="parallel must be a bool"):
        MODULES[kind](3, 4, parallel="yes")
