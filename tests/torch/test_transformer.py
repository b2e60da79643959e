"""lstmlib.torch.transformer: causality, shapes, gradients, fused attention equal to the hand-written one, errors."""

import pytest
import torch

from lstmlib.torch.transformer import CausalTransformer, sinusoidal_positions


def _model(fast=True, dtype=torch.float64, positions="sinusoidal", **kw):
    torch.manual_seed(0)
    args = {"input_size": 3, "d_model": 8, "num_layers": 2, "num_heads": 2, "max_len": 12, "dim_feedforward": 16}
    args.update(kw)
    return CausalTransformer(**args, positions=positions, fast=fast, dtype=dtype)


@pytest.mark.parametrize("positions", ["sinusoidal", "learned"])
@pytest.mark.parametrize("fast", [True, False])
def test_shapes(fast, positions):
    model = _model(fast, torch.float32, positions)
    out, state = model(torch.randn(7, 4, 3))
    assert out.shape == (7, 4, 8) and state is None


@pytest.mark.parametrize("fast", [True, False])
def test_causal(fast):
    model = _model(fast)
    x = torch.randn(10, 3, 3, dtype=torch.float64)
    out, _ = model(x)
    for t in (0, 4, 9):
        changed = x.clone()
        changed[t] += torch.randn(3, 3, dtype=torch.float64)
        out2, _ = model(changed)
        torch.testing.assert_close(out2[:t], out[:t], rtol=0, atol=1e-12)  # the past is untouched
        assert (out2[t] - out[t]).abs().max() > 1e-6  # step t itself sees the change


def test_fast_equals_manual_values_and_gradients():
    manual, fast = _model(False), _model(True)
    fast.load_state_dict(manual.state_dict())
    x = torch.randn(9, 2, 3, dtype=torch.float64, requires_grad=True)
    out_m, _ = manual(x)
    out_f, _ = fast(x)
    torch.testing.assert_close(out_f, out_m, rtol=1e-10, atol=1e-10)
    grads_m = torch.autograd.grad(out_m.square().sum(), [x, *manual.parameters()])
    grads_f = torch.autograd.grad(out_f.square().sum(), [x, *fast.parameters()])
    for gm, gf in zip(grads_m, grads_f, strict=True):
        torch.testing.assert_close(gf, gm, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("fast", [True, False])
def test_gradcheck(fast):
    model = _model(fast, d_model=4, num_layers=1, dim_feedforward=6, positions="learned")
    x = torch.randn(5, 2, 3, dtype=torch.float64, requires_grad=True)
    params = list(model.parameters())

    def f(x, *weights):
        with torch.nn.utils.stateless._reparametrize_module(
            model, {n: w for (n, _), w in zip(model.named_parameters(), weights, strict=True)}
        ):
            return model(x)[0]

    weights = [p.detach().clone().requires_grad_(True) for p in params]
    assert torch.autograd.gradcheck(f, (x, *weights), eps=1e-6, atol=1e-5)


def test_sinusoidal_positions():
    table = sinusoidal_positions(5, 6, dtype=torch.float64)
    assert table.shape == (5, 6)
    torch.testing.assert_close(table[:, 0], torch.sin(torch.arange(5.0, dtype=torch.float64)))
    torch.testing.assert_close(table[0, 1::2], torch.ones(3, dtype=torch.float64))


def test_dropout_only_in_training():
    model = _model(True, torch.float32, dropout=0.5)
    x = torch.randn(6, 2, 3)
    model.eval()
    torch.testing.assert_close(model(x)[0], model(x)[0])


def test_errors():
    model = _model(True, torch.float32)
    with pytest.raises(ValueError, match="max_len = 12"):
        model(torch.randn(13, 2, 3))
    with pytest.raises(ValueError, match=r"\(T, B, 3\); got \(5, 2, 4\)"):
        model(torch.randn(5, 2, 4))
    with pytest.raises(ValueError, match="empty"):
        model(torch.randn(0, 2, 3))
    with pytest.raises(TypeError, match="floating-point"):
        model(torch.ones(5, 2, 3, dtype=torch.int64))
    with pytest.raises(TypeError, match="torch.Tensor"):
        model([[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="dtype"):
        model(torch.randn(5, 2, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="no state"):
        model(torch.randn(5, 2, 3), (torch.zeros(1),))
    with pytest.raises(ValueError, match="multiple of num_heads"):
        CausalTransformer(3, 6, 1, 4, max_len=10)
    with pytest.raises(ValueError, match="positions"):
        CausalTransformer(3, 8, 1, 2, max_len=10, positions="rotary")
    with pytest.raises(TypeError, match="max_len must be an int"):
        CausalTransformer(3, 8, 1, 2, max_len=10.0)
    with pytest.raises(ValueError, match="num_layers must be >= 1"):
        CausalTransformer(3, 8, 0, 2, max_len=10)
