"""hamlet_split: contiguous train | development | test parts of Hamlet, one vocabulary."""

import numpy as np
import pytest

from lstmlib.data.text import hamlet_split, load_text


def test_parts_are_the_play_in_order():
    split = hamlet_split()
    text = load_text("hamlet")
    ids = np.array(split.vocab.encode(text))
    assert split.text == text
    np.testing.assert_array_equal(np.concatenate([split.train, split.dev, split.test]), ids)
    np.testing.assert_array_equal(split.train_all, ids[: len(ids) - len(split.test)])
    assert split.vocab.decode(split.test) == split.test_text == text[-len(split.test) :]


def test_sizes_are_the_fractions_asked_for():
    split = hamlet_split()
    n = len(split.text)
    assert len(split.test) == n // 10 and len(split.dev) == n // 20
    other = hamlet_split(test_fraction=5, dev_fraction=10)
    assert len(other.test) == n // 5 and len(other.dev) == n // 10


def test_vocabulary_covers_every_character():
    split = hamlet_split()
    assert split.vocab.itos[:4] == ["<pad>", "<bos>", "<eos>", "<unk>"]
    assert split.train_all.min() >= 4 and split.test.min() >= 4  # no <unk>: every character has an id


@pytest.mark.parametrize("bad", [dict(test_fraction=1), dict(dev_fraction=0), dict(test_fraction=2.5)])
def test_bad_fractions_are_rejected(bad):
    with pytest.raises(ValueError, match="ints >= 2"):
        hamlet_split(**bad)
