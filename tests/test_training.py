import re

import numpy as np
import pytest
import torch

from lstmlib.data import Batches
from lstmlib.training import evaluate, fit, load_checkpoint, save_checkpoint, set_seed


class Tiny(torch.nn.Module):
    def __init__(self, input_size=3, hidden_size=8):
        super().__init__()
        self.config = {"input_size": input_size, "hidden_size": hidden_size}
        self.rnn = torch.nn.LSTM(input_size, hidden_size)
        self.head = torch.nn.Linear(hidden_size, 1)

    def forward(self, x):
        return self.head(self.rnn(x)[0][-1]).squeeze(-1)


def mse(model, batch):
    x, y = batch
    return torch.nn.functional.mse_loss(model(x), y)


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(5, 64, 3)).astype(np.float32)
    return x, x[:, :, 0].sum(0).astype(np.float32)


def _train(seed, **kw):
    set_seed(seed)
    model = Tiny()
    x, y = _data()
    hist = fit(model, mse, Batches(x, y, batch_size=16, axes=(1, 0), seed=seed), epochs=3, lr=1e-2, **kw)
    return model, hist


def test_set_seed_repeats_bit_for_bit():
    m1, h1 = _train(0)
    m2, h2 = _train(0)
    m3, h3 = _train(1)
    assert h1.step_loss == h2.step_loss and h1.step_loss != h3.step_loss
    for (k, a), b in zip(m1.state_dict().items(), m2.state_dict().values()):
        assert torch.equal(a, b), k
    set_seed(5)
    a = (np.random.rand(), torch.rand(1).item())
    set_seed(5)
    assert a == (np.random.rand(), torch.rand(1).item())
    with pytest.raises(TypeError, match="int; got float"):
        set_seed(1.5)


def test_fit_learns_and_records_history():
    x, y = _data()
    val = Batches(x, y, batch_size=64, axes=(1, 0), shuffle=False)
    set_seed(0)
    model = Tiny()
    hist = fit(
        model,
        mse,
        Batches(x, y, batch_size=16, axes=(1, 0)),
        epochs=40,
        lr=2e-2,
        clip=1.0,
        val_batches=val,
        metric=lambda m, b: float((m(b[0]) - b[1]).abs().mean()),
    )
    assert len(hist.loss) == len(hist.val_loss) == len(hist.metric) == 40 and hist.steps == 160
    assert hist.val_loss[-1] < 0.1 * hist.val_loss[0]
    assert hist.best == int(np.argmin(hist.val_loss))


def test_steps_and_clipping():
    _, hist = _train(0, steps=5)
    assert hist.steps == 5 and len(hist.step_loss) == 5 and len(hist.loss) == 2  # 4 batches per epoch
    # clipping caps the gradient norm the optimizer sees
    set_seed(0)
    model = Tiny()
    x, y = _data()
    norms = []
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    orig = opt.step

    def record(*a, **k):
        norms.append(torch.sqrt(sum((p.grad**2).sum() for p in model.parameters())).item())
        return orig(*a, **k)

    opt.step = record
    fit(
        model, lambda m, b: 100 * mse(m, b), Batches(x, y, batch_size=16, axes=(1, 0)), steps=3, optimizer=opt, clip=0.5
    )
    assert max(norms) == pytest.approx(0.5, rel=1e-4)


def test_early_stopping_restores_best():
    x, y = _data()
    set_seed(0)
    model = Tiny()
    # a validation set with the wrong targets: its loss rises as training fits the training set
    bad_val = Batches(x, -y, batch_size=64, axes=(1, 0), shuffle=False)
    hist = fit(
        model, mse, Batches(x, y, batch_size=16, axes=(1, 0)), epochs=50, lr=2e-2, val_batches=bad_val, early_stopping=2
    )
    assert hist.stopped_early and len(hist.val_loss) == hist.best + 3
    from lstmlib.training import evaluate

    assert evaluate(model, mse, bad_val)[0] == pytest.approx(hist.val_loss[hist.best], rel=1e-5)


def test_fit_errors():
    model = Tiny()
    with pytest.raises(ValueError, match="epochs or steps"):
        fit(model, mse, [])
    with pytest.raises(ValueError, match="no batch"):
        fit(model, mse, [], epochs=1)
    with pytest.raises(ValueError, match="early_stopping needs val_batches"):
        fit(model, mse, [], epochs=1, early_stopping=2)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(epochs=0), "epochs must be a positive integer (or None); got 0"),
        (dict(epochs=2.5), "epochs must be a positive integer (or None); got 2.5"),
        (dict(steps=-1), "steps must be a positive integer (or None); got -1"),
        (dict(epochs=1, eval_every=0), "eval_every must be a positive integer (or None); got 0"),
        (dict(epochs=1, early_stopping=0), "early_stopping must be a positive integer (or None); got 0"),
        (dict(epochs=1, clip=0.0), "clip must be a positive number; got 0.0"),
        (dict(epochs=1, lr=-1e-3), "lr must be a positive number; got -0.001"),
        (dict(epochs=1, metric=lambda m, b: 0.0), "got a metric but no val_batches"),
    ],
)
def test_fit_names_what_it_expected_and_what_came(kwargs, message):
    model = Tiny()
    batches = Batches(*_data(), batch_size=16, axes=(1, 0))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match=re.escape(message)):
        fit(model, mse, batches, **kwargs)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # nothing trained


def test_fit_and_evaluate_need_functions():
    model = Tiny()
    batches = Batches(*_data(), batch_size=16, axes=(1, 0))
    with pytest.raises(TypeError, match="loss_fn must be a function .* got str"):
        fit(model, "mse", batches, epochs=1)
    with pytest.raises(TypeError, match="metric must be a function .* got int"):
        evaluate(model, mse, batches, metric=3)


def test_checkpoint_round_trip(tmp_path):
    set_seed(0)
    model = Tiny()
    path = save_checkpoint(model, tmp_path / "m.pt", epoch=3, note="x")
    raw = torch.load(path, weights_only=True)
    assert all(v.device.type == "cpu" for v in raw["state_dict"].values())
    loaded, meta = load_checkpoint(path, Tiny)
    assert meta == {"epoch": 3, "note": "x"}
    x = torch.randn(4, 2, 3)
    torch.testing.assert_close(loaded(x), model(x), rtol=0, atol=0)
    set_seed(1)
    other = Tiny()
    load_checkpoint(path, other)
    torch.testing.assert_close(other(x), model(x), rtol=0, atol=0)


def test_checkpoint_from_a_different_architecture(tmp_path):
    path = save_checkpoint(Tiny(hidden_size=8), tmp_path / "m.pt")
    with pytest.raises(ValueError, match="different architecture.*hidden_size': 4.*hidden_size': 8"):
        load_checkpoint(path, Tiny(hidden_size=4))

    class Other(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Linear(2, 2)

    with pytest.raises(ValueError, match="different architecture.*Other.*Tiny"):
        load_checkpoint(path, Other())
    torch.save({"a": torch.zeros(1)}, tmp_path / "plain.pt")
    with pytest.raises(ValueError, match="not an lstmlib checkpoint"):
        load_checkpoint(tmp_path / "plain.pt", Tiny)
