"""Tests of the message catalogs, length buckets, confidence intervals, translation metrics and baselines."""

import math

import numpy as np
import pytest
import torch

from lstmlib.data import SequenceBatches
from lstmlib.data.bucketing import LengthBuckets
from lstmlib.data.catalogs import SOURCES, catalog_files, message_pairs, message_split, read_catalog
from lstmlib.intervals import bootstrap_interval, wilson_interval
from lstmlib.translation_baselines import NearestNeighbour, WordForWord, french_words, normalize
from lstmlib.translation_metrics import bleu, bleu_from_stats, bleu_interval, bleu_stats, exact_match

# ----- message catalogs


def test_catalogs_are_read_from_the_installed_packages():
    for source in SOURCES:
        files = catalog_files(source)
        assert files and all(f.suffix == ".mo" and f.exists() for f in files)
    assert len(catalog_files("django")) >= 10
    sphinx = dict(read_catalog("sphinx"))
    assert sphinx["Table of Contents"] == "Table des matières"
    assert not any("\x04" in en for en, _ in read_catalog("jupyterlab"))  # gettext contexts dropped
    with pytest.raises(ValueError, match="source must be one of"):
        catalog_files("gimp")


def test_message_pairs_are_clean_short_and_distinct():
    pairs = message_pairs()
    assert 2500 < len(pairs) < 3500
    assert list(pairs) == sorted(pairs)
    keys = [tuple(normalize(en).split()) for en, _ in pairs]
    assert len(set(keys)) == len(keys)  # one pair per English word sequence, up to case
    for en, fr in pairs:
        assert len(en.split()) <= 8 and len(fr.split()) <= 10
        assert not any(c in en + fr for c in "%{}<>&_\\`\n\u2019\u00a0")
        assert normalize(en) != normalize(fr)
    d = dict(pairs)
    assert d["Close all tabs"] == "Fermer tous les onglets" if "Close all tabs" in d else True
    assert sum(len(message_pairs((s,))) for s in SOURCES) >= len(pairs)
    assert len(message_pairs(max_words=4)) < len(pairs)
    with pytest.raises(ValueError, match="sources must be a tuple"):
        message_pairs("sphinx")
    with pytest.raises(ValueError, match="max_words must be >= 1"):
        message_pairs(max_words=0)


def test_message_split_is_fixed_and_disjoint():
    pairs = message_pairs()
    train, val, test = message_split(pairs)
    assert len(train) + len(val) + len(test) == len(pairs) and abs(len(test) - 0.1 * len(pairs)) <= 1
    assert not set(train) & set(test) and not set(val) & set(test)
    assert message_split(pairs) == (train, val, test)
    with pytest.raises(ValueError, match="train, validation and test"):
        message_split(pairs, (0.5, 0.5))


# ----- length buckets


def test_length_buckets_hold_one_source_length_per_batch_and_every_pair_once():
    rng = np.random.default_rng(0)
    sources = [list(rng.integers(4, 9, size=n)) for n in rng.integers(1, 6, size=50)]
    targets = [[1, *rng.integers(4, 9, size=n), 2] for n in rng.integers(1, 6, size=50)]
    buckets = LengthBuckets(sources, targets, batch_size=4, seed=0)
    seen = []
    for x, lengths, y in buckets:
        assert x.shape[1] == y.shape[1] == len(lengths) <= 4
        assert bool((lengths == x.shape[0]).all()) and bool((x != 0).all())  # no padding in the sources
        for b in range(x.shape[1]):
            seen.append(x[:, b].tolist())
    assert sorted(map(str, seen)) == sorted(str([int(t) for t in s]) for s in sources)
    assert len(list(buckets)) == len(buckets)
    first, second = ([x.tolist() for x, _, _ in buckets] for _ in range(2))
    assert first != second  # reshuffled each pass
    # the same (x, lengths, y) format as SequenceBatches: a batch of one length pads targets alike
    x, lengths, y = next(iter(LengthBuckets(sources[:1], targets[:1], batch_size=1, shuffle=False)))
    x2, lengths2, y2 = next(iter(SequenceBatches(sources[:1], targets[:1], batch_size=1, shuffle=False)))
    assert torch.equal(x, x2) and torch.equal(lengths, lengths2) and torch.equal(y, y2)
    with pytest.raises(ValueError, match="as many targets as sources"):
        LengthBuckets(sources, targets[:3], batch_size=4)
    with pytest.raises(ValueError, match="source 1 is empty"):
        LengthBuckets([[4], []], [[1], [1]], batch_size=4)


# ----- intervals


def test_wilson_interval():
    lo, hi = wilson_interval(50, 100)
    assert lo < 0.5 < hi and math.isclose(hi - 0.5, 0.5 - lo) and 0.09 < hi - lo < 0.21
    lo, hi = wilson_interval(0, 20)
    assert lo == 0.0 and 0.1 < hi < 0.2  # not empty at p = 0
    assert wilson_interval(10, 1000)[1] - wilson_interval(10, 1000)[0] < wilson_interval(1, 100)[1]
    with pytest.raises(ValueError, match="0 <= successes <= n"):
        wilson_interval(5, 3)
    with pytest.raises(TypeError, match="ints"):
        wilson_interval(True, 3)


def test_bootstrap_interval_covers_the_mean_and_shrinks_with_n():
    rng = np.random.default_rng(1)
    small, large = rng.normal(size=30), rng.normal(size=3000)
    lo, hi = bootstrap_interval(lambda i: small[i].mean(), len(small), resamples=500)
    assert lo < small.mean() < hi
    lo2, hi2 = bootstrap_interval(lambda i: large[i].mean(), len(large), resamples=500)
    assert hi2 - lo2 < (hi - lo) / 4  # ~ 1/sqrt(n): 10 times narrower
    assert abs((hi2 - lo2) - 2 * 1.96 / math.sqrt(3000)) < 0.02
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_interval(lambda i: 0.0, 10, confidence=1.5)


# ----- metrics


def test_exact_match_and_bleu():
    refs = ["le chat est noir", "une maison bleue", "bonjour le monde"]
    assert exact_match(refs, refs) == 1.0 and exact_match(["x", "une maison bleue ", "y"], refs) == pytest.approx(1 / 3)
    assert bleu(refs, refs) == pytest.approx(100.0)
    assert bleu(["a b c d", "e f g h", "i j k l"], refs) == pytest.approx(0.0)
    hyps = ["le chat est blanc", "une maison", "bonjour le monde"]
    score = bleu(hyps, refs)
    assert 0 < score < 100
    # pooled statistics give sacreBLEU's corpus score, and the bootstrap interval surrounds it
    stats = bleu_stats(hyps * 20, refs * 20)
    assert stats.shape == (60, 10) and bleu_from_stats(stats) == pytest.approx(bleu(hyps * 20, refs * 20))
    lo, hi = bleu_interval(hyps * 20, refs * 20, resamples=200)
    assert lo <= bleu(hyps * 20, refs * 20) <= hi
    with pytest.raises(ValueError, match="as many hypotheses as references"):
        bleu(["a"], refs)
    with pytest.raises(TypeError, match="sequences of strings"):
        exact_match("abc", "abc")
    with pytest.raises(ValueError, match=r"\(N, 10\)"):
        bleu_from_stats(np.zeros((3, 4)))


# ----- baselines


def test_word_for_word_learns_the_dictionary_from_the_pairs():
    pairs = [
        ("the red car", "la voiture rouge"),
        ("a red house", "une maison rouge"),
        ("the house", "la maison"),
        ("a car", "une voiture"),
        ("the car", "la voiture"),
        ("the blue sky", "le ciel bleu"),
    ]
    wfw = WordForWord(pairs)
    assert wfw.dictionary["red"] == "rouge" and wfw.dictionary["car"] == "voiture"
    assert wfw.dictionary["house"] == "maison" and wfw.dictionary["the"] == "la"
    assert wfw.translate(["the red house", "the green car"]) == ["la rouge maison", "la green voiture"]
    assert wfw.dice["the"] == pytest.approx(6 / 7)  # "the" is in 4 pairs, "la" in 3, both in 3
    assert WordForWord(pairs, min_dice=0.9).translate_one("the red car") == "rouge voiture"
    assert french_words("Ouvrir l’éditeur (soixante-dix)") == ["ouvrir", "l'éditeur", "(", "soixante-dix", ")"]
    with pytest.raises(ValueError, match="pairs must be"):
        WordForWord([("a", 1)])


def test_nearest_neighbour_returns_the_french_of_the_closest_english():
    pairs = [("Close tab", "Fermer l'onglet"), ("Open file", "Ouvrir le fichier"), ("Save file as", "Enregistrer sous")]
    nn = NearestNeighbour(pairs)
    assert nn.translate(["close tabs", "open the file", "save file as"]) == [
        "fermer l'onglet",
        "ouvrir le fichier",
        "enregistrer sous",
    ]
    assert nn.neighbours(["save"]).tolist() == [2]
