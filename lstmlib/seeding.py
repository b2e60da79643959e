"""Seeds: one knob that moves every random stream of a chapter to another stream.

Every seed the course uses passes through :func:`derive_seed`, which adds the integer in the
environment variable ``LSTMLIB_SEED_SHIFT`` (default 0). With the variable unset a chapter runs on the
streams its committed outputs show; with ``LSTMLIB_SEED_SHIFT=1`` the same chapter, unedited, draws
other initial weights, other batch orders, other dropout masks and other samples. ``make robust``
runs every chapter that way, so a claim that holds only for one lucky seed fails there.

What shifts: ``lstmlib.training.set_seed`` (Python, NumPy and torch global generators), every integer
``seed`` given to a library model or optimizer (``lstmlib.numpy`` weights, ``Batches`` shuffles),
the training streams of ``lstmlib.experiments``, and generators made with :func:`rng` and
``lstmlib.training.generator``. What does not: the *definition* of a data set, i.e. its split into
training, validation and test (``split_indices``) and generated data sets drawn with an explicit
``seed=`` from ``lstmlib.data``, so that every run is scored on the same test set.

This module imports only NumPy, so ``lstmlib.numpy`` can use it without torch.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["SHIFT_VARIABLE", "seed_shift", "derive_seed", "rng"]

SHIFT_VARIABLE = "LSTMLIB_SEED_SHIFT"


def seed_shift() -> int:
    """The integer in ``$LSTMLIB_SEED_SHIFT`` (0 when unset or empty).

    Raises:
        ValueError: the variable holds something other than an integer.
    """
    text = os.environ.get(SHIFT_VARIABLE, "").strip()
    if not text:
        return 0
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{SHIFT_VARIABLE} must be an integer; got {text!r}") from None


def derive_seed(seed: int) -> int:
    """``seed + seed_shift()``: the seed a stream actually uses.

    Raises:
        TypeError: ``seed`` is not an int (a bool is refused too).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int; got {type(seed).__name__}")
    shifted = int(seed) + seed_shift()
    if shifted < 0:
        raise ValueError(f"seed + {SHIFT_VARIABLE} must be >= 0; got {seed} + {seed_shift()}")
    return shifted


def rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A NumPy Generator for ``derive_seed(seed)``; an existing Generator is returned as it is, and
    None gives fresh entropy (not reproducible)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(None if seed is None else derive_seed(seed))
