"""Translation pairs for the encoder-decoder: English -> French number words, and Sphinx's French
message catalog.

``number_pairs``: what: English and French words for whole numbers, e.g. ("forty two",
"quarante-deux"), for any range of numbers (cardinals only: num2words' French ordinals are wrong).
Where from: the ``num2words`` package (rules per language), generated here from a seed. Licence:
num2words is LGPL-2.1 (we call it, we do not ship it). Why: a real translation with real structure
(reordering and agglutination: "ninety seven" -> "quatre-vingt-dix-sept") at any size, short enough
for a small encoder-decoder to learn in seconds, with an exact answer to score against.

``sphinx_pairs``: what: the 786 English messages of the Sphinx documentation tool and their French
translations by Sphinx's translators ("Table of Contents" -> "Table des matières"). Where from:
``sphinx/locale/fr/LC_MESSAGES/sphinx.mo`` inside the installed Sphinx (which builds this book), read
with the standard library's ``gettext``. Licence: Sphinx and its translations are BSD-2-Clause.
Why: real human sentence translations that ship with a package; too few to learn French from, but
the right size to show an encoder-decoder's greedy and beam-search outputs on real text. The cleaned,
larger set that chapter 4d trains on (Sphinx, Django and JupyterLab together) is
``lstmlib.data.catalogs.message_pairs``.
"""

from __future__ import annotations

import gettext
import re
from functools import cache

import numpy as np

from ._files import package_file

__all__ = ["number_pairs", "sphinx_pairs", "english_number", "french_number"]


def english_number(n: int) -> str:
    """``42 -> "forty two"``: num2words' English, hyphens as spaces, no commas."""
    from num2words import num2words

    return num2words(int(n), lang="en").replace("-", " ").replace(",", "")


def french_number(n: int) -> str:
    """``42 -> "quarante-deux"``: num2words' French cardinal, as written."""
    from num2words import num2words

    return num2words(int(n), lang="fr")


def number_pairs(n: int, low: int = 0, high: int = 1000, *, seed: int = 0, unique: bool = True):
    """``n`` (English, French) pairs for numbers drawn from [low, high) with ``seed``.

    With ``unique=True`` the numbers are distinct (a permutation's first ``n``; needs n <= high - low),
    so splitting the list gives disjoint train and test numbers.

    Returns:
        numbers: (n,) int64; pairs: list of n (english, french) strings.
    """
    if not 0 <= low < high:
        raise ValueError(f"need 0 <= low < high; got low={low}, high={high}")
    rng = np.random.default_rng(seed)
    if unique:
        if n > high - low:
            raise ValueError(f"n must be <= high - low = {high - low} for unique numbers; got {n}")
        numbers = low + rng.permutation(high - low)[:n]
    else:
        numbers = rng.integers(low, high, size=n)
    return numbers.astype(np.int64), [(english_number(v), french_number(v)) for v in numbers]


_PLACEHOLDER = re.compile(r"%|\{|<|\\|`")


@cache
def sphinx_pairs(plain: bool = True, max_chars: int | None = None) -> tuple[tuple[str, str], ...]:
    """(English, French) message pairs of Sphinx's French catalog, sorted by English message.

    Args:
        plain: drop messages with format placeholders or markup (``%s``, ``{name}``, ``<a>``, backslashes,
            backquotes), leaving 407 plain pairs; False keeps all 786.
        max_chars: keep pairs whose English and French both have at most this many characters.
    """
    path = package_file("sphinx", "locale", "fr", "LC_MESSAGES", "sphinx.mo")
    with open(path, "rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog  # msgid -> msgstr; plural forms are tuple keys
    pairs = sorted((en.strip(), fr.strip()) for en, fr in catalog.items() if isinstance(en, str) and en and fr)
    if plain:
        pairs = [(en, fr) for en, fr in pairs if not _PLACEHOLDER.search(en + fr)]
    if max_chars is not None:
        pairs = [(en, fr) for en, fr in pairs if len(en) <= max_chars and len(fr) <= max_chars]
    return tuple(pairs)
