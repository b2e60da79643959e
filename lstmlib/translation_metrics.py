"""Scores for translations: exact match and BLEU (sacreBLEU), with their uncertainty.

BLEU (Papineni et al. 2002) compares the n-grams (n = 1..4) of the system's output with those of the
reference: the geometric mean of the four n-gram precisions, pooled over the whole test set, times a
brevity penalty exp(1 - r/c) when the output is shorter (c words) than the reference (r words). It is
computed here by sacreBLEU (Post 2018), the standard implementation, with its default ``13a``
tokenization, on a 0-100 scale. One reference per sentence.

``bleu_stats`` keeps each sentence's n-gram counts, so that ``bleu_interval`` can resample sentences
and recompute corpus BLEU from the pooled counts (a bootstrap over sentences) in milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .intervals import bootstrap_interval, wilson_interval

__all__ = ["exact_match", "exact_match_interval", "bleu", "bleu_stats", "bleu_from_stats", "bleu_interval"]


def _check(hypotheses: Sequence[str], references: Sequence[str]) -> None:
    if isinstance(hypotheses, str) or isinstance(references, str):
        raise TypeError("hypotheses and references must be sequences of strings; got a string")
    if len(hypotheses) != len(references) or not len(references):
        raise ValueError(
            f"need as many hypotheses as references, at least one; got {len(hypotheses)} and {len(references)}"
        )


def exact_match(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Fraction of sentences whose output equals the reference exactly (after stripping spaces)."""
    _check(hypotheses, references)
    return float(np.mean([h.strip() == r.strip() for h, r in zip(hypotheses, references)]))


def exact_match_interval(hypotheses: Sequence[str], references: Sequence[str]) -> tuple[float, float]:
    """95 % Wilson interval of ``exact_match`` (sentences as independent trials)."""
    _check(hypotheses, references)
    right = sum(h.strip() == r.strip() for h, r in zip(hypotheses, references))
    return wilson_interval(right, len(references))


def _bleu(sentence: bool = False):
    from sacrebleu.metrics import BLEU

    return BLEU(effective_order=sentence)  # the n-gram counts do not depend on effective_order


def bleu(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus BLEU (0-100) of ``hypotheses`` against one reference each: ``sacrebleu.corpus_bleu``."""
    _check(hypotheses, references)
    return float(_bleu().corpus_score(list(hypotheses), [list(references)]).score)


def bleu_stats(hypotheses: Sequence[str], references: Sequence[str]) -> np.ndarray:
    """Per-sentence sufficient statistics of BLEU: (N, 10) int64 rows of
    ``[output length, reference length, matches of n = 1..4, output n-grams of n = 1..4]``."""
    _check(hypotheses, references)
    metric = _bleu(sentence=True)
    rows = []
    for h, r in zip(hypotheses, references):
        s = metric.sentence_score(h, [r])
        rows.append([s.sys_len, s.ref_len, *s.counts, *s.totals])
    return np.array(rows, dtype=np.int64)


def bleu_from_stats(stats: np.ndarray) -> float:
    """Corpus BLEU (0-100) from ``bleu_stats`` rows, pooled (summed) over the rows."""
    from sacrebleu.metrics import BLEU

    stats = np.asarray(stats)
    if stats.ndim != 2 or stats.shape[1] != 10:
        raise ValueError(f"stats must have shape (N, 10) from bleu_stats; got {stats.shape}")
    total = stats.sum(0).tolist()
    score = BLEU.compute_bleu(total[2:6], total[6:10], total[0], total[1], smooth_method="exp")  # corpus_bleu's default
    return float(score.score)


def bleu_interval(
    hypotheses: Sequence[str], references: Sequence[str], resamples: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """95 % bootstrap interval of corpus BLEU, resampling sentences."""
    stats = bleu_stats(hypotheses, references)
    return bootstrap_interval(lambda i: bleu_from_stats(stats[i]), len(stats), resamples, seed=seed)
