import numpy as np
import pytest

from lstmlib.word_error_rate import word_error_rate, word_errors


def test_word_errors_counts_edits():
    assert word_errors("forty two", "forty two") == 0
    assert word_errors("forty three", "forty two") == 1  # one substitution
    assert word_errors("seventeen", "seventy seven") == 2  # a substitution and a deletion
    assert word_errors("", "one hundred and five") == 4
    assert word_errors("one hundred five", "one hundred and five") == 1  # one insertion
    assert word_errors("a b c", "c b a") == 2
    with pytest.raises(TypeError, match="strings"):
        word_errors(["forty"], "forty")


def test_word_error_rate_pools_over_sentences():
    rate, errors, lengths = word_error_rate(["forty two", "seventeen"], ["forty three", "seventy seven"])
    assert errors.tolist() == [1, 2] and lengths.tolist() == [2, 2]
    assert rate == pytest.approx(3 / 4)
    rng = np.random.default_rng(0)  # symmetric in its arguments, and never negative
    words = ["one", "two", "three"]
    for _ in range(50):
        a = " ".join(rng.choice(words, rng.integers(0, 5)))
        b = " ".join(rng.choice(words, rng.integers(0, 5)))
        assert word_errors(a, b) == word_errors(b, a) >= abs(len(a.split()) - len(b.split()))
    with pytest.raises(ValueError, match="as many"):
        word_error_rate(["a"], ["a", "b"])
    with pytest.raises(TypeError, match="a string"):
        word_error_rate("a", "a")
    with pytest.raises(ValueError, match="no words"):
        word_error_rate([""], [""])
