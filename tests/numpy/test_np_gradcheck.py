"""Finite-difference checks (float64, centred differences) for every backward in lstmlib.numpy:
every input, every parameter, and the initial states."""

import numpy as np
import pytest

import lstmlib.numpy as nn
from lstmlib.numpy import _fast, check_gradients, check_module_gradients, rel_error

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
@pytest.mark.parametrize("bias", [True, False])
def test_single_state_step_backward(cell, gates, seed, bias):
    """RNN and GRU steps: one state in, one state out."""
    step_forward, step_backward = getattr(nn, f"{cell}_step_forward"), getattr(nn, f"{cell}_step_backward")
    rng = np.random.default_rng(seed)
    B, D, H = 3, 4, 5
    params = _step_params(rng, gates, D, H)
    inputs = [_rand(rng, B, D), _rand(rng, B, H)] + (params if bias else params[:2])
    h, cache = step_forward(*inputs)
    dh = _rand(rng, B, H)
    grads = step_backward(dh, cache)
    assert (grads[-1] is None) == (not bias)
    errors = check_gradients(lambda *a: step_forward(*a)[0], inputs, grads[: len(inputs)], dh)
    assert max(errors) < TOL


def test_rnn_relu_step_backward():
    rng = np.random.default_rng(15)
    B, D, H = 3, 4, 5
    inputs = [_rand(rng, B, D), _rand(rng, B, H)] + _step_params(rng, 1, D, H)
    h, cache = nn.rnn_step_forward(*inputs, nonlinearity="relu")
    assert (h == 0).any() and (h > 0).any()
    dh = _rand(rng, B, H)
    errors = check_gradients(lambda *a: nn.rnn_step_forward(*a, "relu")[0], inputs, nn.rnn_step_backward(dh, cache), dh)
    assert max(errors) < TOL


@pytest.mark.parametrize("bias", [True, False])
def test_lstm_step_backward(bias):
    rng = np.random.default_rng(6)
    B, D, H = 3, 4, 5
    params = _step_params(rng, 4, D, H)
    inputs = [_rand(rng, B, D), _rand(rng, B, H), _rand(rng, B, H)] + (params if bias else params[:2])
    h, c, cache = nn.lstm_step_forward(*inputs)
    dh, dc = _rand(rng, B, H), _rand(rng, B, H)
    grads = nn.lstm_step_backward(dh, dc, cache)
    assert (grads[-1] is None) == (not bias)
    errors = check_gradients(lambda *a: nn.lstm_step_forward(*a)[:2], inputs, grads[: len(inputs)], (dh, dc))
    assert max(errors) < TOL


def test_lstm_step_backward_with_projection():
    rng = np.random.default_rng(16)
    B, D, H, P = 3, 4, 5, 2
    inputs = [_rand(rng, B, D), _rand(rng, B, P), _rand(rng, B, H)]
    inputs += [0.5 * _rand(rng, *s) for s in ((4 * H, D), (4 * H, P), (4 * H,), (4 * H,), (P, H))]
    h, c, cache = nn.lstm_step_forward(*inputs)
    assert h.shape == (B, P)
    dh, dc = _rand(rng, B, P), _rand(rng, B, H)
    grads = nn.lstm_step_backward(dh, dc, cache)
    errors = check_gradients(lambda *a: nn.lstm_step_forward(*a)[:2], inputs, grads, (dh, dc))
    assert len(grads) == 8 and max(errors) < TOL


SEQUENCE_FUNCTIONS = {
    "loops": {k: (getattr(nn, f"{k}_forward"), getattr(nn, f"{k}_backward")) for k in ("rnn", "lstm", "gru")},
    "fast": {k: (getattr(_fast, f"{k}_forward"), getattr(_fast, f"{k}_backward")) for k in ("rnn", "lstm", "gru")},
}


@pytest.mark.parametrize("path", ["loops", "fast"])
@pytest.mark.parametrize("cell", ["rnn", "rnn-relu", "gru"])
@pytest.mark.parametrize("bias", [True, False])
def test_sequence_backward_single_state(path, cell, bias):
    """Every input, the initial state and every parameter, with gradients for the outputs and h_n."""
    rng = np.random.default_rng(8)
    T, B, D, H = 4, 2, 3, 4
    kind = cell.split("-")[0]
    gates = {"rnn": 1, "gru": 3}[kind]
    forward, backward = SEQUENCE_FUNCTIONS[path][kind]
    extra = {"nonlinearity": "relu"} if cell == "rnn-relu" else {}
    params = _step_params(rng, gates, D, H)
    inputs = [_rand(rng, T, B, D), _rand(rng, B, H)] + (params if bias else params[:2])
    output, h_n, cache = forward(*inputs, **extra)
    d_output, dh_n = _rand(rng, T, B, H), _rand(rng, B, H)
    grads = backward(d_output, cache, dh_n)
    assert (grads[-1] is None) == (not bias)
    errors = check_gradients(
        lambda *a: forward(*a, **extra)[:2], inputs, grads[: len(inputs)], (d_output, dh_n), normwise=True
    )
    assert max(errors) < TOL


@pytest.mark.parametrize("path", ["loops", "fast"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("proj", [False, True])
def test_lstm_sequence_backward_with_final_state_gradients(path, bias, proj):
    rng = np.random.default_rng(9)
    T, B, D, H, P = 4, 2, 3, 4, 3
    forward, backward = SEQUENCE_FUNCTIONS[path]["lstm"]
    R = P if proj else H
    W_ih, W_hh, b_ih, b_hh = (0.5 * _rand(rng, *s) for s in ((4 * H, D), (4 * H, R), (4 * H,), (4 * H,)))
    W_hr = 0.5 * _rand(rng, P, H) if proj else None
    inputs = [_rand(rng, T, B, D), _rand(rng, B, R), _rand(rng, B, H), W_ih, W_hh]
    inputs += [b_ih, b_hh] if bias else [None, None]
    inputs += [W_hr]
    output, h_n, c_n, cache = forward(*inputs)
    d_output, dh_n, dc_n = _rand(rng, T, B, R), _rand(rng, B, R), _rand(rng, B, H)
    grads = list(backward(d_output, cache, dh_n, dc_n))
    assert len(grads) == (8 if proj else 7) and (grads[5] is None) == (not bias)
    analytic = grads[:7] + ([grads[7]] if proj else [None])
    analytic = [None if x is None else g for x, g in zip(inputs, analytic)]
    errors = check_gradients(lambda *a: forward(*a)[:3], inputs, analytic, (d_output, dh_n, dc_n), normwise=True)
    assert max(e for e in errors if e is not None) < TOL


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
@pytest.mark.parametrize("num_layers,batch_first", [(1, False), (2, True)])
@pytest.mark.parametrize("fast", [True, False])
def test_layer_backward_every_input_parameter_and_state(cls, num_layers, batch_first, fast):
    model = cls(3, 4, num_layers=num_layers, batch_first=batch_first, seed=0, fast=fast)
    rng = np.random.default_rng(10)
    x = _rand(rng, 3, 2, 3)
    shape = (num_layers, 3 if batch_first else 2, 4)
    state = (_rand(rng, *shape), _rand(rng, *shape)) if cls is nn.LSTM else _rand(rng, *shape)
    errors = check_module_gradients(model, x, state)
    expected = {"x", *model.params} | ({"state.h", "state.c"} if cls is nn.LSTM else {"state"})
    assert set(errors) == expected
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
@pytest.mark.parametrize("fast", [True, False])
def test_bidirectional_no_bias_projection_unbatched_backward(cls, fast):
    """The torch.nn options the layers mirror, checked by finite differences (no torch involved)."""
    extra = {"proj_size": 2} if cls is nn.LSTM else {"nonlinearity": "relu"} if cls is nn.RNN else {}
    model = cls(3, 4, num_layers=2, bias=False, bidirectional=True, seed=0, fast=fast, **extra)
    rng = np.random.default_rng(12)
    R = 2 if cls is nn.LSTM else 4
    state = (_rand(rng, 4, 2, R), _rand(rng, 4, 2, 4)) if cls is nn.LSTM else _rand(rng, 4, 2, R)
    errors = check_module_gradients(model, _rand(rng, 3, 2, 3), state, normwise=True)
    assert max(errors.values()) < TOL, errors
    unbatched = (state[0][:, 0], state[1][:, 0]) if cls is nn.LSTM else state[:, 0]
    errors = check_module_gradients(model, _rand(rng, 3, 3), unbatched, normwise=True)
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("fast", [True, False])
def test_dropout_backward_with_the_same_mask(fast):
    """Dropout between layers: with the model's rng reset before each forward the mask is fixed, so
    finite differences check the backward through it; in eval mode no mask is drawn."""
    model = nn.LSTM(3, 4, num_layers=3, dropout=0.4, bidirectional=True, seed=0, fast=fast)
    forward = model.forward

    def same_mask_forward(*args, **kwargs):
        model._rng = np.random.default_rng(5)
        return forward(*args, **kwargs)

    model.forward = same_mask_forward
    rng = np.random.default_rng(13)
    x = _rand(rng, 4, 2, 3)
    errors = check_module_gradients(model, x, normwise=True)
    assert max(errors.values()) < TOL, errors
    out_train, _ = model.forward(x)
    out_eval, _ = model.eval().forward(x)
    assert np.abs(out_train - out_eval).max() > 1e-3  # the mask did something
    assert np.array_equal(model.forward(x)[0], out_eval)  # eval: deterministic, no mask


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
@pytest.mark.parametrize("fast", [True, False])
def test_lengths_backward(cls, fast):
    """forward(x, state, lengths): sequences of their own lengths in one batch, bidirectional, 2 layers."""
    model = cls(2, 2, num_layers=2, bidirectional=True, batch_first=True, seed=0, fast=fast)
    forward = model.forward
    lengths = np.array([3, 1, 4])
    model.forward = lambda x, state=None: forward(x, state, lengths=lengths)
    rng = np.random.default_rng(14)
    state = (_rand(rng, 4, 3, 2), _rand(rng, 4, 3, 2)) if cls is nn.LSTM else _rand(rng, 4, 3, 2)
    errors = check_module_gradients(model, _rand(rng, 3, 4, 2), state, normwise=True)
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
