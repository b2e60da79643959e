"""Finite-difference checks (float64, centred differences) for every backward in lstmlib.numpy:
every input, every parameter, and the initial states."""

import numpy as np
import pytest

import lstmlib.numpy as nn
from lstmlib.numpy import check_gradients, check_module_gradients, rel_error

TOL = 1e-6  # relative error; correct backwards give 1e-8 .. 1e-11 here, a wrong term gives > 1e-3


def _rand(rng, *shape):
    return rng.standard_normal(shape)


def _step_params(rng, gates, D, H):
    """Weights of a typical scale (std 0.5): large enough to exercise saturation, not to flatten it."""
    return [0.5 * _rand(rng, *s) for s in ((gates * H, D), (gates * H, H), (gates * H,), (gates * H,))]


def test_rel_error_and_numerical_gradient_detect_errors():
    rng = np.random.default_rng(0)
    x, df = _rand(rng, 3, 4), _rand(rng, 3, 4)
    num = nn.numerical_gradient_array(lambda v: v**3, x, df)
    assert rel_error(num, 3 * x**2 * df) < 1e-8
    assert rel_error(num, 3 * x**2 * df * 1.01) > 1e-3
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "softmax"])
def test_activation_backward(name):
    rng = np.random.default_rng(1)
    z = _rand(rng, 4, 5)
    z[np.abs(z) < 1e-3] = 0.5  # keep relu away from its kink
    dout = _rand(rng, 4, 5)
    f = getattr(nn, name)
    out = f(z)
    back = getattr(nn, f"{name}_backward")
    dz = back(dout, z if name == "relu" else out)
    (err,) = check_gradients(f, [z], [dz], dout)
    assert err < TOL


def test_affine_backward_any_leading_axes():
    rng = np.random.default_rng(2)
    for shape in [(5, 4), (3, 2, 4)]:
        x, W, b = _rand(rng, *shape), _rand(rng, 6, 4), _rand(rng, 6)
        out, cache = nn.affine_forward(x, W, b)
        dout = _rand(rng, *out.shape)
        errors = check_gradients(
            lambda x, W, b: nn.affine_forward(x, W, b)[0], [x, W, b], list(nn.affine_backward(dout, cache)), dout
        )
        assert max(errors) < TOL


def test_embedding_backward_with_repeated_indices():
    rng = np.random.default_rng(3)
    W, idx = _rand(rng, 5, 3), np.array([[0, 2, 2], [4, 0, 0]])
    out, cache = nn.embedding_forward(idx, W)
    dout = _rand(rng, *out.shape)
    dW = nn.embedding_backward(dout, cache)
    (err,) = check_gradients(lambda W: nn.embedding_forward(idx, W)[0], [W], [dW], dout)
    assert err < TOL
    assert np.all(dW[[1, 3]] == 0)


def test_losses_backward():
    rng = np.random.default_rng(4)
    pred, target = _rand(rng, 4, 3), _rand(rng, 4, 3)
    _, dpred = nn.mse_loss(pred, target)
    assert check_gradients(lambda p: np.array(nn.mse_loss(p, target)[0]), [pred], [dpred], np.array(1.0))[0] < TOL
    logits, y = _rand(rng, 5, 4), rng.integers(0, 4, 5)
    _, dlogits = nn.cross_entropy_loss(logits, y)
    assert (
        check_gradients(lambda z: np.array(nn.cross_entropy_loss(z, y)[0]), [logits], [dlogits], np.array(1.0))[0] < TOL
    )
    logits, y = _rand(rng, 3, 2, 5), rng.integers(0, 5, (3, 2))
    mask = np.array([[1, 1], [1, 0], [0, 0]], dtype=bool)
    _, dlogits = nn.sequence_cross_entropy_loss(logits, y, mask)

    def f(z):
        return np.array(nn.sequence_cross_entropy_loss(z, y, mask)[0])

    assert check_gradients(f, [logits], [dlogits], np.array(1.0))[0] < TOL
    assert np.all(dlogits[~mask] == 0)


@pytest.mark.parametrize("cell, gates, seed", [("rnn", 1, 5), ("gru", 3, 7)])
def test_single_state_step_backward(cell, gates, seed):
    """RNN and GRU steps: one state in, one state out."""
    step_forward, step_backward = getattr(nn, f"{cell}_step_forward"), getattr(nn, f"{cell}_step_backward")
    rng = np.random.default_rng(seed)
    B, D, H = 3, 4, 5
    inputs = [_rand(rng, B, D), _rand(rng, B, H)] + _step_params(rng, gates, D, H)
    h, cache = step_forward(*inputs)
    dh = _rand(rng, B, H)
    errors = check_gradients(lambda *a: step_forward(*a)[0], inputs, step_backward(dh, cache), dh)
    assert max(errors) < TOL


def test_lstm_step_backward():
    rng = np.random.default_rng(6)
    B, D, H = 3, 4, 5
    inputs = [_rand(rng, B, D), _rand(rng, B, H), _rand(rng, B, H)] + _step_params(rng, 4, D, H)
    h, c, cache = nn.lstm_step_forward(*inputs)
    dh, dc = _rand(rng, B, H), _rand(rng, B, H)
    grads = nn.lstm_step_backward(dh, dc, cache)
    errors = check_gradients(lambda *a: nn.lstm_step_forward(*a)[:2], inputs, grads, (dh, dc))
    assert max(errors) < TOL


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_sequence_backward_single_state(cell):
    rng = np.random.default_rng(8)
    T, B, D, H = 4, 2, 3, 4
    gates = {"rnn": 1, "gru": 3}[cell]
    forward, backward = getattr(nn, f"{cell}_forward"), getattr(nn, f"{cell}_backward")
    inputs = [_rand(rng, T, B, D), _rand(rng, B, H)] + _step_params(rng, gates, D, H)
    h, cache = forward(*inputs)
    dh = _rand(rng, T, B, H)
    errors = check_gradients(lambda *a: forward(*a)[0], inputs, backward(dh, cache), dh)
    assert max(errors) < TOL


def test_lstm_sequence_backward_with_final_cell_gradient():
    rng = np.random.default_rng(9)
    T, B, D, H = 4, 2, 3, 4
    inputs = [_rand(rng, T, B, D), _rand(rng, B, H), _rand(rng, B, H)] + _step_params(rng, 4, D, H)
    h, c, cache = nn.lstm_forward(*inputs)
    dh, dc_last = _rand(rng, T, B, H), _rand(rng, B, H)
    grads = nn.lstm_backward(dh, cache, dc_last)
    errors = check_gradients(
        lambda *a: (nn.lstm_forward(*a)[0], nn.lstm_forward(*a)[1][-1]), inputs, grads, (dh, dc_last)
    )
    assert max(errors) < TOL


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
@pytest.mark.parametrize("num_layers,batch_first", [(1, False), (2, True)])
def test_layer_backward_every_input_parameter_and_state(cls, num_layers, batch_first):
    model = cls(3, 4, num_layers=num_layers, batch_first=batch_first, seed=0)
    rng = np.random.default_rng(10)
    x = _rand(rng, 3, 2, 3)
    shape = (num_layers, 3 if batch_first else 2, 4)
    state = (_rand(rng, *shape), _rand(rng, *shape)) if cls is nn.LSTM else _rand(rng, *shape)
    errors = check_module_gradients(model, x, state)
    expected = {"x", *model.params} | ({"state.h", "state.c"} if cls is nn.LSTM else {"state"})
    assert set(errors) == expected
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_mlp_and_linear_backward(activation):
    rng = np.random.default_rng(11)
    mlp = nn.MLP([4, 6, 5, 3], activation=activation, seed=0)
    errors = check_module_gradients(mlp, _rand(rng, 7, 4))
    assert set(errors) == {"x", *mlp.params} and max(errors.values()) < TOL, errors
    lin = nn.Linear(4, 2, seed=0)
    errors = check_module_gradients(lin, _rand(rng, 3, 5, 4))
    assert max(errors.values()) < TOL


def test_normwise_rel_error_ignores_rounding_in_tiny_entries():
    # An entry 1e-8 beside entries of 1, off by rounding (1e-12): elementwise that is a relative error
    # of 5e-5, normwise 5e-13; a wrong term is caught both ways.
    exact = np.array([1.0, -0.5, 1e-8])
    rounded = exact + np.array([0.0, 0.0, 1e-12])
    assert rel_error(exact, rounded) > 1e-5 and rel_error(exact, rounded, normwise=True) < 1e-11
    assert rel_error(exact, exact * 1.01, normwise=True) > 1e-3
    assert rel_error(np.zeros(3), np.zeros(3), normwise=True) == 0.0
    model = nn.LSTM(3, 4, seed=0)
    rng = np.random.default_rng(0)
    errors = check_module_gradients(model, rng.standard_normal((5, 2, 3)), normwise=True)
    assert max(errors.values()) < TOL
