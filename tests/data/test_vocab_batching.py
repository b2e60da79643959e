import numpy as np
import pytest
import torch

from lstmlib.data import (
    Batches,
    SequenceBatches,
    Vocab,
    detokenize,
    mask_from_lengths,
    pad_sequences,
    split_indices,
    word_tokenize,
)


def test_char_vocab_round_trip():
    v = Vocab.build(["hello world", "hold"], "char")
    assert v.itos[:4] == ["<pad>", "<bos>", "<eos>", "<unk>"] and v.itos[4] == "l"
    ids = v.encode("hello", bos=True, eos=True)
    assert ids[0] == 1 and ids[-1] == 2
    assert v.decode(ids) == "hello"
    assert v.decode(v.encode("hez")) == "he<unk>"
    assert v.decode(torch.tensor(v.encode("low") + [2, 5])) == "low"  # stops at <eos>


def test_word_vocab_round_trip_and_limits():
    texts = ["It's a fine, fine day.", "quarante-deux"]
    v = Vocab.build(texts, "word", max_size=8)
    assert len(v) == 8 and v.itos[4] == "fine"
    full = Vocab.build(texts, "word")
    for text in texts:
        assert full.decode(full.encode(text)) == text.lower()
    assert word_tokenize("quarante-deux") == ["quarante", "-", "deux"]
    assert detokenize(["a", "(", "b", ")", "."]) == "a (b)."


def test_decode_rejects_out_of_vocabulary_ids():
    v = Vocab("ab")
    with pytest.raises(ValueError, match=r"in \[0, 6\); got 6"):
        v.decode([4, 6])
    with pytest.raises(ValueError, match="level"):
        Vocab("ab", level="byte")


def test_pad_sequences_and_masks():
    x, lengths = pad_sequences([[5, 6, 7], [8], [9, 10]])
    np.testing.assert_array_equal(x, [[5, 8, 9], [6, 0, 10], [7, 0, 0]])
    np.testing.assert_array_equal(lengths, [3, 1, 2])
    mask = mask_from_lengths(lengths)
    np.testing.assert_array_equal(mask, x != 0)
    tmask = mask_from_lengths(torch.tensor([3, 1, 2]), T=4)
    assert tmask.shape == (4, 3) and tmask.dtype == torch.bool and tmask.sum() == 6
    f, _ = pad_sequences([np.ones((2, 3)), np.ones((4, 3))])
    assert f.shape == (4, 2, 3) and f.dtype == np.float32
    with pytest.raises(ValueError, match="empty batch"):
        pad_sequences([])
    with pytest.raises(ValueError, match=r"shape \(T_b, \*\(3,\)\); got \(2, 4\)"):
        pad_sequences([np.ones((2, 3)), np.ones((2, 4))])


def test_split_indices_fixed_by_seed():
    a = split_indices(100, (0.8, 0.1, 0.1), seed=0)
    b = split_indices(100, (0.8, 0.1, 0.1), seed=0)
    assert [len(p) for p in a] == [80, 10, 10]
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert sorted(np.concatenate(a).tolist()) == list(range(100))
    assert not np.array_equal(a[0], split_indices(100, (0.8, 0.1, 0.1), seed=1)[0])
    with pytest.raises(ValueError, match="sum to 1"):
        split_indices(10, (0.5, 0.4))


def test_batches_time_first_and_reshuffled_per_pass():
    x = np.arange(2 * 10 * 3).reshape(2, 10, 3)  # (T, N, D)
    y = np.arange(10)
    batches = Batches(x, y, batch_size=4, axes=(1, 0), seed=0)
    assert len(batches) == 3
    first = list(batches)
    assert [b[1].shape[0] for b in first] == [4, 4, 2]
    for xb, yb in first:
        assert xb.shape[:2] == (2, len(yb))
        torch.testing.assert_close(xb[0, :, 0], yb * 3)  # rows stayed with their labels
    second = list(batches)
    assert sorted(torch.cat([b[1] for b in second]).tolist()) == list(range(10))
    assert not torch.equal(first[0][1], second[0][1])
    again = list(Batches(x, y, batch_size=4, axes=(1, 0), seed=0))
    assert all(torch.equal(u[1], v[1]) for u, v in zip(first, again))
    with pytest.raises(ValueError, match=r"same batch size.*got \[2, 10\]"):
        Batches(x, y, batch_size=4)


def test_sequence_batches():
    seqs = [[4, 5], [6], [7, 8, 9], [5]]
    sb = SequenceBatches(seqs, [0, 1, 1, 0], batch_size=2, shuffle=False)
    (x, lengths, y), _ = list(sb)
    assert x.tolist() == [[4, 6], [5, 0]] and lengths.tolist() == [2, 1] and y.tolist() == [0, 1]
    pairs = SequenceBatches(seqs, [[1, 2], [3], [4], [5, 6, 7]], batch_size=4, shuffle=False)
    _, _, y = next(iter(pairs))
    assert y.shape == (3, 4)
    with pytest.raises(ValueError, match="4 entries"):
        SequenceBatches(seqs, [0, 1], batch_size=2)
