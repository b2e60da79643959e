"""Bad input raises ValueError/TypeError naming what was expected and what came; nothing broadcasts."""

import re

import numpy as np
import pytest
import torch

import lstmlib.numpy as nn
from lstmlib.numpy import _fast


def _lstm(**kw):
    return nn.LSTM(8, 4, **kw, seed=0)


def raises(exc, *fragments):
    """pytest.raises whose message must contain every fragment (expected and got)."""
    return pytest.raises(exc, match=".*".join(re.escape(f) for f in fragments))


X = np.zeros((5, 3, 8))


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_wrong_rank(cls):
    with raises(ValueError, "3 dimensions", "(T, B, D)", "or 2 (T, D)", "got 4", "(5, 3, 1, 8)"):
        cls(8, 4).forward(np.zeros((5, 3, 1, 8)))
    with raises(ValueError, "got 1", "(8,)"):
        cls(8, 4).forward(np.zeros(8))
    with raises(ValueError, "(T, 8)", "got (5, 7)"):  # unbatched, wrong feature size
        cls(8, 4).forward(np.zeros((5, 7)))


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_wrong_feature_size(cls):
    with raises(ValueError, "(T, B, 8)", "got (5, 3, 7)"):
        cls(8, 4).forward(np.zeros((5, 3, 7)))
    with raises(ValueError, "(B, T, 8)", "got (3, 5, 7)"):
        cls(8, 4, batch_first=True).forward(np.zeros((3, 5, 7)))


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, object])
def test_integer_bool_object_dtype(dtype):
    with raises(TypeError, "float32 or float64", f"got dtype {np.dtype(dtype)}"):
        _lstm().forward(np.zeros((5, 3, 8), dtype=dtype))


def test_other_float_dtype_is_not_cast_silently():
    with raises(TypeError, "float64", "got float32"):
        _lstm().forward(np.zeros((5, 3, 8), dtype=np.float32))
    with raises(TypeError, "float32", "got float64"):
        _lstm(dtype=np.float32).forward(X)


@pytest.mark.parametrize("shape", [(0, 3, 8), (5, 0, 8)])
def test_empty_sequence_or_batch(shape):
    with raises(ValueError, "at least one time step and one batch element", f"got {shape}"):
        _lstm().forward(np.zeros(shape))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values(bad):
    x = X.copy()
    x[2, 1, 3] = bad
    with raises(ValueError, "x must be finite", "got 1 NaN or inf"):
        _lstm().forward(x)
    h = np.zeros((1, 3, 4))
    h[0, 0, 0] = bad
    with raises(ValueError, "must be finite"):
        _lstm().forward(X, (h, np.zeros((1, 3, 4))))


def test_state_of_wrong_shape_or_type():
    with raises(ValueError, "(1, 3, 4)", "got (1, 2, 4)"):
        _lstm().forward(X, (np.zeros((1, 2, 4)), np.zeros((1, 2, 4))))
    with raises(ValueError, "(1, 3, 4)", "got (3, 4)"):
        nn.GRU(8, 4).forward(X, np.zeros((3, 4)))
    with raises(ValueError, "(2, 3, 4)", "got (1, 3, 4)"):
        _lstm(num_layers=2).forward(X, (np.zeros((1, 3, 4)), np.zeros((1, 3, 4))))
    with raises(TypeError, "tuple (h, c)", "got ndarray"):
        _lstm().forward(X, np.zeros((1, 3, 4)))
    with raises(TypeError, "one (num_layers, B, H) array", "got a tuple"):
        nn.RNN(8, 4).forward(X, (np.zeros((1, 3, 4)), np.zeros((1, 3, 4))))


def test_backward_before_forward():
    with raises(ValueError, "forward() first", "got no cached forward pass"):
        _lstm().backward(np.zeros((5, 3, 4)))
    with raises(ValueError, "forward() first"):
        nn.Linear(2, 3).backward(np.zeros((1, 3)))
    with raises(ValueError, "forward() first"):
        nn.MLP([2, 3]).backward(np.zeros((1, 3)))


def test_backward_gradient_of_wrong_shape():
    model = _lstm()
    model.forward(X)
    with raises(ValueError, "d_output must have shape (5, 3, 4)", "got (5, 3, 5)"):
        model.backward(np.zeros((5, 3, 5)))
    with raises(ValueError, "d_output must have shape (5, 3, 4)", "got (3, 4)"):
        model.backward(np.zeros((3, 4)))  # would broadcast; must not
    with raises(ValueError, "(1, 3, 4)", "got (1, 3, 5)"):
        model.backward(np.zeros((5, 3, 4)), (np.zeros((1, 3, 5)), None))
    with raises(ValueError, "d_output must be finite"):
        model.backward(np.full((5, 3, 4), np.nan))
    bf = _lstm(batch_first=True)
    bf.forward(np.zeros((3, 5, 8)))
    with raises(ValueError, "(3, 5, 4)", "got (5, 3, 4)"):
        bf.backward(np.zeros((5, 3, 4)))


def test_state_dict_missing_extra_misshapen():
    model = _lstm()
    sd = model.state_dict()
    missing = {k: v for k, v in sd.items() if k != "bias_hh_l0"}
    with raises(ValueError, "missing ['bias_hh_l0']"):
        model.load_state_dict(missing)
    with raises(ValueError, "unexpected ['weight_ih_l1']"):
        model.load_state_dict({**sd, "weight_ih_l1": sd["weight_ih_l0"]})
    with raises(ValueError, "weight_hh_l0", "(16, 4)", "got (16, 5)"):
        model.load_state_dict({**sd, "weight_hh_l0": np.zeros((16, 5))})
    with raises(ValueError, "(16, 8)", "got (12, 8)"):  # a GRU's weights are not an LSTM's
        model.load_state_dict(torch.nn.GRU(8, 4).state_dict())
    with raises(TypeError, "float32 or float64", "got dtype int64"):
        model.load_state_dict({**sd, "bias_ih_l0": np.zeros(16, dtype=np.int64)})


def test_constructor_arguments():
    with raises(ValueError, "hidden_size must be greater than zero", "got 0"):
        nn.LSTM(3, 0)
    with raises(TypeError, "num_layers should be of type int", "got: float"):
        nn.LSTM(3, 2, num_layers=1.5)
    with raises(TypeError, "np.float32 or np.float64", "got int32"):
        nn.LSTM(3, 2, dtype=np.int32)
    with raises(ValueError, "nonlinearity must be 'tanh' or 'relu'", "got 'sig'"):
        nn.RNN(3, 2, nonlinearity="sig")
    with raises(TypeError, "bias should be of type bool", "got: int"):
        nn.GRU(3, 2, bias=1)
    with raises(ValueError, "dropout must be a probability in [0, 1]", "got 1.5"):
        nn.GRU(3, 2, dropout=1.5)
    with raises(ValueError, "proj_size must be in [0, hidden_size) = [0, 2)", "got 2"):
        nn.LSTM(3, 2, proj_size=2)
    with raises(TypeError, "proj_size should be of type int", "got: float"):
        nn.LSTM(3, 2, proj_size=1.0)


@pytest.mark.parametrize("cls", [nn.Linear, nn.Embedding])
def test_layer_sizes_and_dtype(cls):
    first = "in_features" if cls is nn.Linear else "num_embeddings"
    with raises(ValueError, f"{first} must be greater than zero", "got 0"):
        cls(0, 3)  # was numpy's OverflowError from 1/sqrt(0)
    with raises(TypeError, "should be of type int", "got: float"):
        cls(2, 3.0)
    with raises(TypeError, "dtype must be np.float32 or np.float64", "got int64"):
        cls(2, 3, dtype=np.int64)
    with raises(TypeError, "dtype must be np.float32 or np.float64", "got int32"):
        nn.MLP([2, 3], dtype=np.int32)


FUNCTION_CASES = {  # name -> (forward, gates, has_cell)
    "rnn_forward": (nn.rnn_forward, 1, False),
    "lstm_forward": (nn.lstm_forward, 4, True),
    "gru_forward": (nn.gru_forward, 3, False),
    "fast rnn_forward": (_fast.rnn_forward, 1, False),
    "fast lstm_forward": (_fast.lstm_forward, 4, True),
    "fast gru_forward": (_fast.gru_forward, 3, False),
}


def _function_args(gates, has_cell, T=5, B=3, D=2, H=4, h_shape=None, dtype=np.float64):
    x = np.zeros((T, B, D), dtype=dtype)
    h0 = np.zeros(h_shape or (B, H))
    states = [h0, np.zeros((B, H))] if has_cell else [h0]
    weights = [np.zeros((gates * H, D)), np.zeros((gates * H, H)), np.zeros(gates * H), np.zeros(gates * H)]
    return [x, *states, *weights]


@pytest.mark.parametrize("name", list(FUNCTION_CASES))
def test_sequence_functions_reject_misshapen_states(name):
    """A misshapen h0 used to broadcast silently (rnn_forward with h0 (1, H) and B = 3)."""
    forward, gates, has_cell = FUNCTION_CASES[name]
    for bad in [(1, 4), (3, 5), (4,), (1, 3, 4)]:
        with raises(ValueError, "h0 must have shape (B, H) = (3, 4)", f"got {bad}"):
            forward(*_function_args(gates, has_cell, h_shape=bad))
    args = _function_args(gates, has_cell)
    args[-3] = np.zeros((gates * 4, 3))  # W_hh with the wrong width
    with raises(ValueError, f"weight_hh must have shape ({gates * 4}, 4)", f"got ({gates * 4}, 3)"):
        forward(*args)
    args = _function_args(gates, has_cell)
    args[-1] = np.zeros(gates * 4 + 1)
    with raises(ValueError, f"bias_hh must have shape ({gates * 4},)", f"got ({gates * 4 + 1},)"):
        forward(*args)
    with raises(TypeError, "h0 must have x's dtype float32", "got float64"):
        forward(*_function_args(gates, has_cell, dtype=np.float32))
    args = _function_args(gates, has_cell)
    args[0] = args[0].astype(np.int64)
    with raises(TypeError, "x must be a float32 or float64 NumPy array", "got dtype int64"):
        forward(*args)
    if has_cell:
        args = _function_args(gates, has_cell)
        args[2] = np.zeros((3, 5))
        with raises(ValueError, "c0 must have shape (B, H) = (3, 4)", "got (3, 5)"):
            forward(*args)


@pytest.mark.parametrize("forward", [nn.rnn_forward, _fast.rnn_forward, nn.rnn_step_forward, nn.rnn_step])
def test_unknown_nonlinearity_names_the_allowed_ones(forward):
    args = _function_args(1, False)
    if forward in (nn.rnn_step_forward, nn.rnn_step):
        args[0] = args[0][0]
    with raises(ValueError, "'tanh' or 'relu'", "got 'sig'"):
        forward(*args, nonlinearity="sig")


def test_step_functions_check_shapes():
    with raises(ValueError, "h_prev must have shape (B, H) = (3, 4)", "got (1, 4)"):
        nn.lstm_step_forward(np.zeros((3, 2)), np.zeros((1, 4)), np.zeros((3, 4)), np.zeros((16, 2)), np.zeros((16, 4)))
    with raises(ValueError, "x must have shape (B, D)", "got 3 dimensions"):
        nn.gru_step_forward(np.zeros((5, 3, 2)), np.zeros((3, 4)), np.zeros((12, 2)), np.zeros((12, 4)))
    with raises(ValueError, "sizes", "got [3]"):
        nn.MLP([3])


def test_layers_and_losses_do_not_broadcast():
    with raises(ValueError, "(..., 4)", "got (2, 3)"):
        nn.Linear(4, 2).forward(np.zeros((2, 3)))
    with raises(ValueError, "(N, 4)", "got (2, 3)"):
        nn.MLP([4, 2]).forward(np.zeros((2, 3)))
    with raises(ValueError, "target must have shape (4, 1)", "got (4,)"):
        nn.mse_loss(np.zeros((4, 1)), np.zeros(4))
    with raises(ValueError, "targets must have shape (3,)", "got (3, 1)"):
        nn.cross_entropy_loss(np.zeros((3, 5)), np.zeros((3, 1), dtype=int))
    with raises(TypeError, "integer", "got dtype float64"):
        nn.cross_entropy_loss(np.zeros((3, 5)), np.zeros(3))
    with raises(ValueError, "[0, 5)", "[0, 7]"):
        nn.cross_entropy_loss(np.zeros((3, 5)), np.array([0, 7, 1]))
    with raises(ValueError, "mask must have shape (2, 3)", "got (3, 2)"):
        nn.sequence_cross_entropy_loss(np.zeros((2, 3, 4)), np.zeros((2, 3), dtype=int), np.ones((3, 2), bool))
    with raises(ValueError, "at least one position", "all-False"):
        nn.sequence_cross_entropy_loss(np.zeros((2, 3, 4)), np.zeros((2, 3), dtype=int), np.zeros((2, 3), bool))
    with raises(ValueError, "[0, 3)", "[0, 3]"):
        nn.Embedding(3, 2).forward(np.array([0, 3]))


def test_optimizer_and_clipping_arguments():
    params = {"w": np.zeros(3)}
    with raises(ValueError, "missing ['w']", "unexpected ['v']"):
        nn.SGD(params, lr=0.1).step({"v": np.zeros(3)})
    with raises(ValueError, "grads['w'] must have shape (3,)", "got (1,)"):
        nn.Adam(params).step({"w": np.zeros(1)})
    with raises(ValueError, "max_norm must be > 0", "got 0"):
        nn.clip_grad_norm(params, 0)
