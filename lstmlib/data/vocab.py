"""Vocabularies and tokenizers: text to token ids and back.

Ids 0..3 are always the special tokens ``<pad>`` (0), ``<bos>`` (1), ``<eos>`` (2), ``<unk>`` (3), so
padding is id 0 everywhere in the course. A ``Vocab`` is character-level (tokens joined with "") or
word-level (tokens joined by ``detokenize``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)
PAD_ID, BOS_ID, EOS_ID, UNK_ID = 0, 1, 2, 3

_WORD = re.compile(r"\w+|[^\w\s]")


def char_tokenize(text: str) -> list[str]:
    """Characters of ``text``: ``"ab c"`` -> ``["a", "b", " ", "c"]``."""
    return list(text)


def word_tokenize(text: str, lower: bool = True) -> list[str]:
    """Words and punctuation marks: ``"It's fine."`` -> ``["it", "'", "s", "fine", "."]``."""
    return _WORD.findall(text.lower() if lower else text)


def detokenize(tokens: Iterable[str]) -> str:
    """Join word tokens with spaces, gluing punctuation: ``["quarante", "-", "deux", "."]`` ->
    ``"quarante-deux."``. Inverse of ``word_tokenize`` on lower-case text with single spaces and no
    space around ``- ' /`` or before ``. , ; : ! ? )``."""
    out = ""
    for tok in tokens:
        if out and not (tok in ".,;:!?)-'/" or out[-1] in "(-'/"):
            out += " "
        out += tok
    return out


class Vocab:
    """A bijection between tokens and ids; ids 0..3 are ``<pad> <bos> <eos> <unk>``.

    Args:
        tokens: the ordinary tokens, in id order (specials are added in front; duplicates are an error).
        level: ``"char"`` (decode joins with "") or ``"word"`` (decode uses ``detokenize``).
    """

    def __init__(self, tokens: Iterable[str], level: str = "char"):
        if level not in ("char", "word"):
            raise ValueError(f"level must be 'char' or 'word'; got {level!r}")
        self.level = level
        self.itos: list[str] = list(SPECIALS)
        for tok in tokens:
            if tok in SPECIALS:
                continue
            self.itos.append(tok)
        self.stoi: dict[str, int] = {tok: i for i, tok in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("tokens must be distinct")

    @classmethod
    def build(
        cls,
        texts: Iterable[str],
        level: str = "char",
        *,
        min_freq: int = 1,
        max_size: int | None = None,
        lower: bool = True,
    ) -> Vocab:
        """Vocabulary of the tokens of ``texts`` seen at least ``min_freq`` times, most frequent first
        (ties alphabetically), at most ``max_size`` tokens including the 4 specials."""
        tokenize = char_tokenize if level == "char" else (lambda s: word_tokenize(s, lower))
        counts = Counter(tok for text in texts for tok in tokenize(text))
        ranked = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        if max_size is not None:
            ranked = ranked[: max(0, max_size - len(SPECIALS))]
        return cls(ranked, level)

    def __len__(self) -> int:
        return len(self.itos)

    def __repr__(self) -> str:
        return f"Vocab(level={self.level!r}, size={len(self)})"

    def tokenize(self, text: str) -> list[str]:
        return char_tokenize(text) if self.level == "char" else word_tokenize(text)

    def encode(self, text: str | Sequence[str], *, bos: bool = False, eos: bool = False) -> list[int]:
        """Ids of ``text`` (a string, tokenized at this vocabulary's level, or a list of tokens);
        unknown tokens become ``<unk>`` (3); ``bos``/``eos`` add ids 1 and 2 around them."""
        tokens = self.tokenize(text) if isinstance(text, str) else text
        ids = [self.stoi.get(tok, UNK_ID) for tok in tokens]
        return ([BOS_ID] if bos else []) + ids + ([EOS_ID] if eos else [])

    def decode(self, ids: Iterable[int], *, strip_special: bool = True, stop_at_eos: bool = True) -> str:
        """Text of ``ids`` (a list, NumPy array or tensor of ints). Stops at the first ``<eos>`` and
        drops ``<pad>``/``<bos>`` unless told otherwise. Raises ValueError for an id outside [0, V)."""
        tokens = []
        for i in ids.tolist() if hasattr(ids, "tolist") else ids:
            i = int(i)
            if not 0 <= i < len(self.itos):
                raise ValueError(f"token id must be in [0, {len(self.itos)}); got {i}")
            if i == EOS_ID and stop_at_eos:
                break
            if strip_special and i in (PAD_ID, BOS_ID, EOS_ID):
                continue
            tokens.append(self.itos[i])
        return "".join(tokens) if self.level == "char" else detokenize(tokens)
