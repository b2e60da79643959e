"""Confidence intervals for scores measured on a finite test set.

- ``wilson_interval``: for a proportion of independent trials (exact match over test sentences).
- ``bootstrap_interval``: for any score of a test set made of independent units (sentences, chorales),
  by resampling the units with replacement; the score may pool the units (steps per chorale, BLEU's
  n-gram counts), which is what keeps correlated items inside one unit together.

Both return ``(low, high)``; a claim about a score is then stated as a property of the interval (it
lies above a baseline, it excludes 0), never as one run's digits.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .seeding import rng as _rng

__all__ = ["wilson_interval", "bootstrap_interval", "Z95"]

Z95 = 1.959963984540054  # the standard normal's 97.5 % quantile


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``successes / n`` (95 % for the default ``z``).

    Unlike the normal approximation p ± z·sqrt(p(1-p)/n), it stays inside [0, 1] and is not empty when
    p is 0 or 1.
    """
    if isinstance(successes, bool) or isinstance(n, bool):
        raise TypeError("successes and n must be ints; got a bool")
    successes, n = int(successes), int(n)
    if n < 1 or not 0 <= successes <= n:
        raise ValueError(f"need n >= 1 and 0 <= successes <= n; got successes={successes}, n={n}")
    p = successes / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def bootstrap_interval(
    score: Callable[[np.ndarray], float],
    n: int,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``score`` over ``n`` independent units.

    Args:
        score: ``score(idx)`` -> float, the score of the test set made of units ``idx`` (an (n,) int
            array of unit indices, with repeats); e.g. ``lambda i: correct[i].sum() / steps[i].sum()``.
        n: the number of units; resamples: bootstrap draws; confidence: e.g. 0.95;
        seed: through ``lstmlib.seeding.rng`` (shifted by ``$LSTMLIB_SEED_SHIFT``).
    """
    if n < 1 or resamples < 1 or not 0 < confidence < 1:
        raise ValueError(f"need n >= 1, resamples >= 1 and 0 < confidence < 1; got {n}, {resamples}, {confidence}")
    g = _rng(seed)
    values = np.array([score(g.integers(0, n, size=n)) for _ in range(resamples)], dtype=float)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return float(low), float(high)
