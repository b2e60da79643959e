"""Translation without a network: the two baselines an encoder-decoder must beat.

- ``WordForWord``: a dictionary learned from the training pairs. Each English word is paired with the
  French word (``french_words``: as written, "soixante-dix", "l'éditeur") that co-occurs with it most
  consistently: the Dice coefficient 2·c(e, f) / (c(e) + c(f)), with c counting the training pairs that
  contain the word(s). A sentence is translated word by word, in English order;
  ties go to the same word (punctuation), then to the more frequent French word;
  a word whose best Dice is below ``min_dice`` is dropped (English words French leaves unsaid), an
  unknown word is copied (names, code words).
- ``NearestNeighbour``: translation by retrieval. It answers with the French of the training sentence
  whose English is most similar: cosine similarity of TF-IDF vectors of the English words and word
  pairs (bigrams). Exact whenever the same sentence, up to case, was in training; otherwise a near
  miss ("Close Tab" for "Close Tabs").

Both read and write text in the form the book scores: ``lstmlib.data.word_tokenize`` then
``detokenize`` (lower case, punctuation spaced as French is written).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from .data.vocab import detokenize, word_tokenize

__all__ = ["normalize", "french_words", "WordForWord", "NearestNeighbour"]


def normalize(text: str) -> str:
    """The scored form of a sentence: ``detokenize(word_tokenize(text))`` (lower case; typographic
    apostrophes made straight first)."""
    return detokenize(word_tokenize(text.replace("\u2019", "'")))


_UNIT = re.compile(r"\w+(?:['-]\w+)*'?|[^\w\s]")


def french_words(text: str) -> list[str]:
    """The units the dictionary pairs with English words: words as French writes them, with their
    hyphens and elisions ("soixante-dix", "l'éditeur"), and punctuation marks on their own."""
    return _UNIT.findall(normalize(text))


def _check_pairs(pairs) -> list[tuple[str, str]]:
    pairs = list(pairs)
    if not pairs or not all(isinstance(p, tuple) and len(p) == 2 and all(isinstance(s, str) for s in p) for p in pairs):
        raise ValueError("pairs must be a non-empty sequence of (english, french) string tuples")
    return pairs


class WordForWord:
    """A word-for-word dictionary learned from training pairs by the Dice coefficient.

    Args:
        pairs: (english, french) training pairs.
        min_dice: drop an English word whose best French partner has a lower Dice coefficient.
    """

    def __init__(self, pairs: Iterable[tuple[str, str]], min_dice: float = 0.0):
        pairs = _check_pairs(pairs)
        if not 0.0 <= min_dice <= 1.0:
            raise ValueError(f"min_dice must be in [0, 1]; got {min_dice}")
        c_en, c_fr, c_both = Counter(), Counter(), Counter()
        for en, fr in pairs:
            e_words, f_words = set(word_tokenize(en)), set(french_words(fr))
            c_en.update(e_words)
            c_fr.update(f_words)
            c_both.update((e, f) for e in e_words for f in f_words)
        best: dict[str, tuple] = {}  # e -> (dice, same word, count of f, f): the largest wins
        for (e, f), c in c_both.items():
            dice = 2 * c / (c_en[e] + c_fr[f])
            rank = (dice, f == e, c_fr[f], f)
            if e not in best or rank > best[e]:
                best[e] = rank
        self.dice = {e: r[0] for e, r in best.items()}
        self.dictionary = {e: r[3] for e, r in best.items() if r[0] >= min_dice}
        self.known = set(c_en)

    def translate_one(self, english: str) -> str:
        out = []
        for w in word_tokenize(english):
            if w in self.dictionary:
                out.append(self.dictionary[w])
            elif w not in self.known:
                out.append(w)  # never seen: copy it
        return normalize(" ".join(out))

    def translate(self, sentences: Sequence[str]) -> list[str]:
        return [self.translate_one(s) for s in sentences]


def _features(text: str) -> list[str]:
    words = word_tokenize(text)
    return words + [a + " " + b for a, b in zip(words, words[1:])]


class NearestNeighbour:
    """Translation by retrieval: the French of the most similar training English (TF-IDF cosine over
    words and word bigrams; ties go to the earlier training pair)."""

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        pairs = _check_pairs(pairs)
        self.english = [en for en, _ in pairs]
        self.french = [normalize(fr) for _, fr in pairs]
        docs = [_features(en) for en in self.english]
        df = Counter(f for d in docs for f in set(d))
        self.index = {f: i for i, f in enumerate(sorted(df))}
        n = len(docs)
        self.idf = np.array([np.log((1 + n) / (1 + df[f])) + 1 for f in sorted(df)])
        self.matrix = self._matrix(docs)  # (N, F) sparse, rows of unit length

    def _matrix(self, docs: list[list[str]]):
        from scipy.sparse import csr_matrix

        rows, cols, vals = [], [], []
        for r, d in enumerate(docs):
            weights = {self.index[f]: c * self.idf[self.index[f]] for f, c in Counter(d).items() if f in self.index}
            norm = np.sqrt(sum(w * w for w in weights.values())) or 1.0
            for col, w in weights.items():
                rows.append(r)
                cols.append(col)
                vals.append(w / norm)
        return csr_matrix((vals, (rows, cols)), shape=(len(docs), len(self.index)))

    def neighbours(self, sentences: Sequence[str]) -> np.ndarray:
        """(N,) index of each sentence's most similar training pair."""
        similarity = (self._matrix([_features(s) for s in sentences]) @ self.matrix.T).toarray()  # (N, N_train)
        return similarity.argmax(1)

    def translate(self, sentences: Sequence[str]) -> list[str]:
        return [self.french[i] for i in self.neighbours(sentences)]
