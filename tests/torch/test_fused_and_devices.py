"""The opt-in fused path equals the default path; get_device; the models on every available device."""

import numpy as np
import pytest
import torch

from lstmlib.device import available_devices, get_device
from lstmlib.torch import GRU, LSTM, RNN

DEVICES = available_devices()
CLASSES = [RNN, LSTM, GRU]
IDS = ["RNN", "LSTM", "GRU"]


def _as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    "options", [{}, {"num_layers": 2, "batch_first": True}, {"bidirectional": True, "bias": False}]
)
@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_fused_equals_default(cls, options, device):
    torch.manual_seed(0)
    default = cls(3, 4, **options).to(device=device, dtype=torch.float64)
    fused = cls(3, 4, fused=True, **options).to(device=device, dtype=torch.float64)
    fused.load_state_dict(default.state_dict())
    x = torch.randn(5, 2, 3, dtype=torch.float64, device=device, requires_grad=True)
    grads = []
    for model in (default, fused):
        output, final = model(x)
        loss = (output**2).sum() + sum(s.sum() for s in _as_tuple(final))
        grads.append((output, _as_tuple(final), torch.autograd.grad(loss, [x, *model.parameters()])))
    (out_d, fin_d, g_d), (out_f, fin_f, g_f) = grads
    torch.testing.assert_close(out_f, out_d, rtol=1e-10, atol=1e-10)
    for a, b in zip(fin_f, fin_d):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)
    for a, b in zip(g_f, g_d):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


def test_get_device_is_the_best_available(monkeypatch):
    monkeypatch.delenv("LSTMLIB_DEVICE", raising=False)
    device = get_device()
    assert isinstance(device, torch.device)
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert device.type == expected
    assert available_devices()[0] == "cpu"
    assert device.type in available_devices()


def test_small_models_stay_on_the_cpu_and_the_variable_overrides(monkeypatch):
    monkeypatch.delenv("LSTMLIB_DEVICE", raising=False)
    assert get_device(small_model=True).type == "cpu"
    monkeypatch.setenv("LSTMLIB_DEVICE", "cpu")
    assert get_device().type == "cpu"
    monkeypatch.setenv("LSTMLIB_DEVICE", "tpu")
    with pytest.raises(ValueError, match=r"LSTMLIB_DEVICE must name an available device, one of \['cpu'"):
        get_device()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_runs_on_device_after_to(cls, device):
    torch.manual_seed(0)
    model = cls(3, 4).to(device)
    output, final = model(torch.randn(2, 5, 3, device=device).transpose(0, 1))  # non-contiguous input
    assert output.device.type == torch.device(device).type and output.shape == (5, 2, 4)
    assert all(s.device == output.device and s.shape == (1, 2, 4) for s in _as_tuple(final))


@pytest.mark.parametrize("cls_name", ["RNN", "LSTM", "GRU"])
def test_state_dict_round_trip_with_numpy(cls_name):
    """torch.nn -> lstmlib.torch -> lstmlib.numpy -> lstmlib.torch, same outputs all along."""
    import lstmlib.numpy as lnp
    import lstmlib.torch as lt

    torch.manual_seed(0)
    ref = getattr(torch.nn, cls_name)(3, 4, num_layers=2).double()
    ours = getattr(lt, cls_name)(3, 4, num_layers=2).double()
    ours.load_state_dict(ref.state_dict())
    numpy_model = getattr(lnp, cls_name)(3, 4, num_layers=2)
    numpy_model.load_state_dict(ours.state_dict())
    back = getattr(lt, cls_name)(3, 4, num_layers=2).double()
    back.load_state_dict({k: torch.from_numpy(v) for k, v in numpy_model.state_dict().items()})
    for name, tensor in ref.state_dict().items():
        assert torch.equal(back.state_dict()[name], tensor), name
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    out_numpy, _ = numpy_model.forward(x.numpy())
    np.testing.assert_allclose(out_numpy, ours(x)[0].detach().numpy(), rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(back(x)[0], ref(x)[0], rtol=1e-10, atol=1e-10)
