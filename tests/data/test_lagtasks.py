import numpy as np
import pytest

from lstmlib.data import lagtasks as lt


def test_adding_1997_target_matches_definition():
    x, y, lengths = lt.adding_problem(500, T=100, seed=1)
    assert x.shape == (int(lengths.max()), 500, 2) and lengths.min() >= 100 and lengths.max() <= 110
    for b in range(500):
        L = lengths[b]
        markers = x[:L, b, 1]
        marked = np.flatnonzero(markers == 1.0)
        assert len(marked) == 2 and marked[0] < 10 and marked[1] < 50
        assert y[b] == pytest.approx(0.5 + x[marked, b, 0].sum() / 4, abs=1e-6)
        ends = [t for t in (0, L - 1) if t not in marked]
        assert np.all(markers[ends] == -1.0)
        assert np.all(x[L:, b] == 0)
    assert np.all(np.abs(x[..., 0]) <= 1)


def test_adding_mean_baselines():
    _, y, _ = lt.adding_problem(20000, seed=0)
    mse_1997 = float(np.mean((y - y.mean()) ** 2))
    assert mse_1997 == pytest.approx(0.9 / 3 / 16 + 1 / 3 / 16, abs=0.002)  # 0.0396; 1/24 = 0.042 without X1=0 rule
    x, y, lengths = lt.adding_problem(20000, variant="2015", seed=0)
    assert np.all(lengths == 100) and x[..., 0].min() >= 0
    np.testing.assert_allclose(y, (x[..., 0] * x[..., 1]).sum(0), rtol=1e-5)
    assert float(np.mean((y - y.mean()) ** 2)) == pytest.approx(1 / 6, abs=0.005)


def test_adding_success_and_errors():
    assert lt.adding_success([0.5, 0.5], [0.53, 0.55]) == 0.5
    with pytest.raises(ValueError, match="shape"):
        lt.adding_success([0.5], [0.5, 0.2])
    with pytest.raises(ValueError, match="variant"):
        lt.adding_problem(3, variant="1998")
    with pytest.raises(ValueError, match="n must be >= 1; got 0"):
        lt.adding_problem(0)


def test_determinism_by_seed():
    a = lt.adding_problem(20, seed=3)
    b = lt.adding_problem(20, seed=3)
    c = lt.adding_problem(20, seed=4)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not np.array_equal(a[1], c[1])
    assert np.array_equal(lt.copy_task(5, seed=2)[0], lt.copy_task(5, seed=2)[0])
    assert lt.embedded_reber(5, seed=2)[3] == lt.embedded_reber(5, seed=2)[3]


@pytest.mark.parametrize("n_relevant, windows", [(2, [(10, 20), (50, 60)]), (3, [(10, 20), (33, 43), (66, 76)])])
def test_temporal_order(n_relevant, windows):
    x, y, lengths = lt.temporal_order(300, n_relevant=n_relevant, seed=0)
    assert x.shape[2] == 8 and lengths.min() >= 100 and lengths.max() <= 110
    assert set(y.tolist()) == set(range(2**n_relevant))
    for b in range(300):
        sym = x[: lengths[b], b].argmax(1)
        assert np.all(x[: lengths[b], b].sum(1) == 1)
        assert sym[0] == 5 and sym[-1] == 4  # E ... B
        pos = np.flatnonzero(sym >= 6) + 1  # 1-based positions of X/Y
        assert len(pos) == n_relevant
        assert all(lo <= p <= hi for p, (lo, hi) in zip(pos, windows))
        assert int("".join(str(s - 6) for s in sym[pos - 1]), 2) == y[b]
    assert lt.temporal_order_success(np.eye(2**n_relevant)[y] * 0.8, y) == 1.0
    assert lt.temporal_order_success(np.eye(2**n_relevant)[y] * 0.6, y) == 0.0


def test_reber_strings_are_accepted_and_targets_legal():
    x, targets, lengths, strings = lt.embedded_reber(200, seed=0)
    assert all(lt.reber_accepts(s) for s in strings)
    assert lt.reber_accepts("BTBTSSXXTVVETE") and not lt.reber_accepts("BTBTSSXXTVVEPE")
    assert not lt.reber_accepts("BTSXXSE", embedded=False) and lt.reber_accepts("BTSXSE", embedded=False)
    for b, s in enumerate(strings):
        assert "".join(lt.REBER_SYMBOLS[i] for i in x[: lengths[b], b].argmax(1)) == s[:-1]
        # the target at each step contains the symbol that actually comes next
        nxt = [lt.REBER_SYMBOLS.index(c) for c in s[1:]]
        assert np.all(targets[np.arange(lengths[b]), b, nxt] == 1)
        assert targets[lengths[b] - 2, b].sum() == 1  # penultimate step: only the remembered T/P
    assert lt.reber_success(targets, targets, lengths) == 1.0
    wrong = targets.copy()
    wrong[lengths[0] - 2, 0] = 1 - wrong[lengths[0] - 2, 0]
    assert lt.reber_success(wrong, targets, lengths) == pytest.approx(199 / 200)


def test_reber_batches_follow_the_grammar_walk_and_pad_with_zeros():
    """The batched walk draws strings as the one-string walk does: each branch with probability 1/2."""
    _, _, _, fast = lt.embedded_reber(4000, seed=1)
    rng = np.random.default_rng(2)
    slow = [lt.embedded_reber_string(rng) for _ in range(4000)]
    for strings in (fast, slow):
        assert np.mean([s[1] == "T" for s in strings]) == pytest.approx(0.5, abs=0.03)
    # An embedded string is 12 symbols long on average (its inner Reber string 8); standard error ~0.06
    assert np.mean([len(s) for s in fast]) == pytest.approx(np.mean([len(s) for s in slow]), abs=0.3)
    assert np.mean([len(s) for s in fast]) == pytest.approx(12.0, abs=0.3)
    x, targets, lengths, strings = lt.embedded_reber(300, seed=5)
    for b, _s in enumerate(strings):
        assert np.all(x[lengths[b] :, b] == 0) and np.all(targets[lengths[b] :, b] == 0)
    assert lt.embedded_reber(300, seed=5)[3] == strings and lt.embedded_reber(300, seed=6)[3] != strings


def test_copy_task_definition():
    x, y = lt.copy_task(7, delay=20, length=5, n_symbols=8, seed=0)
    assert x.shape == y.shape == (30, 7)
    np.testing.assert_array_equal(y[-5:], x[:5])
    assert np.all(y[:-5] == 0) and np.all(x[5:24] == 0) and np.all(x[24] == 9) and np.all(x[25:] == 0)
    assert x[:5].min() >= 1 and x[:5].max() <= 8
    assert lt.copy_success(y, y, 5) == 1.0
