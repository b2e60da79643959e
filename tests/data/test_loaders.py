import numpy as np
import pytest

from lstmlib.data import digits, sentiment, timeseries


def test_rotten_tomatoes_is_the_real_corpus():
    texts, labels = sentiment.load_rotten_tomatoes()
    assert len(texts) == 12808 and int(labels.sum()) == 7403  # fresh; 5,405 rotten
    assert sentiment.load_rotten_tomatoes() is sentiment.load_rotten_tomatoes()  # cached
    data = sentiment.sentiment_data(max_vocab=1000, max_len=10, seed=0)
    assert len(data.vocab) == 1000
    assert [len(s[0]) for s in (data.train, data.val, data.test)] == [10246, 1281, 1281]
    assert max(len(s) for s in data.train[0]) == 10
    assert max(max(s) for s in data.train[0]) < 1000
    again = sentiment.sentiment_data(max_vocab=1000, max_len=10, seed=0)
    assert again.test[0] == data.test[0]
    with pytest.raises(ValueError, match="n must be in"):
        sentiment.sentiment_data(n=0)


def test_sentiment_splits_are_the_encoded_parts_as_text():
    data = sentiment.sentiment_data(max_vocab=1000, max_len=10, seed=0)
    parts = sentiment.sentiment_splits(seed=0)
    for (ids, y), (texts, y_text) in zip((data.train, data.val, data.test), parts):
        assert len(texts) == len(ids) and np.array_equal(y, y_text)
        assert all(data.vocab.encode(t)[:10] == s for t, s in zip(texts[:50], ids[:50]))
    small = sentiment.sentiment_splits(n=100, fractions=(0.5, 0.5), seed=3)
    assert [len(t) for t, _ in small] == [50, 50]
    all_texts = set(sentiment.load_rotten_tomatoes()[0])
    assert all(t in all_texts for t in small[1][0])
    with pytest.raises(ValueError, match="n must be in"):
        sentiment.sentiment_splits(n=20000)


def test_digits_sequences_and_captions():
    images, labels = digits.load_digits()
    assert images.shape == (1797, 8, 8) and images.min() == 0 and images.max() == 1
    assert np.bincount(labels).tolist()[:3] == [178, 182, 177]
    (x, y), _, _ = digits.digit_sequences()
    assert x.shape[0] == 8 and x.shape[2] == 8 and x.shape[1] == len(y) == 1438
    imgs, numbers, captions = digits.digit_captions(50, n_digits=2, seed=0)
    assert imgs.shape == (50, 8, 16) and numbers.min() >= 10 and numbers.max() <= 99
    assert digits.number_words(42) == "forty two" and digits.number_words(7) == "seven"
    assert captions[0] == digits.number_words(numbers[0])
    test_imgs, _, _ = digits.digit_captions(50, n_digits=1, subset="test", seed=0)
    train_rows = {im.tobytes() for im in digits.digit_captions(2000, n_digits=1, seed=1)[0]}
    assert not any(im.tobytes() in train_rows for im in test_imgs)
    with pytest.raises(ValueError, match="n_digits"):
        digits.digit_captions(3, n_digits=5)


def test_digit_pool_is_what_the_captions_are_made_of():
    train_images, train_labels = digits.digit_pool("train")
    test_images, test_labels = digits.digit_pool("test")
    assert train_images.shape == (1438, 8, 8) and test_images.shape == (359, 8, 8)
    assert len(train_labels) == 1438 and set(test_labels.tolist()) == set(range(10))
    imgs, numbers, _ = digits.digit_captions(20, n_digits=2, subset="test", seed=0)
    pool = {(im.tobytes(), int(y)) for im, y in zip(test_images, test_labels)}
    for im, number in zip(imgs, numbers):  # each half is a pool digit with the right label
        assert (np.ascontiguousarray(im[:, :8]).tobytes(), int(number) // 10) in pool
        assert (np.ascontiguousarray(im[:, 8:]).tobytes(), int(number) % 10) in pool
    assert not {im.tobytes() for im in train_images} & {im.tobytes() for im in test_images}
    with pytest.raises(ValueError, match="subset"):
        digits.digit_pool("val")


def test_time_series():
    _, sun = timeseries.load_series("sunspots")
    years, co2 = timeseries.load_series("co2")
    _, nile = timeseries.load_series("nile")
    assert (len(sun), len(co2), len(nile)) == (309, 2284, 100)
    assert (
        not np.isnan(co2).any() and 310 < co2.min() < co2.max() < 380 and years[0] == pytest.approx(1958.24, abs=0.01)
    )
    x, y = timeseries.make_windows(sun, 20)
    assert x.shape == (20, 289, 1) and y.shape == (289,)
    assert x[0, 5, 0] == sun[5] and y[5] == sun[25]
    with pytest.raises(ValueError, match="window"):
        timeseries.make_windows(nile, 100)
    with pytest.raises(ValueError, match="one of"):
        timeseries.load_series("tides")
