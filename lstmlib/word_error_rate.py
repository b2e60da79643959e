"""Word error rate: how many words must change to turn an output into its reference.

``word_errors(hypothesis, reference)`` is the Levenshtein distance between the two word lists: the
fewest substitutions, insertions and deletions of whole words. The word error rate of a test set pools
the errors over the sentences, ``sum(errors) / sum(reference words)`` (so long references weigh more),
as speech recognition reports it; 0 is perfect, and it can exceed 1 when outputs are too long. Unlike
exact match it gives partial credit: "forty three" for "forty two" is one error in two words.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["word_errors", "word_error_rate"]


def word_errors(hypothesis: str, reference: str) -> int:
    """Fewest word substitutions, insertions and deletions turning ``hypothesis`` into ``reference``."""
    if not isinstance(hypothesis, str) or not isinstance(reference, str):
        raise TypeError(
            f"hypothesis and reference must be strings; got {type(hypothesis).__name__} and {type(reference).__name__}"
        )
    hyp, ref = hypothesis.split(), reference.split()
    previous = list(range(len(ref) + 1))  # distances from the empty hypothesis prefix
    for i, word in enumerate(hyp, start=1):
        current = [i]
        for j, target in enumerate(ref, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != target)))
        previous = current
    return previous[-1]


def word_error_rate(hypotheses: Sequence[str], references: Sequence[str]) -> tuple[float, np.ndarray, np.ndarray]:
    """Pooled word error rate of a test set.

    Returns:
        rate: ``errors.sum() / lengths.sum()``; errors: (N,) int64 per sentence; lengths: (N,) int64,
        the reference's words (for a bootstrap over sentences, ``lstmlib.intervals.bootstrap_interval``).
    """
    if isinstance(hypotheses, str) or isinstance(references, str):
        raise TypeError("hypotheses and references must be sequences of strings; got a string")
    if len(hypotheses) != len(references) or not len(references):
        raise ValueError(
            f"need as many hypotheses as references, at least one; got {len(hypotheses)} and {len(references)}"
        )
    errors = np.array([word_errors(h, r) for h, r in zip(hypotheses, references)], dtype=np.int64)
    lengths = np.array([len(r.split()) for r in references], dtype=np.int64)
    if lengths.sum() == 0:
        raise ValueError("the references hold no words; got only empty strings")
    return float(errors.sum() / lengths.sum()), errors, lengths
