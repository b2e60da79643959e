"""lstmlib.torch.seed_batched_charlm: S character RNNs side by side compute what S separate CharLMs compute."""

import numpy as np
import pytest
import torch

from lstmlib.torch.losses import stream_loss
from lstmlib.torch.models import CharLM
from lstmlib.torch.seed_batched_charlm import SeedBatchedCharRNN, clip_grad_norm_per_model_

S, T, B, V, E, H = 3, 7, 4, 11, 5, 6


def _models(impl="fused"):
    torch.manual_seed(0)
    models = [CharLM(V, E, H, cell="rnn", impl=impl) for _ in range(S)]
    with torch.no_grad():  # make the models clearly different (and the biases non-zero)
        for s, model in enumerate(models):
            for p in model.parameters():
                p.add_(0.1 * s * torch.randn_like(p))
    return models


def _tokens(seed=1):
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, V, (T, S, B), generator=gen), torch.randint(0, V, (T, S, B), generator=gen)


@pytest.mark.parametrize("impl", ["fused", "lstmlib", "torch"])
def test_forward_and_state_equal_each_charlm(impl):
    models = _models(impl)
    net = SeedBatchedCharRNN.from_models(models)
    x, _ = _tokens()
    h0 = torch.randn(S, B, H)
    logits, h_n = net(x, h0)
    assert logits.shape == (T, S, B, V) and h_n.shape == (S, B, H)
    for s, model in enumerate(models):
        want, want_h = model(x[:, s], h0[s][None])
        torch.testing.assert_close(logits[:, s], want, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(h_n[s], want_h[0], rtol=1e-5, atol=1e-5)


def test_gradients_equal_each_charlm():
    models = _models()
    net = SeedBatchedCharRNN.from_models(models)
    x, y = _tokens()
    losses = net.losses(x, y)
    losses.sum().backward()
    names = {"embed": "embed.weight", "weight_hh": "rnn.weight_hh_l0", "bias_ih": "rnn.bias_ih_l0",
             "readout_weight": "readout.weight", "readout_bias": "readout.bias"}  # fmt: skip
    for s, model in enumerate(models):
        logits, _ = model(x[:, s])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), y[:, s].reshape(-1))
        torch.testing.assert_close(losses[s], loss, rtol=1e-5, atol=1e-6)
        loss.backward()
        for ours, theirs in names.items():
            torch.testing.assert_close(
                getattr(net, ours).grad[s], model.get_parameter(theirs).grad, rtol=1e-4, atol=1e-6
            )


def test_member_round_trip_and_stream_losses():
    models = _models()
    net = SeedBatchedCharRNN.from_models(models)
    stream = torch.randint(0, V, (203,), generator=torch.Generator().manual_seed(2))
    ours = net.stream_losses(stream, streams=5)
    for s, model in enumerate(models):
        back = net.member(s)
        assert isinstance(back, CharLM)
        for (name, p), q in zip(model.named_parameters(), back.parameters()):
            torch.testing.assert_close(p, q, msg=name)
        assert ours[s].item() == pytest.approx(stream_loss(model, stream, streams=5), rel=1e-5)


def test_clipping_per_model_matches_clip_grad_norm():
    models = _models()
    net = SeedBatchedCharRNN.from_models(models)
    x, y = _tokens()
    (net.losses(x, y).sum() * 50).backward()  # large gradients, so that clipping acts
    thresholds = [0.5, None, 1e9]
    norms = clip_grad_norm_per_model_(net, thresholds)
    for s, model in enumerate(models):
        logits, _ = model(x[:, s])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), y[:, s].reshape(-1)) * 50
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), thresholds[s] or float("inf"))
        assert norms[s].item() == pytest.approx(norm.item(), rel=1e-4)
        torch.testing.assert_close(net.weight_hh.grad[s], model.rnn.weight_hh_l0.grad, rtol=1e-4, atol=1e-6)
    # the first model was clipped to norm 0.5; the others kept their (larger than 0.5) norm
    after = clip_grad_norm_per_model_(net, None)
    assert after[0].item() == pytest.approx(0.5, rel=1e-4)
    assert np.allclose(after[1:].numpy(), norms[1:].numpy(), rtol=1e-4) and norms[1].item() > 0.5


def test_bad_input_names_expected_and_got():
    net = SeedBatchedCharRNN.from_models(_models())
    x, y = _tokens()
    with pytest.raises(ValueError, match=r"tokens must have shape \(T, 3, B\).*got \(7, 4\)"):
        net(x[:, 0])
    with pytest.raises(TypeError, match="integer token ids.*float32"):
        net(x.float())
    with pytest.raises(ValueError, match=r"in \[0, 11\); got min 11, max 11"):
        net(torch.full((T, S, B), V))
    with pytest.raises(ValueError, match=r"state must have shape \(3, 4, 6\); got \(1, 4, 6\)"):
        net(x, torch.zeros(1, B, H))
    with pytest.raises(ValueError, match="targets must have the shape of tokens"):
        net.losses(x, y[:-1])
    with pytest.raises(ValueError, match="one float or 3 of them"):
        net.losses(x, y).sum().backward()
        clip_grad_norm_per_model_(net, [1.0, 2.0])
    with pytest.raises(ValueError, match="every max_norm must be > 0"):
        clip_grad_norm_per_model_(net, 0.0)
    with pytest.raises(TypeError, match="models\\[1\\] must be a CharLM; got Linear"):
        SeedBatchedCharRNN.from_models([CharLM(V, E, H, cell="rnn"), torch.nn.Linear(2, 2)])
    with pytest.raises(ValueError, match="cell='rnn'; got cell='lstm'"):
        SeedBatchedCharRNN.from_models([CharLM(V, E, H, cell="lstm")])
    with pytest.raises(ValueError, match="sizes of models\\[0\\]"):
        SeedBatchedCharRNN.from_models([CharLM(V, E, H, cell="rnn"), CharLM(V, E, H + 1, cell="rnn")])
    with pytest.raises(ValueError, match=r"s must be an int in \[0, 3\); got 3"):
        net.member(3)
    with pytest.raises(ValueError, match="too short"):
        net.stream_losses(torch.arange(5) % V, streams=5)
    with pytest.raises(ValueError, match="hidden_size must be a positive int; got 0"):
        SeedBatchedCharRNN(2, V, E, 0)
