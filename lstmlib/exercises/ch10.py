"""Exercises of chapter 10, "Attention: letting the decoder look back"."""

import numpy as np

from ._core import Exercise, register

# ---------------------------------------------------------------------------------------------------
# Additive attention weights for one query, by hand: (A1) then (A4).


def _additive_weights(query, keys, W_q, W_k, w_a):
    """query (H_dec,), keys (S, H_enc), W_q (A, H_dec), W_k (A, H_enc), w_a (A,) -> alpha (S,)."""
    scores = np.tanh(W_q @ query + keys @ W_k.T) @ w_a  # (A1) e_s: (S,)
    scores = scores - scores.max()  # the same softmax, without overflow
    return np.exp(scores) / np.exp(scores).sum()  # (A4)


def _additive_cases():
    rng = np.random.default_rng(10)
    cases = []
    for S, H_dec, H_enc, A in [(3, 2, 2, 4), (5, 3, 4, 2), (1, 2, 3, 3), (6, 4, 4, 5)]:
        args = (
            rng.standard_normal(H_dec),
            rng.standard_normal((S, H_enc)),
            rng.standard_normal((A, H_dec)),
            rng.standard_normal((A, H_enc)),
            rng.standard_normal(A),
        )
        cases.append((f"S={S}, H_dec={H_dec}, H_enc={H_enc}, A={A}", args))
    return cases


def _no_tanh(query, keys, W_q, W_k, w_a):
    e = (W_q @ query + keys @ W_k.T) @ w_a
    return np.exp(e) / np.exp(e).sum()


def _no_softmax(query, keys, W_q, W_k, w_a):
    return np.tanh(W_q @ query + keys @ W_k.T) @ w_a


def _sum_normalized(query, keys, W_q, W_k, w_a):
    e = np.abs(np.tanh(W_q @ query + keys @ W_k.T) @ w_a)
    return e / e.sum()


register(
    Exercise(
        name="attn-additive-weights",
        reference=_additive_weights,
        cases=_additive_cases,
        wrong_answers=(_no_tanh, _no_softmax, _sum_normalized),
        hint="e_s = w_a . tanh(W_q q + W_k k_s) for every s, then alpha = softmax(e) over the S positions",
    )
)

# ---------------------------------------------------------------------------------------------------
# Masking: dot-product weights over a padded source, (A2) then (A4) with padding at weight 0.


def _masked_dot_weights(query, keys, mask):
    """query (H,), keys (S, H), mask (S,) bool -> alpha (S,), exactly 0 where mask is False."""
    scores = np.where(mask, keys @ query, -np.inf)  # (A2), padding at -inf
    scores = scores - scores[mask].max()
    weights = np.exp(scores)  # exp(-inf) = 0
    return weights / weights.sum()  # (A4)


def _masked_cases():
    rng = np.random.default_rng(11)
    cases = []
    for S, H, n_real in [(4, 3, 2), (5, 2, 5), (3, 4, 1), (6, 3, 4)]:
        mask = np.arange(S) < n_real
        keys = rng.standard_normal((S, H))
        keys[~mask] = 3.0  # padding with large values: a wrong mask shows
        cases.append((f"S={S}, H={H}, {n_real} real positions", (rng.standard_normal(H), keys, mask)))
    return cases


def _zero_after_softmax(query, keys, mask):
    e = keys @ query
    w = np.exp(e - e.max()) / np.exp(e - e.max()).sum()
    return np.where(mask, w, 0.0)  # not renormalized


def _zero_score(query, keys, mask):
    e = np.where(mask, keys @ query, 0.0)  # a score of 0 still gets weight exp(0)
    return np.exp(e) / np.exp(e).sum()


def _ignore_mask(query, keys, mask):
    e = keys @ query
    return np.exp(e - e.max()) / np.exp(e - e.max()).sum()


register(
    Exercise(
        name="attn-masked-weights",
        reference=_masked_dot_weights,
        cases=_masked_cases,
        wrong_answers=(_zero_after_softmax, _zero_score, _ignore_mask),
        hint="set the padded scores to -inf before the softmax, so that they get weight exactly 0 "
        "and the real weights still sum to 1",
    )
)
