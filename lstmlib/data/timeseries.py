"""Time series from statsmodels: yearly sunspots, weekly CO2 at Mauna Loa, yearly Nile flow.

What and where from (files inside the installed ``statsmodels/datasets/``, read directly with ``csv``):
- ``sunspots``: yearly mean sunspot number 1700-2008 (309 values), NOAA National Geophysical Data
  Center; public domain.
- ``co2``: weekly atmospheric CO2 at Mauna Loa, March 1958 - December 2001 (2,284 weeks, 59 missing,
  filled here by linear interpolation), Scripps / NOAA; public domain.
- ``nile``: yearly flow of the Nile at Aswan 1871-1970 (100 values, 1e8 m^3), Durbin & Koopman; public
  domain.
Licence: statsmodels is BSD-3-Clause; the series are public domain (statsmodels' ``COPYRIGHT`` notes).
Why: real, small, bundled series with structure an RNN can learn (the ~11-year solar cycle, CO2's
trend and yearly season) for the sequence-to-vector regression (next value from a window) chapter.
"""

from __future__ import annotations

import csv
from functools import cache

import numpy as np

from ._files import package_file

__all__ = ["load_series", "make_windows", "SERIES"]

SERIES = {"sunspots": ("sunspots", "sunspots.csv"), "co2": ("co2", "co2.csv"), "nile": ("nile", "nile.csv")}


@cache
def load_series(name: str) -> tuple[np.ndarray, np.ndarray]:
    """One series by name (``"sunspots"``, ``"co2"``, ``"nile"``).

    Returns:
        time: (N,) float64: the year (sunspots, nile) or the fractional year of the week (co2).
        values: (N,) float32, missing values linearly interpolated.
    """
    if name not in SERIES:
        raise ValueError(f"name must be one of {sorted(SERIES)}; got {name!r}")
    folder, file = SERIES[name]
    with open(package_file("statsmodels", "datasets", folder, file), newline="") as f:
        rows = list(csv.reader(f))[1:]
    if name == "co2":  # date as YYYYMMDD
        d = np.array([r[0] for r in rows])
        time = np.array([int(s[:4]) + (int(s[4:6]) - 1) / 12 + (int(s[6:]) - 1) / 365 for s in d])
    else:
        time = np.array([float(r[0]) for r in rows])
    values = np.array([float(r[1]) if r[1] not in ("", "NA") else np.nan for r in rows])
    missing = np.isnan(values)
    if missing.any():
        values[missing] = np.interp(np.flatnonzero(missing), np.flatnonzero(~missing), values[~missing])
    values = values.astype(np.float32)
    time.setflags(write=False)
    values.setflags(write=False)
    return time, values


def make_windows(values, window: int, horizon: int = 1):
    """Sliding windows for next-value regression: inputs ``values[i : i+window]``, target
    ``values[i + window + horizon - 1]``.

    Args:
        values: (N,) or (N, D) series.
        window: steps per input T; horizon: how far ahead the target is (1 = the next value).

    Returns:
        x: (T, M, D) float32 time-first windows (D = 1 for a 1-D series), M = N - window - horizon + 1.
        y: (M,) or (M, D) float32 targets.
    """
    v = np.asarray(values, dtype=np.float32)
    v2 = v[:, None] if v.ndim == 1 else v
    m = len(v2) - window - horizon + 1
    if window < 1 or horizon < 1 or m < 1:
        raise ValueError(
            f"need window >= 1, horizon >= 1 and window + horizon <= {len(v2)}; got window={window}, horizon={horizon}"
        )
    idx = np.arange(window)[:, None] + np.arange(m)[None, :]  # (T, M)
    x = v2[idx]
    y = v[window + horizon - 1 : window + horizon - 1 + m]
    return np.ascontiguousarray(x), np.ascontiguousarray(y)
