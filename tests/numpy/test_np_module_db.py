"""lstmlib.numpy's RNN, GRU and LSTM against every sample of PyTorch's own module tests for nn.RNN,
nn.GRU and nn.LSTM (``torch.testing._internal.common_modules.module_db``): the same constructor
arguments, torch's weights loaded, then outputs, final states and the gradients of the input, the
initial states and every parameter compared at float64, for the fast path and the readable loops.
PyTorch's error inputs must be rejected by our classes too, with our own messages. Also: ``lengths``
against ``pack_padded_sequence``."""

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torch.testing._internal.common_modules import module_db

import lstmlib.numpy as lnp

OURS = {torch.nn.RNN: lnp.RNN, torch.nn.GRU: lnp.GRU, torch.nn.LSTM: lnp.LSTM}
INFOS = [info for info in module_db if info.module_cls in OURS]
TOL = 1e-9


def _samples():
    for info in INFOS:
        samples = info.module_inputs_func(info, device="cpu", dtype=torch.float64, requires_grad=True, training=False)
        for k, sample in enumerate(samples):
            yield pytest.param(info.module_cls, sample, id=f"{info.module_cls.__name__}-{k}")


def test_module_db_has_samples_for_all_three():
    counts = {}
    for cls, *_ in (p.values for p in _samples()):
        counts[cls] = counts.get(cls, 0) + 1
    assert set(counts) == set(OURS) and min(counts.values()) >= 8, counts


def _tuple(s):
    return tuple(s) if isinstance(s, (tuple, list)) else (s,)


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "loops"])
@pytest.mark.parametrize("torch_cls, sample", list(_samples()))
def test_matches_torch_module_db_sample(torch_cls, sample, fast):
    args, kwargs = sample.constructor_input.args, sample.constructor_input.kwargs
    torch.manual_seed(0)
    reference = torch_cls(*args, **kwargs).double().eval()
    ours = OURS[torch_cls](*args, **kwargs, fast=fast).eval()
    ours.load_state_dict(reference.state_dict())
    assert list(ours.state_dict()) == list(reference.state_dict())
    inputs = sample.forward_input.args
    x = inputs[0].detach().clone().requires_grad_(True)
    state = None
    if len(inputs) > 1:
        state = tuple(s.detach().clone().requires_grad_(True) for s in _tuple(inputs[1]))
    torch_state = None if state is None else (state if torch_cls is torch.nn.LSTM else state[0])
    out, final = reference(x, torch_state)
    finals = _tuple(final)
    rng = np.random.default_rng(0)
    d_output = rng.standard_normal(tuple(out.shape))
    d_finals = [rng.standard_normal(tuple(f.shape)) for f in finals]
    loss = (out * torch.from_numpy(d_output)).sum()
    loss = loss + sum((f * torch.from_numpy(d)).sum() for f, d in zip(finals, d_finals))
    loss.backward()

    np_state = None if state is None else tuple(s.detach().numpy() for s in state)
    np_state = np_state if np_state is None or torch_cls is torch.nn.LSTM else np_state[0]
    our_out, our_final = ours.forward(x.detach().numpy(), np_state)
    np.testing.assert_allclose(our_out, out.detach().numpy(), rtol=TOL, atol=TOL)
    for mine, theirs in zip(_tuple(our_final), finals, strict=True):
        np.testing.assert_allclose(mine, theirs.detach().numpy(), rtol=TOL, atol=TOL)
    d_state = tuple(d_finals) if torch_cls is torch.nn.LSTM else d_finals[0]
    grads_in = ours.backward(d_output, d_state)
    dx = grads_in if state is None else grads_in[0]
    np.testing.assert_allclose(dx, x.grad.numpy(), rtol=TOL, atol=TOL)
    if state is not None:
        for mine, theirs in zip(_tuple(grads_in[1]), state, strict=True):
            np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=TOL, atol=TOL)
    assert list(ours.grads) == [name for name, _ in reference.named_parameters()]
    for name, p in reference.named_parameters():
        np.testing.assert_allclose(ours.grads[name], p.grad.numpy(), rtol=TOL, atol=TOL, err_msg=name)


def _error_samples():
    for info in INFOS:
        if info.module_error_inputs_func is None:
            continue
        errors = info.module_error_inputs_func(
            info, device="cpu", dtype=torch.float64, requires_grad=False, training=False
        )
        for k, error in enumerate(errors):
            yield pytest.param(info.module_cls, error, id=f"{info.module_cls.__name__}-error{k}")


def test_module_db_has_error_inputs():
    assert len(list(_error_samples())) >= 3 * 10


@pytest.mark.parametrize("torch_cls, error", list(_error_samples()))
def test_rejects_torch_error_inputs(torch_cls, error):
    """Each of PyTorch's error inputs raises TypeError or ValueError in our class, with a message that
    names the argument at fault (torch raises on it too: checked first)."""
    module_input = error.module_error_input
    args, kwargs = module_input.constructor_input.args, dict(module_input.constructor_input.kwargs)
    with pytest.raises(error.error_type):  # torch's own behaviour, as the sample says
        module = torch_cls(*args, **kwargs)
        module(*module_input.forward_input.args)
    kwargs.pop("device", None)
    if isinstance(kwargs.get("dtype"), torch.dtype):
        kwargs["dtype"] = np.float64 if kwargs["dtype"] == torch.float64 else np.float32
    with pytest.raises((TypeError, ValueError)) as caught:
        ours = OURS[torch_cls](*args, **kwargs)
        ours.forward(*(a.detach().numpy() for a in module_input.forward_input.args))
    message = str(caught.value)
    assert "got" in message, message
    arguments = ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dtype", "x")
    named = [w for w in arguments if w in message]
    assert named, message


@pytest.mark.parametrize("cls", [lnp.RNN, lnp.GRU, lnp.LSTM])
@pytest.mark.parametrize("fast", [True, False], ids=["fast", "loops"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_lengths_match_packed_sequences(cls, fast, batch_first):
    """forward(x, state, lengths) equals torch.nn on pack_padded_sequence / pad_packed_sequence, and
    so do all gradients: bidirectional, two layers, sequences of different lengths."""
    torch_cls = {lnp.RNN: torch.nn.RNN, lnp.GRU: torch.nn.GRU, lnp.LSTM: torch.nn.LSTM}[cls]
    T, B, D, H = 6, 4, 3, 5
    torch.manual_seed(1)
    reference = torch_cls(D, H, num_layers=2, bidirectional=True, batch_first=batch_first).double()
    ours = cls(D, H, num_layers=2, bidirectional=True, batch_first=batch_first, fast=fast)
    ours.load_state_dict(reference.state_dict())
    rng = np.random.default_rng(2)
    lengths = np.array([4, 6, 1, 4])
    x = rng.standard_normal((B, T, D) if batch_first else (T, B, D))
    shapes = [(4, B, H)] * (2 if cls is lnp.LSTM else 1)
    state = tuple(rng.standard_normal(s) for s in shapes)
    np_state = state if cls is lnp.LSTM else state[0]

    xt = torch.tensor(x, requires_grad=True)
    st = tuple(torch.tensor(s, requires_grad=True) for s in state)
    packed = pack_padded_sequence(xt, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False)
    out_packed, final = reference(packed, st if cls is lnp.LSTM else st[0])
    out, _ = pad_packed_sequence(out_packed, batch_first=batch_first, total_length=T)
    finals = _tuple(final)
    d_output = rng.standard_normal(tuple(out.shape))
    d_finals = [rng.standard_normal(tuple(f.shape)) for f in finals]
    loss = (out * torch.from_numpy(d_output)).sum()
    loss = loss + sum((f * torch.from_numpy(d)).sum() for f, d in zip(finals, d_finals))
    loss.backward()

    our_out, our_final = ours.forward(x, np_state, lengths=lengths)
    np.testing.assert_allclose(our_out, out.detach().numpy(), rtol=TOL, atol=TOL)
    padded = (np.arange(T)[:, None] >= lengths[None, :]).T if batch_first else np.arange(T)[:, None] >= lengths
    assert np.all(our_out[padded] == 0)  # outputs after each sequence's end are zero
    for mine, theirs in zip(_tuple(our_final), finals, strict=True):
        np.testing.assert_allclose(mine, theirs.detach().numpy(), rtol=TOL, atol=TOL)
    dx, d_state0 = ours.backward(d_output, tuple(d_finals) if cls is lnp.LSTM else d_finals[0])
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=TOL, atol=TOL)
    for mine, theirs in zip(_tuple(d_state0), st, strict=True):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=TOL, atol=TOL)
    for name, p in reference.named_parameters():
        np.testing.assert_allclose(ours.grads[name], p.grad.numpy(), rtol=TOL, atol=TOL, err_msg=name)


def test_lengths_are_checked():
    model = lnp.LSTM(3, 4)
    x = np.zeros((5, 2, 3))
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, T\] = \[1, 5\]; got values in \[0, 5\]"):
        model.forward(x, lengths=np.array([0, 5]))
    with pytest.raises(ValueError, match=r"lengths must have shape \(2,\); got \(3,\)"):
        model.forward(x, lengths=np.array([1, 2, 3]))
    with pytest.raises(TypeError, match="integer array"):
        model.forward(x, lengths=np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="lengths needs a batch"):
        model.forward(np.zeros((5, 3)), lengths=np.array([5]))
