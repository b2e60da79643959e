"""lstmlib.ngram: interpolated Kneser–Ney against a plain dictionary implementation of (KN1)–(KN2)."""

from collections import Counter, defaultdict

import numpy as np
import pytest

from lstmlib.ngram import KneserNey


def reference_probs(train, test, order, V):
    """(KN1) and (KN2) written with dictionaries, one position at a time."""
    train = [int(x) for x in train]
    counts = []  # counts[k-1][(h, w)] for k = 1 .. order
    for k in range(1, order + 1):
        if k == order:
            c = Counter(tuple(train[s : s + k]) for s in range(len(train) - k + 1))
        else:
            longer = {tuple(train[s : s + k + 1]) for s in range(len(train) - k)}
            c = Counter(g[1:] for g in longer)
        counts.append(c)
    discounts = []
    for c in counts:
        n1 = sum(v == 1 for v in c.values())
        n2 = sum(v == 2 for v in c.values())
        discounts.append(min(max(n1 / (n1 + 2 * n2), 0.1), 0.9) if n1 + n2 else 0.5)
    totals = [defaultdict(float) for _ in counts]
    types = [defaultdict(float) for _ in counts]
    for k, c in enumerate(counts):
        for g, v in c.items():
            totals[k][g[:-1]] += v
            types[k][g[:-1]] += 1
    out = []
    for t, w in enumerate(test):
        w = int(w)
        d = discounts[0]
        p = (max(counts[0].get((w,), 0) - d, 0) + d * types[0][()] / V) / totals[0][()]
        for k in range(2, order + 1):
            if t < k - 1:
                break
            h = tuple(int(x) for x in test[t - k + 1 : t])
            tot = totals[k - 1].get(h, 0.0)
            if tot > 0:
                d = discounts[k - 1]
                p = (max(counts[k - 1].get(h + (w,), 0) - d, 0) + d * types[k - 1][h] * p) / tot
        out.append(p)
    return np.array(out)


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_matches_the_dictionary_reference(order):
    rng = np.random.default_rng(order)
    V = 6
    train = rng.choice(V, size=400, p=[0.4, 0.2, 0.15, 0.1, 0.1, 0.05])
    test = rng.choice(V, size=120)
    model = KneserNey(order, V).fit(train)
    np.testing.assert_allclose(model.prob_of(test), reference_probs(train, test, order, V), rtol=1e-12)


@pytest.mark.parametrize("order", [1, 2, 4])
def test_every_next_distribution_sums_to_one(order):
    rng = np.random.default_rng(0)
    V = 7
    model = KneserNey(order, V).fit(rng.integers(0, V - 1, size=300))  # id V - 1 never seen in training
    for context in ([], [0], [1, 2, 3], [6, 6, 6], list(rng.integers(0, V, size=10))):
        dist = model.next_distribution(np.array(context, dtype=np.int64))
        assert dist.shape == (V,) and np.all(dist > 0)
        assert abs(dist.sum() - 1) < 1e-12


def test_higher_orders_help_on_text_with_structure():
    # a text made of a few repeated words: a 3-gram knows far more than a unigram
    words = ["the ", "cat ", "sat ", "on ", "mat "]
    rng = np.random.default_rng(1)
    text = "".join(rng.choice(words, size=600))
    chars = sorted(set(text))
    ids = np.array([chars.index(c) for c in text])
    train, test = ids[:2000], ids[2000:]
    bits = [KneserNey(k, len(chars)).fit(train).bits_per_char(test) for k in (1, 2, 3)]
    print(bits)
    assert bits[0] > bits[1] + 0.5 and bits[1] > bits[2] + 0.1
    assert KneserNey(3, len(chars)).fit(train).perplexity(test) == pytest.approx(2 ** bits[2])


def test_clear_errors():
    with pytest.raises(ValueError, match="order must be an int from 1 to 8; got 0"):
        KneserNey(0, 5)
    with pytest.raises(ValueError, match="vocab_size"):
        KneserNey(3, 1)
    model = KneserNey(2, 5)
    with pytest.raises(RuntimeError, match="fit"):
        model.bits_per_char(np.array([1, 2]))
    with pytest.raises(ValueError, match=r"ids in \[0, 5\); got values in \[0, 9\]"):
        model.fit(np.array([0, 1, 9, 2]))
    with pytest.raises(TypeError, match="integer character ids; got dtype float64"):
        model.fit(np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"1-D array of character ids; got shape \(2, 2\)"):
        model.fit(np.zeros((2, 2), dtype=int))
    model.fit(np.array([0, 1, 2, 3, 4, 0, 1]))
    with pytest.raises(ValueError, match="must not be empty"):
        model.prob_of(np.array([], dtype=np.int64))
