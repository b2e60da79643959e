"""Character n-gram language models with interpolated Kneser–Ney smoothing: the baseline to beat.

A character model of order n predicts character x_t from the n − 1 characters before it. Counts alone
give zero probability to every n-gram the training text lacks, so the models here smooth them the way
Kneser & Ney (1995) and Chen & Goodman (1999) do, which is the standard for count-based language
models. For the highest order n, with a(h w) the count of character w after the context h:

    p_n(w | h) = max(a(h w) − D_n, 0) / a(h •)  +  D_n · N₁₊(h •) / a(h •) · p_{n−1}(w | h′)      (KN1)

where a(h •) = Σ_w a(h w), N₁₊(h •) is the number of distinct characters seen after h, h′ is h without
its first character, and D_n = n₁ / (n₁ + 2 n₂) is the absolute discount, from the numbers n₁, n₂ of
n-grams seen once and twice (kept within [0.1, 0.9], so that a table without singletons still passes
some probability to the lower order). A lower order k < n uses the same formula with *continuation counts*
a(h w) = N₁₊(• h w), the number of distinct characters seen before h w: a character that follows many
contexts is a better guess for a new one than a character that is frequent in one context only.
Order 1 interpolates with the uniform distribution over the V characters, so every character has a
probability above zero:

    p_1(w) = max(a(w) − D_1, 0) / a(•)  +  D_1 · N₁₊(•) / a(•) · 1 / V                         (KN2)

A context never seen in training (a(h •) = 0) passes the lower order's probability through unchanged.
Every p_k(· | h) sums to 1 over the V characters.

Characters are integer ids in [0, V) (``lstmlib.data.vocab``), so the same split and vocabulary serve
the n-gram model and the network. Counting and scoring are vectorised with NumPy: an n-gram is the
integer Σ_j x_j V^(n−1−j), so orders up to 5 need V ≤ 6,000 to fit in int64.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["KneserNey"]


def _check_ids(ids, vocab_size: int, name: str) -> np.ndarray:
    arr = np.asarray(ids)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of character ids; got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold integer character ids; got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= vocab_size):
        raise ValueError(f"{name} must hold ids in [0, {vocab_size}); got values in [{arr.min()}, {arr.max()}]")
    return arr.astype(np.int64)


def _grams(ids: np.ndarray, k: int, vocab_size: int) -> np.ndarray:
    """The k-gram starting at every position s = 0 … len − k, as integers Σ_j ids[s + j] V^(k−1−j)."""
    code = np.zeros(len(ids) - k + 1, dtype=np.int64)
    for j in range(k):
        code = code * vocab_size + ids[j : len(ids) - k + 1 + j]
    return code


class _Table:
    """The counts a(h w) of one order, sorted for lookup, with the context totals a(h •) and N₁₊(h •)."""

    def __init__(self, grams: np.ndarray, counts: np.ndarray, vocab_size: int):
        self.grams, self.counts = grams, counts.astype(np.float64)
        contexts = grams // vocab_size
        self.contexts, inverse, self.types = np.unique(contexts, return_inverse=True, return_counts=True)
        self.totals = np.bincount(inverse, weights=self.counts, minlength=len(self.contexts))
        n1, n2 = np.sum(counts == 1), np.sum(counts == 2)
        # D = n₁ / (n₁ + 2 n₂), kept in [0.1, 0.9] so that some mass always reaches the lower order
        self.discount = float(np.clip(n1 / (n1 + 2 * n2), 0.1, 0.9)) if n1 + n2 > 0 else 0.5

    @staticmethod
    def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
        if len(keys) == 0:
            return np.zeros(len(query))
        where = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
        return np.where(keys[where] == query, values[where], 0.0)

    def count(self, grams: np.ndarray) -> np.ndarray:
        return self._lookup(self.grams, self.counts, grams)

    def context(self, contexts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """a(h •) and N₁₊(h •) for each context (0 and 0 where the context was never seen)."""
        return (
            self._lookup(self.contexts, self.totals, contexts),
            self._lookup(self.contexts, self.types.astype(np.float64), contexts),
        )


class KneserNey:
    """Interpolated Kneser–Ney character model of a given order, equations (KN1) and (KN2).

    Args:
        order: n, the number of characters in an n-gram (1 = unigram, ..., 5 = 5-gram); 1 ≤ n ≤ 8.
        vocab_size: V, the number of character ids.

    ``fit(train_ids)`` counts; ``log_prob(ids)`` gives log p(x_t | x_{t−n+1} … x_{t−1}) in nats for every
    position (the first positions use the shorter history they have); ``bits_per_char(ids)`` is the
    mean of −log₂ p, and ``perplexity(ids)`` is 2 to that power.
    """

    def __init__(self, order: int, vocab_size: int):
        if not isinstance(order, int) or not 1 <= order <= 8:
            raise ValueError(f"order must be an int from 1 to 8; got {order!r}")
        if not isinstance(vocab_size, int) or vocab_size < 2 or vocab_size**order >= 2**62:
            raise ValueError(f"vocab_size must be an int ≥ 2 with vocab_size**order < 2**62; got {vocab_size!r}")
        self.order, self.vocab_size = order, vocab_size
        self.tables: list[_Table] | None = None

    def fit(self, ids) -> KneserNey:
        """Count the n-grams of ``ids`` (1-D integer array of training character ids)."""
        ids = _check_ids(ids, self.vocab_size, "ids")
        if len(ids) < self.order + 1:
            raise ValueError(f"ids must hold at least order + 1 = {self.order + 1} characters; got {len(ids)}")
        V, tables = self.vocab_size, []
        for k in range(1, self.order + 1):
            if k == self.order:  # the highest order: raw counts a(h w)
                grams, counts = np.unique(_grams(ids, k, V), return_counts=True)
            else:  # lower orders: continuation counts a(h w) = N₁₊(• h w)
                longer = np.unique(_grams(ids, k + 1, V))
                grams, counts = np.unique(longer % V**k, return_counts=True)
            tables.append(_Table(grams, counts, V))
        self.tables = tables
        return self

    def _require_fit(self) -> list[_Table]:
        if self.tables is None:
            raise RuntimeError("call fit(train_ids) before scoring")
        return self.tables

    def prob_of(self, ids) -> np.ndarray:
        """p(x_t | history) for every position t of ``ids`` (shape (len(ids),))."""
        tables, V = self._require_fit(), self.vocab_size
        ids = _check_ids(ids, V, "ids")
        T = len(ids)
        if T == 0:
            raise ValueError("ids must not be empty")
        # (KN2): order 1 interpolated with the uniform distribution
        t1 = tables[0]
        total, types = float(t1.totals.sum()), float(len(t1.grams))
        d = t1.discount
        p = (np.maximum(t1.count(ids) - d, 0.0) + d * types / V) / total
        for k in range(2, self.order + 1):  # (KN1), one order at a time
            table, d = tables[k - 1], tables[k - 1].discount
            if T < k:
                break
            grams = _grams(ids, k, V)  # the k-gram ending at t = k − 1 … T − 1
            total, types = table.context(grams // V)
            count = table.count(grams)
            lower = p[k - 1 :]
            seen = total > 0
            mixed = (np.maximum(count - d, 0.0) + d * types * lower) / np.where(seen, total, 1.0)
            p = np.concatenate([p[: k - 1], np.where(seen, mixed, lower)])
        return p

    def log_prob(self, ids) -> np.ndarray:
        """log p(x_t | history) in nats for every position of ``ids``."""
        return np.log(self.prob_of(ids))

    def bits_per_char(self, ids) -> float:
        """Mean −log₂ p(x_t | history) over ``ids``: bits per character."""
        return float(-self.log_prob(ids).mean() / math.log(2))

    def perplexity(self, ids) -> float:
        """2 ** bits_per_char(ids): the model's average number of equally likely choices per character."""
        return float(2.0 ** self.bits_per_char(ids))

    def next_distribution(self, context) -> np.ndarray:
        """p(· | context) over all V characters (sums to 1), from the last order − 1 ids of ``context``."""
        V = self.vocab_size
        context = _check_ids(context, V, "context")
        context = context[max(len(context) - (self.order - 1), 0) :] if self.order > 1 else context[:0]
        return np.array([self.prob_of(np.append(context, w))[-1] for w in range(V)])
