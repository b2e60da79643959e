"""lstmlib.torch against torch.nn on shared weights: outputs and every gradient, on every device."""

import pytest
import torch

from lstmlib.device import available_devices
from lstmlib.torch import GRU, LSTM, RNN

DEVICES = available_devices()
PAIRS = [(RNN, torch.nn.RNN), (LSTM, torch.nn.LSTM), (GRU, torch.nn.GRU)]
IDS = ["RNN", "LSTM", "GRU"]
# (T, B, D, H, constructor options)
SHAPES = [
    (5, 3, 4, 6, {}),
    (1, 1, 3, 2, {}),  # T=1, B=1
    (4, 1, 2, 5, {"batch_first": True}),
    (3, 2, 4, 3, {"num_layers": 3}),
    (6, 2, 3, 4, {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    (4, 3, 5, 4, {"bias": False}),
]
# Tolerance per dtype and device type, with TF32 off (tests/conftest.py). float32 on CUDA: cuDNN's fused
# RNN kernels sum in another order than our step-by-step products, which costs a few ulps per step.
TOLERANCES = {
    (torch.float64, "cpu"): 1e-10,
    (torch.float32, "cpu"): 1e-5,
    (torch.float64, "cuda"): 1e-10,
    (torch.float32, "cuda"): 2e-5,
    (torch.float64, "mps"): 1e-10,
    (torch.float32, "mps"): 1e-4,
}


def _as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


def _make_pair(ours_cls, ref_cls, D, H, options, dtype, device):
    ref = ref_cls(D, H, **options).to(device=device, dtype=dtype)
    ours = ours_cls(D, H, **options).to(device=device, dtype=dtype)
    ours.load_state_dict(ref.state_dict())
    return ours, ref


def _loss_and_grads(model, x, state):
    output, final = model(x, state)
    final = _as_tuple(final)
    # weight every output differently so that no gradient is trivially symmetric
    loss = (output * torch.linspace(-1, 1, output.numel(), dtype=x.dtype, device=x.device).view_as(output)).sum()
    loss = loss + sum((s**2).sum() for s in final)
    inputs = [x, *_as_tuple(state), *model.parameters()]
    return output, final, torch.autograd.grad(loss, inputs)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("T, B, D, H, options", SHAPES)
@pytest.mark.parametrize("ours_cls, ref_cls", PAIRS, ids=IDS)
def test_matches_torch_nn(ours_cls, ref_cls, T, B, D, H, options, dtype, device):
    torch.manual_seed(0)
    ours, ref = _make_pair(ours_cls, ref_cls, D, H, options, dtype, device)
    layers = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    shape = (B, T, D) if options.get("batch_first") else (T, B, D)
    x = torch.randn(shape, dtype=dtype, device=device, requires_grad=True)
    state = tuple(
        torch.randn(layers, B, H, dtype=dtype, device=device, requires_grad=True)
        for _ in range(2 if ours_cls is LSTM else 1)
    )
    ref_state = state if ours_cls is LSTM else state[0]
    out_ref, final_ref, grads_ref = _loss_and_grads(ref, x, ref_state)
    out_ours, final_ours, grads_ours = _loss_and_grads(ours, x, ref_state)
    tol = TOLERANCES[dtype, torch.device(device).type]
    assert out_ours.shape == out_ref.shape
    torch.testing.assert_close(out_ours, out_ref, rtol=tol, atol=tol)
    for ours_s, ref_s in zip(final_ours, final_ref):
        torch.testing.assert_close(ours_s, ref_s, rtol=tol, atol=tol)
    names = ["x"] + [f"state{k}" for k in range(len(state))] + [n for n, _ in ours.named_parameters()]
    for name, g_ours, g_ref in zip(names, grads_ours, grads_ref):
        torch.testing.assert_close(g_ours, g_ref, rtol=tol, atol=tol, msg=lambda m, n=name: f"d{n}: {m}")


@pytest.mark.parametrize("ours_cls, ref_cls", PAIRS, ids=IDS)
def test_default_state_is_zeros(ours_cls, ref_cls):
    torch.manual_seed(0)
    ours, ref = _make_pair(ours_cls, ref_cls, 3, 4, {"num_layers": 2}, torch.float64, "cpu")
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    out_ours, final_ours = ours(x)
    out_ref, final_ref = ref(x)
    torch.testing.assert_close(out_ours, out_ref, rtol=1e-10, atol=1e-10)
    for ours_s, ref_s in zip(_as_tuple(final_ours), _as_tuple(final_ref)):
        torch.testing.assert_close(ours_s, ref_s, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("options", [{}, {"num_layers": 2, "bidirectional": True, "bias": False}])
@pytest.mark.parametrize("ours_cls, ref_cls", PAIRS, ids=IDS)
def test_same_seed_same_init_and_names(ours_cls, ref_cls, options):
    torch.manual_seed(3)
    ref = ref_cls(4, 5, **options)
    torch.manual_seed(3)
    ours = ours_cls(4, 5, **options)
    ref_sd, ours_sd = ref.state_dict(), ours.state_dict()
    assert list(ours_sd) == list(ref_sd)
    for name in ref_sd:
        assert ours_sd[name].shape == ref_sd[name].shape, name
        assert torch.equal(ours_sd[name], ref_sd[name]), name


@pytest.mark.parametrize("ours_cls, ref_cls", PAIRS, ids=IDS)
def test_state_dict_round_trip(ours_cls, ref_cls):
    torch.manual_seed(0)
    ours = ours_cls(3, 4, num_layers=2)
    ref = ref_cls(3, 4, num_layers=2)
    ref.load_state_dict(ours.state_dict())  # lstmlib -> torch.nn (strict)
    back = ours_cls(3, 4, num_layers=2)
    back.load_state_dict(ref.state_dict())  # torch.nn -> lstmlib (strict)
    for name, tensor in ours.state_dict().items():
        assert torch.equal(back.state_dict()[name], tensor), name
    x = torch.randn(4, 2, 3)
    torch.testing.assert_close(back(x)[0], ref(x)[0], rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="TF32 exists only on NVIDIA GPUs")
def test_tf32_is_what_moves_cuda_float32_results():
    """With TF32 on (cuDNN's default), float32 RNN outputs move by about 1e-4 from the float64 truth;
    with it off, by float32's own rounding: the reason the parity tests above turn it off."""
    torch.manual_seed(0)
    ref = torch.nn.RNN(64, 128).to("cuda")
    x = torch.randn(50, 16, 64, device="cuda")
    truth = ref.double()(x.double())[0]
    ref.float()
    errors = {}
    for tf32 in (False, True):
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = tf32
        errors[tf32] = (ref(x)[0].double() - truth).abs().max().item()
    assert errors[False] < 2e-5 and 3 * errors[False] < errors[True] < 1e-1


@pytest.mark.parametrize("ours_cls, ref_cls", PAIRS, ids=IDS)
def test_torch_nn_attributes_and_keywords(ours_cls, ref_cls):
    """What code written for torch.nn touches besides forward: hx=, all_weights, flatten_parameters()."""
    torch.manual_seed(0)
    ours, ref = _make_pair(ours_cls, ref_cls, 3, 4, {"num_layers": 2, "bidirectional": True}, torch.float64, "cpu")
    assert [[p.shape for p in w] for w in ours.all_weights] == [[p.shape for p in w] for w in ref.all_weights]
    assert all(a is getattr(ours, n) for a, n in zip(sum(ours.all_weights, []), ours._flat_weights_names))
    ours.flatten_parameters()
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    state = tuple(torch.randn(4, 2, 4, dtype=torch.float64) for _ in range(2 if ours_cls is LSTM else 1))
    state = state if ours_cls is LSTM else state[0]
    out_ours, _ = ours(x, hx=state)
    out_ref, _ = ref(x, hx=state)
    torch.testing.assert_close(out_ours, out_ref, rtol=1e-10, atol=1e-10)
    with pytest.raises(TypeError, match=r"pass the initial state once, as state or as hx; got both"):
        ours(x, state, hx=state)
