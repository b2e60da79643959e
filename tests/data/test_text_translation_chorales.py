import numpy as np
import pytest

from lstmlib.data import chorales, text, translation


def test_texts():
    hamlet = text.load_text("hamlet")
    assert hamlet.startswith("ACT I") and "To be, or not to be" in hamlet and len(hamlet) == 175090
    help_text = text.load_text("python_help")
    assert len(help_text) > 400_000 and 'The "assert" statement' in help_text
    tunes = text.load_text("folk_tunes", max_chars=10_000)
    assert len(tunes) == 10_000 and "X:1" in tunes and "K:" in tunes
    with pytest.raises(ValueError, match="one of"):
        text.load_text("odyssey")


def test_number_pairs():
    numbers, pairs = translation.number_pairs(300, 0, 1000, seed=0)
    assert len(set(numbers.tolist())) == 300 and numbers.max() < 1000
    assert translation.english_number(97) == "ninety seven"
    assert translation.french_number(97) == "quatre-vingt-dix-sept"
    assert translation.french_number(71) == "soixante et onze"
    i = int(np.flatnonzero(numbers == numbers[0])[0])
    assert pairs[i] == (translation.english_number(numbers[0]), translation.french_number(numbers[0]))
    again, _ = translation.number_pairs(300, 0, 1000, seed=0)
    assert np.array_equal(numbers, again)
    with pytest.raises(ValueError, match="n must be <= high - low = 10"):
        translation.number_pairs(11, 0, 10)


def test_sphinx_pairs():
    everything = translation.sphinx_pairs(plain=False)
    plain = translation.sphinx_pairs()
    assert len(everything) == 786 and len(plain) == 407
    assert dict(plain)["Table of Contents"] == "Table des matières"
    assert not any("%" in en or "{" in en for en, _ in plain)
    short = translation.sphinx_pairs(max_chars=30)
    assert 0 < len(short) < len(plain) and all(len(en) <= 30 and len(fr) <= 30 for en, fr in short)


def _music21_eighths(path, part_name, steps):
    from music21 import corpus

    part = next(p for p in corpus.parse(path).parts if (p.partName or "").strip().lower() == part_name)
    out = np.zeros(steps, dtype=np.int64)
    for n in part.flatten().notesAndRests:
        lo = int(np.ceil(float(n.offset) / 0.5 - 1e-9))
        hi = int(np.ceil(float(n.offset + n.quarterLength) / 0.5 - 1e-9))
        out[lo:hi] = 0 if n.isRest else n.pitch.midi
    return out


def test_chorale_reader_agrees_with_music21():
    for path in chorales.chorale_files()[:3]:
        soprano, bass = chorales.read_chorale(path)
        assert len(soprano) == len(bass) > 40
        np.testing.assert_array_equal(soprano, _music21_eighths(path, "soprano", len(soprano)))
        np.testing.assert_array_equal(bass, _music21_eighths(path, "bass", len(bass)))


def test_chorale_data():
    data = chorales.chorale_data(n=20, seed=0)
    assert [len(p) for p in (data.train, data.val, data.test)] == [16, 2, 2]
    for s, b in data.train + data.test:
        assert len(s) == len(b) and s.min() >= 4 and b.min() >= 4
    name, soprano, bass = chorales.load_chorales(20)[data.indices[0][0]]
    assert data.names[data.indices[0][0]] == name
    assert 60 <= np.median(soprano) <= 80 and 36 <= np.median(bass) <= 60
    s_ids, b_ids = data.train[0]
    decoded = data.bass_vocab.decode(b_ids, strip_special=False).split()
    assert decoded == ["rest" if p == 0 else str(p) for p in bass]
    assert data.soprano_vocab.decode(s_ids[:3]).split() == [str(p) for p in soprano[:3]]
    with pytest.raises(ValueError, match="n must be at most 403"):
        chorales.chorale_data(n=500)
