"""The diagonal state-space layer (lstmlib.torch.ssm): the scan path equals the loop over ssm_step in values and
gradients, time-invariant and selective; the time-invariant layer is a causal convolution; gradcheck; errors."""

import pytest
import torch

from lstmlib.torch.ssm import DiagonalSSM, ssm_step

GRADCHECK = {"eps": 1e-6, "atol": 1e-8, "rtol": 1e-6}


def _layer(selective, parallel=True, D=3, N=4, seed=0):
    torch.manual_seed(seed)
    layer = DiagonalSSM(D, N, selective=selective, parallel=parallel, dtype=torch.float64)
    with torch.no_grad():  # larger steps than the init's, so the state moves within a few steps
        layer.log_dt.add_(2.0)
    return layer


@pytest.mark.parametrize("T", [1, 7, 120])
@pytest.mark.parametrize("selective", [False, True], ids=["s4d", "selective"])
def test_scan_equals_loop_in_values_and_gradients(selective, T):
    layer = _layer(selective)
    x = torch.randn(T, 2, 3, dtype=torch.float64)
    h0 = torch.randn(2, 3, 4, dtype=torch.float64)
    results = []
    for parallel in (False, True):
        layer.parallel = parallel
        layer.zero_grad()
        xs, hs = x.clone().requires_grad_(), h0.clone().requires_grad_()
        y, h_n = layer(xs, hs)
        (y.sum() + (y**2).sum() + h_n.sum()).backward()
        results.append([y.detach(), h_n.detach(), xs.grad, hs.grad] + [p.grad.clone() for p in layer.parameters()])
    for got, expected in zip(results[1], results[0]):
        torch.testing.assert_close(got, expected, rtol=1e-9, atol=1e-11)


def test_loop_is_ssm_step_by_hand():
    layer = _layer(False, parallel=False)
    x = torch.randn(6, 2, 3, dtype=torch.float64)
    A_bar, B_bar, C = layer.discretize(x)
    h = torch.zeros(2, 3, 4, dtype=torch.float64)
    for t in range(6):
        h = A_bar * h + B_bar * x[t, :, :, None]  # (SSM1)
    y_last = (C * h).sum(-1) + layer.D_skip * x[-1]  # (SSM2)
    y, h_n = layer(x)
    torch.testing.assert_close(h_n, h)
    torch.testing.assert_close(y[-1], y_last)
    torch.testing.assert_close(
        ssm_step(x[-1], torch.zeros_like(h), A_bar, B_bar, C, layer.D_skip)[0], B_bar * x[-1, ..., None]
    )


def test_time_invariant_layer_is_a_causal_convolution():
    layer = _layer(False)
    x = torch.randn(50, 2, 3, dtype=torch.float64)
    K = layer.kernel(50)  # (50, D)
    conv = torch.stack([sum(K[k] * x[t - k] for k in range(t + 1)) for t in range(50)]) + layer.D_skip * x
    torch.testing.assert_close(layer(x)[0], conv)
    with pytest.raises(ValueError, match="selective"):
        _layer(True).kernel(5)


def test_discretization_is_zero_order_hold():
    layer = _layer(False)
    A = -torch.exp(layer.A_log)
    dt = torch.exp(layer.log_dt)[:, None]
    A_bar, B_bar, _ = layer.discretize(None)
    torch.testing.assert_close(A_bar, torch.exp(dt * A))
    torch.testing.assert_close(B_bar, (torch.exp(dt * A) - 1) / A * layer.B)
    assert ((A_bar > 0) & (A_bar < 1)).all()  # stable: the state decays


@pytest.mark.parametrize("parallel", [True, False])
@pytest.mark.parametrize("selective", [False, True], ids=["s4d", "selective"])
def test_gradcheck(selective, parallel):
    layer = _layer(selective, parallel, D=2, N=3)
    x = torch.randn(5, 2, 2, dtype=torch.float64, requires_grad=True)
    names = [name for name, _ in layer.named_parameters()]

    def run(x, *params):
        return torch.func.functional_call(layer, dict(zip(names, params)), (x,))

    assert torch.autograd.gradcheck(run, (x, *layer.parameters()), **GRADCHECK)


def test_errors():
    layer = DiagonalSSM(3, 4)
    x = torch.randn(5, 2, 3)
    with pytest.raises(TypeError, match="torch.Tensor"):
        layer(x.numpy())
    with pytest.raises(TypeError, match="floating-point"):
        layer(x.long())
    with pytest.raises(ValueError, match=r"\(T, B, 3\); got \(5, 2, 2\)"):
        layer(x[..., :2])
    with pytest.raises(ValueError, match="empty"):
        layer(x[:0])
    with pytest.raises(ValueError, match="dtype"):
        layer(x.double())
    with pytest.raises(ValueError, match=r"h0 must be a tensor of shape \(B, D, N\) = \(2, 3, 4\)"):
        layer(x, torch.zeros(2, 3))
    with pytest.raises(TypeError, match="state_size must be an int"):
        DiagonalSSM(3, 4.0)
    with pytest.raises(ValueError, match="d_model must be at least 1"):
        DiagonalSSM(0)
