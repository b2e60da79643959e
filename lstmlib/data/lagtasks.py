"""The long-time-lag tasks of Hochreiter & Schmidhuber (1997), generated deterministically from a seed.

What: synthetic benchmarks built so that the information needed at the end of a sequence arrives at its
start, many steps earlier: the **adding problem** (their Experiment 4), **temporal order** (Experiment
6a with two relevant symbols, 6b with three), the **embedded Reber grammar** (Experiment 1), and the
**copy (memory) task** of later work (Graves et al. 2014; Arjovsky et al. 2016).
Where from: generated here with NumPy from the papers' definitions; nothing is downloaded.
Licence: code of this course (MIT); the data are generated.
Why: the course's claim "an LSTM bridges long time lags, a plain RNN does not" is tested on exactly the
tasks the claim was first made on, with the papers' success criteria (``*_success`` functions).

Every generator takes ``seed`` and returns time-first NumPy arrays; the same seed gives the same data.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = [
    "adding_problem",
    "adding_success",
    "ADDING_TOLERANCE",
    "temporal_order",
    "temporal_order_success",
    "REBER_SYMBOLS",
    "reber_string",
    "embedded_reber_string",
    "reber_accepts",
    "embedded_reber",
    "reber_success",
    "copy_task",
    "copy_success",
]


def _check_count(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int; got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


# ----------------------------------------------------------------------------------------------------
# Adding problem (Experiment 4)

ADDING_TOLERANCE = 0.04  # a sequence is processed correctly if |prediction - target| < 0.04 (1997)


def adding_problem(n: int, T: int = 100, *, variant: str = "1997", seed: int = 0):
    """The adding problem: remember two marked numbers over ``T`` steps and output their (scaled) sum.

    ``variant="1997"`` (Hochreiter & Schmidhuber 1997, Experiment 4): each step is a pair
    (value, marker); values uniform in [-1, 1]; lengths random in [T, T + T // 10]; the first marked
    pair is one of the first ten (its value X1; set to 0 if it is the very first pair), the second is
    one of the first T/2 - 1 still unmarked pairs (X2); markers are 1.0 on the two marked pairs, -1.0 on
    the first and last pair otherwise, 0.0 elsewhere. Target 0.5 + (X1 + X2) / 4 in [0, 1]. Always
    answering the mean gives an MSE of about 0.04: 1/24 = 0.0417 for X1, X2 uniform, 0.0396 with the
    paper's X1 = 0 rule (E[X1^2] = 0.9/3); success: |error| < 0.04 (``adding_success``).

    ``variant="2015"`` (the later form, e.g. Le, Jaitly & Hinton 2015): fixed length T, values uniform in
    [0, 1], one marker in each half, target X1 + X2. Answering the mean gives an MSE of 1/6 ~ 0.167.

    Args:
        n: number of sequences B.
        T: minimal sequence length.
        variant: ``"1997"`` or ``"2015"``.
        seed: seed of the generator.

    Returns:
        x: (T_max, B, 2) float32, padded with zeros after each sequence's end.
        y: (B,) float32 targets.
        lengths: (B,) int64 sequence lengths (all T for ``"2015"``).
    """
    n = _check_count("n", n)
    T = _check_count("T", T, 4)
    rng = np.random.default_rng(seed)
    if variant == "1997":
        if T < 22:
            raise ValueError(f"the 1997 adding problem needs T >= 22 (two marks in distinct places); got {T}")
        # All sequences at once (a batch is drawn every training step, so this is the hot path).
        lengths = rng.integers(T, T + T // 10 + 1, size=n)
        cols, steps = np.arange(n), np.arange(int(lengths.max()))[:, None]
        inside = steps < lengths[None, :]  # (T_max, B)
        values = rng.uniform(-1.0, 1.0, size=inside.shape) * inside
        first = rng.integers(0, 10, size=n)
        second = rng.integers(0, T // 2 - 1, size=n)  # one of the first T/2 - 1 still unmarked pairs
        second += second >= first
        values[0, first == 0] = 0.0  # "in the rare case where the first pair gets marked, we set X1 to zero"
        markers = np.zeros(inside.shape)
        markers[0, :] = -1.0
        markers[lengths - 1, cols] = -1.0
        markers[first, cols] = 1.0
        markers[second, cols] = 1.0
        x = np.stack([values, markers], axis=2).astype(np.float32)
        y = (0.5 + (values[first, cols] + values[second, cols]) / 4.0).astype(np.float32)
        return x, y, lengths.astype(np.int64)
    if variant == "2015":
        x = np.zeros((T, n, 2), dtype=np.float32)
        x[:, :, 0] = rng.uniform(0.0, 1.0, size=(T, n))
        first = rng.integers(0, T // 2, size=n)
        second = rng.integers(T // 2, T, size=n)
        cols = np.arange(n)
        x[first, cols, 1] = 1.0
        x[second, cols, 1] = 1.0
        y = (x[first, cols, 0] + x[second, cols, 0]).astype(np.float32)
        return x, y, np.full(n, T, dtype=np.int64)
    raise ValueError(f"variant must be '1997' or '2015'; got {variant!r}")


def adding_success(predictions, targets, tolerance: float = ADDING_TOLERANCE) -> float:
    """Fraction of sequences processed correctly: |prediction - target| < ``tolerance`` (1997: 0.04)."""
    p = np.asarray(predictions, dtype=np.float64).reshape(-1)
    t = np.asarray(targets, dtype=np.float64).reshape(-1)
    if p.shape != t.shape:
        raise ValueError(f"predictions must have shape {t.shape}; got {p.shape}")
    return float(np.mean(np.abs(p - t) < tolerance))


# ----------------------------------------------------------------------------------------------------
# Temporal order (Experiments 6a and 6b)

_ORDER_SYMBOLS = ["a", "b", "c", "d", "B", "E", "X", "Y"]  # one-hot input of 8 units, in this order


def temporal_order(n: int, *, n_relevant: int = 2, seed: int = 0):
    """Temporal order: classify a sequence by the order of 2 (6a) or 3 (6b) widely separated symbols.

    A sequence (length uniform in [100, 110]) starts with ``E``, ends with ``B``, and is otherwise made
    of distractors ``a, b, c, d``, except at the relevant positions, which hold ``X`` or ``Y``: for
    ``n_relevant=2`` at t1 in [10, 20] and t2 in [50, 60] (4 classes XX, XY, YX, YY); for
    ``n_relevant=3`` at t1 in [10, 20], t2 in [33, 43], t3 in [66, 76] (8 classes). Positions count from
    1 as in the paper. The class is the binary number read from the relevant symbols (X=0, Y=1).

    Returns:
        x: (T_max, B, 8) float32 one-hot over ``a b c d B E X Y``, zero-padded.
        y: (B,) int64 class in [0, 2**n_relevant).
        lengths: (B,) int64.
    """
    n = _check_count("n", n)
    windows = {2: [(10, 20), (50, 60)], 3: [(10, 20), (33, 43), (66, 76)]}
    if n_relevant not in windows:
        raise ValueError(f"n_relevant must be 2 or 3; got {n_relevant!r}")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(100, 111, size=n)
    cols, steps = np.arange(n), np.arange(int(lengths.max()))[:, None]
    symbols = rng.integers(0, 4, size=(len(steps), n))  # distractors a..d, all sequences at once
    symbols[0, :] = 5  # E first
    symbols[lengths - 1, cols] = 4  # B last
    y = np.zeros(n, dtype=np.int64)
    for lo, hi in windows[n_relevant]:
        bits = rng.integers(0, 2, size=n)
        symbols[rng.integers(lo, hi + 1, size=n) - 1, cols] = 6 + bits  # X or Y
        y = 2 * y + bits
    x = np.eye(len(_ORDER_SYMBOLS), dtype=np.float32)[symbols] * (steps < lengths[None, :])[:, :, None]
    return x, y, lengths.astype(np.int64)


def temporal_order_success(outputs, y, threshold: float = 0.3) -> float:
    """Fraction classified correctly by the paper's rule: every output within ``threshold`` (0.3) of its
    one-hot target (outputs are (B, C) probabilities or sigmoid activations)."""
    out = np.asarray(outputs, dtype=np.float64)
    y = np.asarray(y)
    if out.ndim != 2 or out.shape[0] != y.shape[0]:
        raise ValueError(f"outputs must have shape ({y.shape[0]}, C); got {out.shape}")
    target = np.eye(out.shape[1])[y]
    return float(np.mean(np.all(np.abs(out - target) < threshold, axis=1)))


# ----------------------------------------------------------------------------------------------------
# Embedded Reber grammar (Experiment 1)

REBER_SYMBOLS = "BTSXPVE"  # the 7 input/output units, in this order
# Reber's finite-state grammar: state -> [(symbol, next state)], each branch with probability 1/2.
_REBER = {
    0: [("B", 1)],
    1: [("T", 2), ("P", 3)],
    2: [("S", 2), ("X", 4)],
    3: [("T", 3), ("V", 5)],
    4: [("X", 3), ("S", 6)],
    5: [("P", 4), ("V", 6)],
    6: [("E", None)],
}


def reber_string(rng: np.random.Generator) -> str:
    """One string of the (plain) Reber grammar, e.g. ``BTSSXXTVVE``."""
    state, out = 0, []
    while state is not None:
        symbol, state = _REBER[state][rng.integers(len(_REBER[state]))]
        out.append(symbol)
    return "".join(out)


def embedded_reber_string(rng: np.random.Generator) -> str:
    """One embedded Reber string: ``B``, ``T`` or ``P``, a Reber string, the same ``T``/``P``, ``E``."""
    branch = "TP"[rng.integers(2)]
    return "B" + branch + reber_string(rng) + branch + "E"


def _reber_next_sets(s: str) -> list[set[str]] | None:
    """Legal successor sets after each prefix of the plain Reber string ``s``; None if ``s`` is illegal."""
    state, sets = 0, []
    for symbol in s:
        if state is None:
            return None
        moves = dict(_REBER[state])
        if symbol not in moves:
            return None
        state = moves[symbol]
        sets.append(set(dict(_REBER[state])) if state is not None else set())
    return sets if state is None else None


def reber_accepts(s: str, *, embedded: bool = True) -> bool:
    """Whether ``s`` is a string of the (embedded) Reber grammar."""
    if not embedded:
        return _reber_next_sets(s) is not None
    return (
        len(s) >= 4
        and s[0] == "B"
        and s[-1] == "E"
        and s[1] in "TP"
        and s[-2] == s[1]
        and _reber_next_sets(s[2:-2]) is not None
    )


def _embedded_next_sets(s: str) -> list[set[str]]:
    inner = _reber_next_sets(s[2:-2])
    return [{"T", "P"}, {"B"}] + inner[:-1] + [{s[1]}, {"E"}]


def _embedded_reber_strings(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` embedded Reber strings, each branch taken with probability 1/2.

    The same grammar walk as ``embedded_reber_string``, but fed from one array of uniform draws (a
    training step draws a batch of strings, and one generator call per symbol was its slowest part)."""
    draws, used, strings = rng.random(32 * n), 0, []
    for _ in range(n):
        branch = "TP"[int(draws[used] * 2)]
        used += 1
        state, out = 0, []
        while state is not None:
            if used + 1 >= len(draws):  # the walk can loop: top the pool up
                draws, used = np.concatenate([draws[used:], rng.random(32 * n)]), 0
            moves = _REBER[state]
            if len(moves) > 1:
                symbol, state = moves[int(draws[used] * len(moves))]
                used += 1
            else:
                symbol, state = moves[0]
            out.append(symbol)
        strings.append("B" + branch + "".join(out) + branch + "E")
    return strings


@functools.lru_cache(maxsize=8192)
def _encode_embedded(s: str) -> tuple[np.ndarray, np.ndarray]:
    """(inputs (L, 7), legal next symbols (L, 7)) of one embedded string; strings repeat, so cached."""
    inputs = np.zeros((len(s) - 1, 7), dtype=np.float32)
    legal = np.zeros_like(inputs)
    for t, (symbol, nxt) in enumerate(zip(s[:-1], _embedded_next_sets(s))):
        inputs[t, REBER_SYMBOLS.index(symbol)] = 1.0
        legal[t, [REBER_SYMBOLS.index(c) for c in nxt]] = 1.0
    inputs.flags.writeable = legal.flags.writeable = False
    return inputs, legal


def embedded_reber(n: int, *, seed: int = 0):
    """Embedded Reber strings as a next-symbol prediction task.

    The input at step t is the one-hot symbol s_t; the target is the multi-hot set of legal successors
    of s_1..s_t (the paper's local representation, 7 units ``B T S X P V E``). The hard step is the
    penultimate one: its only legal symbol repeats the second, seen many steps before.

    Returns:
        x: (T_max, B, 7) float32 one-hot inputs (the string without its final ``E``), zero-padded.
        targets: (T_max, B, 7) float32 multi-hot legal next symbols.
        lengths: (B,) int64 number of steps.
        strings: list of the B strings.
    """
    n = _check_count("n", n)
    rng = np.random.default_rng(seed)
    strings = _embedded_reber_strings(n, rng)
    lengths = np.array([len(s) - 1 for s in strings], dtype=np.int64)
    x = np.zeros((int(lengths.max()), n, 7), dtype=np.float32)
    targets = np.zeros_like(x)
    for b, s in enumerate(strings):
        inputs, legal = _encode_embedded(s)
        x[: len(s) - 1, b] = inputs
        targets[: len(s) - 1, b] = legal
    return x, targets, lengths, strings


def reber_success(outputs, targets, lengths, threshold: float = 0.5) -> float:
    """Fraction of strings processed correctly (1997 criterion): at every step, the set of output units
    above ``threshold`` is exactly the set of legal next symbols.

    Use 0.5 with sigmoid outputs (the paper's); with softmax outputs a legal pair shares the mass,
    so use a lower threshold such as 0.25. Shapes: outputs and targets (T, B, 7), lengths (B,).
    """
    out = np.asarray(outputs)
    tgt = np.asarray(targets) > 0.5
    if out.shape != tgt.shape:
        raise ValueError(f"outputs must have shape {tgt.shape}; got {out.shape}")
    ok = np.all((out > threshold) == tgt, axis=2)  # (T, B)
    valid = np.arange(out.shape[0])[:, None] < np.asarray(lengths)[None, :]
    return float(np.mean(np.all(ok | ~valid, axis=0)))


# ----------------------------------------------------------------------------------------------------
# Copy (memory) task


def copy_task(n: int, *, delay: int = 50, length: int = 10, n_symbols: int = 8, seed: int = 0):
    """Copy task: read ``length`` symbols, wait ``delay`` steps, then write them back.

    Token 0 is blank, 1..n_symbols are data, n_symbols + 1 is the "now recall" delimiter. The input is the
    data, then ``delay - 1`` blanks, the delimiter, then ``length`` blanks; the target is blank everywhere
    except the last ``length`` steps, which hold the data (Arjovsky et al. 2016). Total length
    T = delay + 2 * length. A model that always answers blank and then guesses uniformly has a
    cross-entropy of length * log(n_symbols) / T.

    Returns:
        x: (T, B) int64 input tokens.
        y: (T, B) int64 target tokens.
    """
    n = _check_count("n", n)
    delay = _check_count("delay", delay)
    length = _check_count("length", length)
    n_symbols = _check_count("n_symbols", n_symbols, 2)
    rng = np.random.default_rng(seed)
    T = delay + 2 * length
    data = rng.integers(1, n_symbols + 1, size=(length, n))
    x = np.zeros((T, n), dtype=np.int64)
    y = np.zeros((T, n), dtype=np.int64)
    x[:length] = data
    x[length + delay - 1] = n_symbols + 1
    y[-length:] = data
    return x, y


def copy_success(predictions, y, length: int) -> float:
    """Fraction of sequences whose last ``length`` predicted tokens all equal the target's."""
    p, t = np.asarray(predictions), np.asarray(y)
    if p.shape != t.shape:
        raise ValueError(f"predictions must have shape {t.shape}; got {p.shape}")
    return float(np.mean(np.all(p[-length:] == t[-length:], axis=0)))
