"""English -> French sentence pairs from the message catalogs that ship inside installed packages.

What: the user-interface messages of three programs and their French translations by each project's
translators, read from the compiled gettext catalogs (``.mo`` files) that the packages install:

- ``sphinx``, the documentation tool that builds this book: ``sphinx/locale/fr/LC_MESSAGES/sphinx.mo``
  (786 messages); BSD-2-Clause.
- ``django``, the web framework (installed ``--no-deps``, data only, never imported):
  ``django/**/locale/fr/LC_MESSAGES/*.mo`` (13 catalogs, 863 messages); BSD-3-Clause.
- ``jupyterlab``, the pip package ``jupyterlab-language-pack-fr-FR`` (installed ``--no-deps``):
  ``jupyterlab_language_pack_fr_FR/locale/fr_FR/LC_MESSAGES/*.mo`` (17 catalogs, 3,419 messages); BSD-3-Clause.

Menu items, button labels, error messages and settings: "Close all tabs" -> "Fermer tous les onglets".
Where from: the installed packages, read as files with the standard library's ``gettext`` (Django is
installed ``--no-deps`` and never imported). Why: real sentences translated by people, a few thousand
of them short enough for a small encoder-decoder, with no download at run time.

``message_pairs`` cleans them: it drops each message's gettext context (``"menu\\x04Open"`` -> ``"Open"``)
and plural forms, normalizes typographic apostrophes and non-breaking spaces, drops messages with
format placeholders or markup (``%s``, ``{name}``, ``<b>``, ``&``, backslashes, backquotes, underscores,
line breaks), drops pairs whose French is the English unchanged (names such as "Python"), keeps short
pairs, and merges messages that are the same word sequence up to case ("Close" and "close"), keeping
their most frequent French. ``message_split`` cuts them into train, validation and test sets with a
fixed seed (the data set's definition: it does not move with ``LSTMLIB_SEED_SHIFT``).
"""

from __future__ import annotations

import gettext
import re
from collections import Counter
from functools import cache
from pathlib import Path

from ._files import package_file
from .batching import split_indices
from .vocab import word_tokenize

__all__ = ["SOURCES", "LICENCES", "catalog_files", "read_catalog", "message_pairs", "message_split"]

SOURCES = ("sphinx", "django", "jupyterlab")
LICENCES = {"sphinx": "BSD-2-Clause", "django": "BSD-3-Clause", "jupyterlab": "BSD-3-Clause"}

_MARKUP = re.compile(r"[%{}<>\\`&_|\[\]=#@$*~^]|\n|\t|://")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def catalog_files(source: str) -> list[Path]:
    """The French ``.mo`` catalogs of ``source`` (one of ``SOURCES``), sorted by path."""
    if source == "sphinx":
        return [package_file("sphinx", "locale", "fr", "LC_MESSAGES", "sphinx.mo")]
    if source == "django":
        return sorted(package_file("django").glob("**/locale/fr/LC_MESSAGES/*.mo"))
    if source == "jupyterlab":
        return sorted(package_file("jupyterlab_language_pack_fr_FR", "locale", "fr_FR", "LC_MESSAGES").glob("*.mo"))
    raise ValueError(f"source must be one of {SOURCES}; got {source!r}")


def _normalize(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2026", "...")
    return _SPACES.sub(" ", text).strip()


@cache
def read_catalog(source: str) -> tuple[tuple[str, str], ...]:
    """Every (English, French) message of ``source``'s French catalogs, uncleaned but for the gettext
    context (dropped) and plural forms (skipped), in file order; a message in several files appears
    once per file."""
    pairs = []
    for path in catalog_files(source):
        with open(path, "rb") as f:
            catalog = gettext.GNUTranslations(f)._catalog  # msgid -> msgstr; plural forms have tuple keys
        for en, fr in catalog.items():
            if isinstance(en, str) and en and isinstance(fr, str) and fr:
                pairs.append((en.split("\x04")[-1], fr))  # "context\x04message": the message
    return tuple(pairs)


@cache
def message_pairs(sources: tuple[str, ...] = SOURCES, max_words: int = 8) -> tuple[tuple[str, str], ...]:
    """Clean, short, distinct (English, French) message pairs of ``sources``, sorted by English.

    Args:
        sources: catalogs to read (a tuple of names from ``SOURCES``).
        max_words: keep pairs whose English has at most this many words (split at spaces) and whose
            French at most ``max_words + 2``.

    Returns:
        pairs (English, French): spaces and apostrophes normalized, case kept; one pair per English word
        sequence (``word_tokenize``, lower-cased), with its most frequent French (ties: first source,
        then alphabetical).
    """
    if isinstance(sources, str) or not all(s in SOURCES for s in sources):
        raise ValueError(f"sources must be a tuple of names from {SOURCES}; got {sources!r}")
    if max_words < 1:
        raise ValueError(f"max_words must be >= 1; got {max_words}")
    found: dict[tuple[str, ...], Counter] = {}
    order: dict[tuple[str, str], tuple[int, int]] = {}
    for s, source in enumerate(sources):
        for k, (en, fr) in enumerate(read_catalog(source)):
            en, fr = _normalize(en), _normalize(fr)
            if _MARKUP.search(en + fr) or not word_tokenize(en) or not word_tokenize(fr):
                continue
            if len(en.split()) > max_words or len(fr.split()) > max_words + 2:
                continue
            if word_tokenize(en) == word_tokenize(fr):  # not translated: a name, a unit, a code
                continue
            key = tuple(word_tokenize(en))
            found.setdefault(key, Counter())[(en, fr)] += 1
            order.setdefault((en, fr), (s, k))
    pairs = []
    for candidates in found.values():
        best = min(candidates, key=lambda p: (-candidates[p], order[p][0], p[1], p[0]))
        pairs.append(best)
    return tuple(sorted(pairs))


def message_split(pairs, fractions=(0.8, 0.1, 0.1), seed: int = 0) -> tuple[list, list, list]:
    """Train, validation and test lists of ``pairs``, cut by ``split_indices(len(pairs), fractions, seed)``
    (a fixed seed: the same split on every run)."""
    parts = split_indices(len(pairs), fractions, seed)
    if len(parts) != 3:
        raise ValueError(f"fractions must give train, validation and test fractions; got {fractions}")
    return tuple([pairs[i] for i in sorted(idx)] for idx in parts)
