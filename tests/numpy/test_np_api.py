"""The public API of lstmlib.numpy: type hints everywhere, the shared step/sequence signatures of
COMMON (the same argument names and order as lstmlib.torch, NumPy's weights named W_ih, W_hh,
b_ih, b_hh), and torch.nn's constructor order for the classes."""

import inspect

import numpy as np
import pytest

import lstmlib.numpy as lnp


def _public_callables():
    for name in lnp.__all__:
        obj = getattr(lnp, name)
        if inspect.isclass(obj):
            if issubclass(obj, tuple):  # the cache namedtuples
                continue
            for method_name, method in vars(obj).items():
                if callable(method) and (not method_name.startswith("_") or method_name == "__init__"):
                    yield f"{name}.{method_name}", method
            for base in obj.__mro__[1:]:
                for method_name in ("forward", "backward", "state_dict", "load_state_dict", "train", "eval"):
                    if method_name in vars(base):
                        yield f"{name}.{method_name}", vars(base)[method_name]
        elif callable(obj):
            yield name, obj


@pytest.mark.parametrize("name, fn", list(_public_callables()), ids=lambda v: v if isinstance(v, str) else "")
def test_public_functions_have_type_hints(name, fn):
    signature = inspect.signature(fn)
    missing = [
        p.name
        for p in signature.parameters.values()
        if p.annotation is inspect.Parameter.empty
        and p.name not in ("self", "state", "d_state", "module", "df", "douts", "seed", "dtype", "modules")
        and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]
    assert not missing, f"{name}: parameters without a type hint: {missing}"
    if name != "detach_state":
        assert signature.return_annotation is not inspect.Signature.empty, f"{name}: no return annotation"


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_step_and_sequence_signatures(kind):
    states = ["h_prev", "c_prev"] if kind == "lstm" else ["h_prev"]
    weights = ["W_ih", "W_hh", "b_ih", "b_hh"]
    extra = {"rnn": ["nonlinearity"], "lstm": ["W_hr"], "gru": []}[kind]
    for fn in (getattr(lnp, f"{kind}_step"), getattr(lnp, f"{kind}_step_forward")):
        assert list(inspect.signature(fn).parameters) == ["x", *states, *weights, *extra]
    sequence_states = ["h0", "c0"] if kind == "lstm" else ["h0"]
    forward = getattr(lnp, f"{kind}_forward")
    assert list(inspect.signature(forward).parameters) == ["x", *sequence_states, *weights, *extra]
    backward = getattr(lnp, f"{kind}_backward")
    finals = ["dh_n", "dc_n"] if kind == "lstm" else ["dh_n"]
    assert list(inspect.signature(backward).parameters) == ["d_output", "cache", *finals]
    from lstmlib.numpy import _fast

    for name in (f"{kind}_forward", f"{kind}_backward"):
        assert (
            inspect.signature(getattr(_fast, name)).parameters.keys()
            == inspect.signature(getattr(lnp, name)).parameters.keys()
        )


@pytest.mark.parametrize("cls", [lnp.RNN, lnp.LSTM, lnp.GRU])
def test_constructor_order_is_torch_nn(cls):
    ours = inspect.signature(cls.__init__).parameters
    positional = [p for p, v in ours.items() if p != "self" and v.kind is v.POSITIONAL_OR_KEYWORD]
    expected = {
        "RNN": [
            "input_size",
            "hidden_size",
            "num_layers",
            "nonlinearity",
            "bias",
            "batch_first",
            "dropout",
            "bidirectional",
        ],
        "LSTM": [
            "input_size",
            "hidden_size",
            "num_layers",
            "bias",
            "batch_first",
            "dropout",
            "bidirectional",
            "proj_size",
        ],
        "GRU": ["input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"],
    }[cls.__name__]
    assert positional == expected  # torch.nn's documented order (its __init__ takes *args, **kwargs)
    assert [p for p, v in ours.items() if v.kind is v.KEYWORD_ONLY] == ["seed", "dtype", "fast"]
    model = cls(3, 4, 2, *([] if cls is not lnp.RNN else ["relu"]), seed=0)
    assert model.num_layers == 2 and np.dtype(model.dtype) == np.float64
    if cls is lnp.RNN:
        assert model.nonlinearity == "relu"
