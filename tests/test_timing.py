"""lstmlib.timing: the two models are matched and measured; no assertion on seconds (never timed tests)."""

import numpy as np
import pytest
import torch

from lstmlib.timing import TimingConfig, growth, step_time, step_times, timing_models

TINY = TimingConfig(lengths=(4, 8), batch_size=2, input_size=3, hidden_size=8, d_model=8, num_heads=2, repeats=1)


def _count(module):
    return sum(p.numel() for p in module.parameters())


def test_models_are_parameter_matched():
    for config in (TINY, TimingConfig()):
        models = timing_models(config, device="cpu")
        assert set(models) == {"LSTM", "Transformer"}
        assert isinstance(models["LSTM"], torch.nn.LSTM)
        lstm, transformer = _count(models["LSTM"]), _count(models["Transformer"])
        assert abs(transformer / lstm - 1) <= 0.1
        assert models["Transformer"].max_len == max(config.lengths)


def test_step_times_shapes_and_training():
    times = step_times(TINY, device="cpu")
    assert set(times) == {"LSTM", "Transformer"}
    for seconds in times.values():
        assert seconds.shape == (2,) and np.all(seconds > 0) and np.all(np.isfinite(seconds))


def test_step_time_takes_optimizer_steps():
    model = timing_models(TINY, device="cpu")["LSTM"]
    before = [p.detach().clone() for p in model.parameters()]
    assert step_time(model, 5, TINY) > 0
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_growth():
    assert growth(np.array([1.0, 3.0, 8.0]), (10, 20, 40), 10, 40) == pytest.approx(8.0)
    with pytest.raises(ValueError, match="T = 30 was not measured"):
        growth(np.array([1.0, 3.0]), (10, 20), 10, 30)
