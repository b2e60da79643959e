"""Activations, dense layers, losses, MLP and optimizers against torch on shared values;
truncated BPTT with a carried state."""

import warnings

import numpy as np
import pytest
import torch

import lstmlib.numpy as nn


def test_sigmoid_is_stable_and_exact():
    z = np.array([-1e4, -800.0, -30.0, -1.0, 0.0, 1.0, 30.0, 800.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any overflow warning fails the test
        s = nn.sigmoid(z)
        s32 = nn.sigmoid(z.astype(np.float32))
    assert s32.dtype == np.float32
    np.testing.assert_allclose(s, torch.sigmoid(torch.from_numpy(z)).numpy(), rtol=1e-15, atol=0)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[4] == 0.5
    assert 0 < s[2] < 1e-12  # exact in the tail, not rounded to 0
    np.testing.assert_allclose(nn.softmax(np.array([[1e4, 0.0, -1e4]])), [[1.0, 0.0, 0.0]])


def test_softmax_tanh_relu_match_torch():
    z = np.random.default_rng(0).standard_normal((4, 6))
    zt = torch.from_numpy(z)
    np.testing.assert_allclose(nn.softmax(z), torch.softmax(zt, dim=-1).numpy(), rtol=1e-14)
    np.testing.assert_allclose(nn.softmax(z, axis=0), torch.softmax(zt, dim=0).numpy(), rtol=1e-14)
    np.testing.assert_array_equal(nn.relu(z), torch.relu(zt).numpy())
    np.testing.assert_allclose(nn.tanh(z), torch.tanh(zt).numpy(), rtol=1e-15)


def test_linear_and_embedding_match_torch():
    torch.manual_seed(0)
    ref = torch.nn.Linear(4, 3).double()
    lin = nn.Linear(4, 3, seed=0)
    lin.load_state_dict(ref.state_dict())
    x = np.random.default_rng(1).standard_normal((2, 5, 4))
    xt = torch.tensor(x, requires_grad=True)
    out_t = ref(xt)
    out = lin.forward(x)
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-12)
    dout = np.random.default_rng(2).standard_normal(out.shape)
    (out_t * torch.from_numpy(dout)).sum().backward()
    np.testing.assert_allclose(lin.backward(dout), xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(lin.grads["weight"], ref.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(lin.grads["bias"], ref.bias.grad.numpy(), rtol=1e-12)

    emb_t = torch.nn.Embedding(6, 3).double()
    emb = nn.Embedding(6, 3)
    emb.load_state_dict(emb_t.state_dict())
    idx = np.array([[1, 5, 1], [0, 1, 2]])
    out_t = emb_t(torch.from_numpy(idx))
    np.testing.assert_array_equal(emb.forward(idx), out_t.detach().numpy())
    dout = np.random.default_rng(3).standard_normal((2, 3, 3))
    (out_t * torch.from_numpy(dout)).sum().backward()
    emb.backward(dout)
    np.testing.assert_allclose(emb.grads["weight"], emb_t.weight.grad.numpy(), rtol=1e-13)


def test_losses_match_torch():
    rng = np.random.default_rng(4)
    pred, target = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    loss, _ = nn.mse_loss(pred, target)
    assert loss == pytest.approx(
        torch.nn.functional.mse_loss(torch.from_numpy(pred), torch.from_numpy(target)).item(), rel=1e-13
    )
    logits, y = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    lt = torch.tensor(logits, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(lt, torch.from_numpy(y))
    ref.backward()
    loss, dlogits = nn.cross_entropy_loss(logits, y)
    assert loss == pytest.approx(ref.item(), rel=1e-13)
    np.testing.assert_allclose(dlogits, lt.grad.numpy(), rtol=1e-12, atol=1e-15)
    # sequence loss with padding = torch's ignore_index on the padded positions
    T, B, V = 4, 3, 5
    logits, y = rng.standard_normal((T, B, V)), rng.integers(0, V, (T, B))
    lengths = np.array([4, 2, 1])
    mask = np.arange(T)[:, None] < lengths[None, :]  # (T, B)
    lt = torch.tensor(logits, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(
        lt.reshape(-1, V), torch.from_numpy(np.where(mask, y, -100)).reshape(-1), ignore_index=-100
    )
    ref.backward()
    loss, dlogits = nn.sequence_cross_entropy_loss(logits, y, mask)
    assert loss == pytest.approx(ref.item(), rel=1e-13)
    np.testing.assert_allclose(dlogits, lt.grad.numpy(), rtol=1e-12, atol=1e-15)
    full, _ = nn.sequence_cross_entropy_loss(logits, y)
    assert full == pytest.approx(
        torch.nn.functional.cross_entropy(
            torch.from_numpy(logits).reshape(-1, V), torch.from_numpy(y).reshape(-1)
        ).item(),
        rel=1e-13,
    )


@pytest.mark.parametrize("activation,module", [("relu", torch.nn.ReLU), ("tanh", torch.nn.Tanh)])
def test_mlp_matches_torch_sequential(activation, module):
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(4, 8), module(), torch.nn.Linear(8, 3)).double()
    mlp = nn.MLP([4, 8, 3], activation=activation, seed=0)
    mlp.load_state_dict(ref.state_dict())  # Sequential names "0.weight", "2.weight" load unchanged
    x = np.random.default_rng(5).standard_normal((7, 4))
    xt = torch.tensor(x, requires_grad=True)
    y = np.random.default_rng(6).integers(0, 3, 7)
    ref_loss = torch.nn.functional.cross_entropy(ref(xt), torch.from_numpy(y))
    ref_loss.backward()
    loss, dlogits = nn.cross_entropy_loss(mlp.forward(x), y)
    dx = mlp.backward(dlogits)
    assert loss == pytest.approx(ref_loss.item(), rel=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-14)
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(mlp.grads[name], p.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_mlp_learns_a_regression():
    """A real fit: y = sin(x) on [-3, 3] with Adam; the loss must fall by over 90%."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, (256, 1))
    y = np.sin(x)
    mlp = nn.MLP([1, 32, 1], activation="tanh", seed=0)
    opt = nn.Adam(mlp.params, lr=0.01)
    first = None
    for _ in range(300):
        loss, dpred = nn.mse_loss(mlp.forward(x), y)
        first = loss if first is None else first
        mlp.backward(dpred)
        opt.step(mlp.grads)
    assert loss < 0.1 * first


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_optimizers_match_torch(opt_name):
    rng = np.random.default_rng(7)
    w0 = rng.standard_normal((3, 2))
    params = {"w": w0.copy()}
    wt = torch.tensor(w0, requires_grad=True)
    if opt_name == "SGD":
        mine, ref = nn.SGD(params, lr=0.1, momentum=0.9), torch.optim.SGD([wt], lr=0.1, momentum=0.9)
    else:
        mine, ref = nn.Adam(params, lr=0.05), torch.optim.Adam([wt], lr=0.05)
    for _k in range(5):
        g = rng.standard_normal((3, 2))
        wt.grad = torch.from_numpy(g.copy())
        ref.step()
        mine.step({"w": g})
        np.testing.assert_allclose(params["w"], wt.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert not np.allclose(params["w"], w0)


def test_clip_grad_norm_matches_torch():
    rng = np.random.default_rng(8)
    g1, g2 = rng.standard_normal((3, 4)), rng.standard_normal(5)
    grads = {"a": g1.copy(), "b": g2.copy()}
    ts = [
        torch.zeros(3, 4, dtype=torch.float64, requires_grad=True),
        torch.zeros(5, dtype=torch.float64, requires_grad=True),
    ]
    ts[0].grad, ts[1].grad = torch.from_numpy(g1.copy()), torch.from_numpy(g2.copy())
    ref_norm = torch.nn.utils.clip_grad_norm_(ts, 1.0)
    norm = nn.clip_grad_norm(grads, 1.0)
    assert norm == pytest.approx(ref_norm.item(), rel=1e-13)
    assert norm == pytest.approx(np.sqrt((g1**2).sum() + (g2**2).sum()), rel=1e-13)
    np.testing.assert_allclose(grads["a"], ts[0].grad.numpy(), rtol=1e-13)
    assert np.sqrt(sum((g**2).sum() for g in grads.values())) == pytest.approx(1.0, rel=1e-5)
    small = {"a": 0.01 * g1}
    before = small["a"].copy()
    nn.clip_grad_norm(small, 10.0)
    np.testing.assert_array_equal(small["a"], before)  # below the threshold: untouched


def test_truncated_bptt_carries_state_and_matches_torch_detach():
    """Chunked forward with the carried state equals the full forward; each chunk's gradients equal
    torch's with the state detached at the chunk boundary."""
    T, B, D, H, k = 10, 2, 3, 4, 4
    rng = np.random.default_rng(9)
    x = rng.standard_normal((T, B, D))
    d_out = rng.standard_normal((T, B, H))
    model = nn.LSTM(D, H, seed=0)
    full, _ = model.forward(x)
    ref = torch.nn.LSTM(D, H).double()
    ref.load_state_dict({n: torch.from_numpy(v) for n, v in model.state_dict().items()})
    state, ref_state, outs = None, None, []
    for x_chunk, d_chunk in zip(nn.sequence_chunks(x, k), nn.sequence_chunks(d_out, k)):
        out, state = model.forward(x_chunk, state)
        outs.append(out)
        grads_in = model.backward(d_chunk)
        dx = grads_in if isinstance(grads_in, np.ndarray) else grads_in[0]
        state = nn.detach_state(state)
        xt = torch.tensor(x_chunk, requires_grad=True)
        ref.zero_grad()
        out_t, ref_state = ref(xt, ref_state)
        ref_state = tuple(s.detach() for s in ref_state)
        (out_t * torch.from_numpy(d_chunk)).sum().backward()
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
        for name, p in ref.named_parameters():
            np.testing.assert_allclose(model.grads[name], p.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert [o.shape[0] for o in outs] == [4, 4, 2]
    np.testing.assert_allclose(np.concatenate(outs), full, rtol=1e-13, atol=1e-14)


def test_collect_prefixes_module_parameters():
    lstm, head = nn.LSTM(2, 3, seed=0), nn.Linear(3, 1, seed=0)
    params = nn.collect(lstm=lstm, head=head)
    assert list(params) == [f"lstm.{k}" for k in lstm.params] + ["head.weight", "head.bias"]
    assert params["head.weight"] is head.params["weight"]
