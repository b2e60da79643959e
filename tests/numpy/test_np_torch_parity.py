"""lstmlib.numpy RNN/LSTM/GRU against torch.nn on shared weights: outputs, final states, and every
gradient (input, initial state, all parameters). float64 within 1e-10, float32 within 1e-5."""

import numpy as np
import pytest
import torch
from np_helpers import random_inputs, random_upstream, torch_reference

from lstmlib.numpy import GRU, LSTM, RNN

# (T, B, D, H, num_layers, batch_first)
SHAPES = [
    (1, 1, 1, 1, 1, False),
    (1, 3, 4, 5, 1, False),
    (6, 1, 3, 4, 1, False),
    (7, 4, 5, 3, 1, True),
    (5, 2, 3, 4, 2, False),
    (4, 3, 2, 6, 3, True),
]
TOL = {np.float64: 1e-10, np.float32: 1e-5}


def _as_tuple(s):
    return s if isinstance(s, tuple) else (s,)


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "T{}-B{}-D{}-H{}-L{}-bf{}".format(*s))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("with_state", [True, False])
def test_matches_torch_nn(cls, shape, dtype, with_state):
    T, B, D, H, L, batch_first = shape
    model = cls(D, H, num_layers=L, batch_first=batch_first, seed=sum(shape), dtype=dtype)
    x, state = random_inputs(model, T, B, with_state=with_state)
    output, final = model.forward(x, state)
    d_output, d_state = random_upstream(output, final)
    grads_in = model.backward(d_output, d_state)
    ref = torch_reference(model, x, state, d_output, d_state)
    tol = TOL[dtype]

    def check(a, b):
        return np.testing.assert_allclose(a, b, rtol=tol, atol=tol)

    assert output.dtype == dtype and output.shape == ref["output"].shape
    check(output, ref["output"])
    for mine, theirs in zip(_as_tuple(final), ref["final"]):
        assert mine.shape == theirs.shape == (L, B, H)
        check(mine, theirs)
    dx = grads_in[0] if with_state else grads_in
    check(dx, ref["dx"])
    if with_state:
        for mine, theirs in zip(_as_tuple(grads_in[1]), ref["dstate"]):
            check(mine, theirs)
    assert list(model.grads) == list(ref["grads"])
    for name, g in ref["grads"].items():
        assert model.grads[name].dtype == dtype
        check(model.grads[name], g)


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
def test_state_dict_round_trip_with_torch(cls):
    """torch.nn state_dict -> NumPy model -> state_dict -> torch.nn, unchanged, including tensors as they are."""
    torch.manual_seed(0)
    ref = {RNN: torch.nn.RNN, LSTM: torch.nn.LSTM, GRU: torch.nn.GRU}[cls](3, 5, num_layers=2)
    model = cls(3, 5, num_layers=2, seed=1)
    model.load_state_dict(ref.state_dict())  # torch tensors, float32 -> model's float64
    sd = model.state_dict()
    assert list(sd) == list(ref.state_dict())
    for k, v in ref.state_dict().items():
        assert isinstance(sd[k], np.ndarray) and sd[k].shape == tuple(v.shape)
        np.testing.assert_array_equal(sd[k], v.numpy().astype(np.float64))
    back = type(ref)(3, 5, num_layers=2)
    back.load_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in sd.items()})
    for k, v in ref.state_dict().items():
        assert torch.equal(back.state_dict()[k], v)
    # state_dict returns copies; load_state_dict writes in place (optimizers keep their references)
    w = model.params["weight_ih_l0"]
    sd["weight_ih_l0"][:] = 0
    assert np.any(model.weight_ih_l0 != 0)
    model.load_state_dict(sd)
    assert model.params["weight_ih_l0"] is w and np.all(w == 0)


def test_default_initialization_matches_torch_bounds():
    model = LSTM(4, 16, seed=0)
    bound = 1 / np.sqrt(16)
    for name, p in model.params.items():
        assert np.all(np.abs(p) <= bound), name
        assert np.std(p) > 0.5 * bound / np.sqrt(3), name  # really spread over U(-k, k)
    assert model.weight_ih_l0.shape == (64, 4) and model.weight_hh_l0.shape == (64, 16)
    assert model.bias_ih_l0.shape == (64,) and model.dtype == np.float64
    np.testing.assert_array_equal(LSTM(4, 16, seed=0).weight_hh_l0, model.weight_hh_l0)
    assert not np.array_equal(LSTM(4, 16, seed=1).weight_hh_l0, model.weight_hh_l0)
    gen = np.random.default_rng(0)
    np.testing.assert_array_equal(LSTM(4, 16, seed=gen).weight_ih_l0, model.weight_ih_l0)
