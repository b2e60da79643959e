"""Stacked models train as the separate models would: the same losses, Adam steps and per-model clipping."""

import pytest
import torch
from torch import nn

from lstmlib.torch.stack import clip_grad_norm_per_model_, stack_parameters
from lstmlib.torch.variants import VariantLSTM, variant_lstm_forward


def _models(peepholes):
    torch.manual_seed(0)
    return [
        nn.ModuleDict({"rnn": VariantLSTM(3, 4, peepholes=p, dtype=torch.float64), "head": nn.Linear(4, 2).double()})
        for p in peepholes
    ]


def test_stack_parameters_shapes_and_zeros_for_missing():
    models = _models([True, False, True])
    stacked = stack_parameters(models)
    assert stacked["rnn.weight_ih_l0"].shape == (3, 16, 3) and stacked["head.weight"].shape == (3, 2, 4)
    assert stacked["rnn.weight_ch_l0"].shape == (3, 12)
    assert stacked["rnn.weight_ch_l0"][1].abs().max() == 0  # the model without peepholes
    torch.testing.assert_close(stacked["rnn.weight_ch_l0"][2], models[2]["rnn"].weight_ch_l0.detach())
    assert all(t.is_leaf and t.requires_grad for t in stacked.values())
    stacked["head.bias"].data.add_(1.0)  # a copy: the modules are untouched
    assert (models[0]["head"].bias - stacked["head.bias"][0]).abs().max() > 0.5


def test_stack_parameters_errors():
    with pytest.raises(ValueError, match="at least one module"):
        stack_parameters([])
    with pytest.raises(ValueError, match=r"weight_ih_l0 must have shape \(16, 3\) in every module; got \(16, 2\)"):
        stack_parameters([VariantLSTM(3, 4), VariantLSTM(2, 4)])
    with pytest.raises(ValueError, match="needs gradients"):
        clip_grad_norm_per_model_([torch.zeros(2, 3, requires_grad=True)], 1.0)


@pytest.mark.parametrize("max_norm", [0.05, 100.0])
def test_training_stacked_equals_training_each_model(max_norm):
    """Three Adam steps with clipping: each stacked slice ends where the model trained alone ends.

    max_norm 0.05 clips every step (per model, by its own norm); 100 never does."""
    models = _models([False, True, False])
    stacked = stack_parameters(models)
    torch.manual_seed(1)
    xs = torch.randn(3, 5, 3, 2, 3, dtype=torch.float64)  # (steps, T, M, B, D)
    ys = torch.randint(0, 2, (3, 3, 2))  # (steps, M, B)
    peep = torch.tensor([False, True, False])
    optimizer = torch.optim.Adam(stacked.values(), lr=0.01)
    norms_stacked = []
    for x, y in zip(xs, ys):
        h0 = torch.zeros(3, 2, 4, dtype=torch.float64)
        rnn = [stacked[f"rnn.{n}_l0"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        _, h, _ = variant_lstm_forward(x, h0, h0, *rnn, stacked["rnn.weight_ch_l0"] * peep[:, None])
        logits = h @ stacked["head.weight"].mT + stacked["head.bias"].unsqueeze(1)  # (M, B, 2)
        losses = torch.stack([nn.functional.cross_entropy(logits[m], y[m]) for m in range(3)])
        optimizer.zero_grad()
        losses.sum().backward()
        norms_stacked.append(clip_grad_norm_per_model_(list(stacked.values()), max_norm))
        optimizer.step()
    for m, model in enumerate(models):
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        for step, (x, y) in enumerate(zip(xs, ys)):
            _, (h, _) = model["rnn"](x[:, m])
            loss = nn.functional.cross_entropy(model["head"](h[0]), y[m])
            optimizer.zero_grad()
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
            torch.testing.assert_close(norms_stacked[step][m], norm, rtol=1e-10, atol=1e-12)
            optimizer.step()
        for name, p in model.named_parameters():
            torch.testing.assert_close(stacked[name][m].detach(), p.detach(), rtol=1e-9, atol=1e-12, msg=name)
        if m != 1:  # the peephole-free models' zeros stay zero
            assert stacked["rnn.weight_ch_l0"][m].abs().max() == 0
