"""The seed knob: LSTMLIB_SEED_SHIFT moves every random stream the chapters use, and nothing else."""

import numpy as np
import pytest
import torch

import lstmlib.numpy as lnp
from lstmlib.data.batching import Batches, split_indices
from lstmlib.seeding import derive_seed, rng, seed_shift
from lstmlib.training import generator, set_seed


def _streams(seed=0):
    """One draw from each stream a chapter can use, for ``seed``."""
    return (
        set_seed(seed).integers(1 << 30),
        float(torch.rand(1)),
        float(np.random.rand()),
        rng(seed).integers(1 << 30),
        float(torch.rand(1, generator=generator(seed))),
        lnp.Linear(3, 2, seed=seed).params["weight"][0, 0],
        tuple(next(iter(Batches(np.arange(10), batch_size=10, seed=seed, to_tensor=False)))),
    )


def test_unset_means_no_shift(monkeypatch):
    monkeypatch.delenv("LSTMLIB_SEED_SHIFT", raising=False)
    assert seed_shift() == 0 and derive_seed(7) == 7
    monkeypatch.setenv("LSTMLIB_SEED_SHIFT", "")
    assert seed_shift() == 0


def test_shift_k_gives_the_streams_of_seed_plus_k(monkeypatch):
    monkeypatch.delenv("LSTMLIB_SEED_SHIFT", raising=False)
    unshifted_3 = _streams(3)
    unshifted_0 = _streams(0)
    monkeypatch.setenv("LSTMLIB_SEED_SHIFT", "3")
    assert derive_seed(0) == 3
    shifted_0 = _streams(0)
    assert shifted_0 == unshifted_3  # every stream moved by the same amount
    assert all(a != b for a, b in zip(shifted_0, unshifted_0))


def test_data_set_splits_do_not_move(monkeypatch):
    monkeypatch.delenv("LSTMLIB_SEED_SHIFT", raising=False)
    before = split_indices(50, (0.8, 0.2), seed=0)
    monkeypatch.setenv("LSTMLIB_SEED_SHIFT", "5")
    after = split_indices(50, (0.8, 0.2), seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, after))


@pytest.mark.parametrize("value", ["one", "1.5"])
def test_a_bad_shift_is_named(monkeypatch, value):
    monkeypatch.setenv("LSTMLIB_SEED_SHIFT", value)
    with pytest.raises(ValueError, match=f"LSTMLIB_SEED_SHIFT must be an integer; got '{value}'"):
        set_seed(0)


def test_seed_must_be_an_int(monkeypatch):
    monkeypatch.delenv("LSTMLIB_SEED_SHIFT", raising=False)
    with pytest.raises(TypeError, match="seed must be an int; got float"):
        derive_seed(1.0)
    with pytest.raises(TypeError, match="got bool"):
        set_seed(True)
    monkeypatch.setenv("LSTMLIB_SEED_SHIFT", "-2")
    with pytest.raises(ValueError, match="must be >= 0"):
        derive_seed(1)


def test_rng_passes_a_generator_through():
    g = np.random.default_rng(0)
    assert rng(g) is g
