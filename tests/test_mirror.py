"""lstmlib.numpy and lstmlib.torch mirror each other: the same public names, signatures and returns.

What differs is listed here, with the reason: each backend's keyword-only extras (numpy: ``seed``,
``dtype``, ``fast``; torch: ``fast``, ``fused``, ``device``, ``dtype``), the cache that a NumPy forward
returns last (torch's autograd keeps its own), and NumPy's hand-written derivatives
(``*_step_forward``, ``*_step_backward``, ``*_backward``), which torch does not need.
"""

import inspect

import numpy as np
import pytest
import torch

import lstmlib.numpy as lnp
import lstmlib.torch as lt

SHARED = lt.__all__
EXTRAS = {"numpy": {"seed", "dtype", "fast"}, "torch": {"fast", "fused", "device", "dtype"}}


def test_every_torch_name_is_in_numpy():
    assert set(SHARED) <= set(lnp.__all__), set(SHARED) - set(lnp.__all__)


@pytest.mark.parametrize("name", SHARED)
def test_same_signature(name):
    np_params = inspect.signature(getattr(lnp, name)).parameters
    pt_params = inspect.signature(getattr(lt, name)).parameters

    def shared(params, backend):
        return [
            (p.name, p.kind, p.default)
            for p in params.values()
            if not (p.kind is inspect.Parameter.KEYWORD_ONLY and p.name in EXTRAS[backend])
        ]

    assert shared(np_params, "numpy") == shared(pt_params, "torch")
    for backend, params in (("numpy", np_params), ("torch", pt_params)):
        extras = {p.name for p in params.values() if p.kind is inspect.Parameter.KEYWORD_ONLY}
        assert extras <= EXTRAS[backend]


@pytest.mark.parametrize("kind, states", [("rnn", 1), ("lstm", 2), ("gru", 1)])
def test_same_returns_of_steps_and_sequences(kind, states):
    """Steps return the new state(s); sequences (output, h_n[, c_n]), NumPy's with its cache last; equal values."""
    rng = np.random.default_rng(0)
    T, B, D, H = 4, 3, 2, 5
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    args = [rng.standard_normal((T, B, D))] + [rng.standard_normal((B, H)) for _ in range(states)]
    weights = [rng.standard_normal(s) * 0.5 for s in ((gates * H, D), (gates * H, H), (gates * H,), (gates * H,))]
    np_out = getattr(lnp, f"{kind}_forward")(*args, *weights)
    pt_out = getattr(lt, f"{kind}_forward")(*[torch.from_numpy(a) for a in args + weights])
    assert len(np_out) == len(pt_out) + 1 == states + 2
    for a, b in zip(np_out[:-1], pt_out):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-12, atol=1e-12)
    step_args = [args[0][0]] + args[1:]
    np_step = getattr(lnp, f"{kind}_step")(*step_args, *weights)
    pt_step = getattr(lt, f"{kind}_step")(*[torch.from_numpy(a) for a in step_args + weights])
    np_step, pt_step = (s if isinstance(s, tuple) else (s,) for s in (np_step, pt_step))
    assert len(np_step) == len(pt_step) == states
    for a, b in zip(np_step, pt_step):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_classes_agree_on_shared_weights(name):
    """Same constructor call, the same state_dict, the same forward returns in both backends."""
    kwargs = {"num_layers": 2, "bidirectional": True, "batch_first": True}
    mine = getattr(lt, name)(3, 4, **kwargs, dtype=torch.float64)
    numpy_model = getattr(lnp, name)(3, 4, **kwargs)
    numpy_model.load_state_dict({k: v.detach().numpy() for k, v in mine.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((2, 5, 3))
    np_output, np_state = numpy_model.forward(x)
    pt_output, pt_state = mine(torch.from_numpy(x))
    np.testing.assert_allclose(np_output, pt_output.detach().numpy(), rtol=1e-10, atol=1e-12)
    np_state, pt_state = (s if isinstance(s, tuple) else (s,) for s in (np_state, pt_state))
    for a, b in zip(np_state, pt_state, strict=True):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_same_attributes(name):
    """The attributes code reads from a layer (torch.nn's, plus gate_count, has_cell and fast) match."""
    kwargs = {"num_layers": 2, "bias": False, "batch_first": True, "dropout": 0.25, "bidirectional": True}
    if name == "LSTM":
        kwargs["proj_size"] = 2
    if name == "RNN":
        kwargs["nonlinearity"] = "relu"
    pair = getattr(lnp, name)(3, 4, **kwargs), getattr(lt, name)(3, 4, **kwargs)
    names = ["input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"]
    names += ["num_directions", "gate_count", "has_cell", "fast"]
    names += {"LSTM": ["proj_size"], "RNN": ["nonlinearity"], "GRU": []}[name]
    for attribute in names:
        assert getattr(pair[0], attribute) == getattr(pair[1], attribute), attribute
