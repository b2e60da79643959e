"""Exercises of chapter 4, "The architectures" (files 04, 04b, 04c, 04d)."""

import numpy as np

from ..data.vocab import PAD_ID
from ._core import Exercise, register

# ---------------------------------------------------------------------------------------------------
# 04: sequence -> vector. The hidden state at each sequence's own last step, from padded outputs.


def _last_states(output, lengths):
    """output (T, B, H), lengths (B,) -> (B, H): output[lengths[b] - 1, b] for each b."""
    return output[np.asarray(lengths) - 1, np.arange(output.shape[1])]


def _last_states_cases():
    rng = np.random.default_rng(4)
    cases = []
    for T, B, H, lengths in [(5, 3, 2, [5, 2, 3]), (4, 1, 3, [1]), (6, 4, 1, [6, 6, 1, 4]), (3, 2, 4, [3, 3])]:
        cases.append((f"T={T}, B={B}, H={H}, lengths={lengths}", (rng.standard_normal((T, B, H)), np.array(lengths))))
    return cases


register(
    Exercise(
        name="arch-last-states",
        reference=_last_states,
        cases=_last_states_cases,
        wrong_answers=(
            lambda output, lengths: output[-1],  # reads the padding
            lambda output, lengths: output[
                np.minimum(np.asarray(lengths), output.shape[0] - 1), np.arange(output.shape[1])
            ],  # off by one
            lambda output, lengths: output[np.asarray(lengths) - 1].mean(1),
        ),  # mixes the batch
        hint="sequence b ends at step lengths[b] - 1 (counting from 0); index time and batch together",
    )
)


# ---------------------------------------------------------------------------------------------------
# 04b: vector -> sequence. Teacher forcing: decoder inputs and targets from a padded caption batch.


def _teacher_forcing(tokens):
    """tokens (T, B) = <bos> caption <eos> <pad>... -> (inputs (T-1, B), targets (T-1, B))."""
    return tokens[:-1], tokens[1:]


def _teacher_forcing_cases():
    return [
        ("one caption", (np.array([[1], [7], [9], [2]]),)),
        ("two captions, padded", (np.array([[1, 1], [5, 8], [2, 6], [0, 2]]),)),
        ("three captions", (np.array([[1, 1, 1], [4, 4, 5], [6, 2, 7], [2, 0, 8], [0, 0, 2]]),)),
    ]


register(
    Exercise(
        name="arch-teacher-forcing",
        reference=_teacher_forcing,
        cases=_teacher_forcing_cases,
        wrong_answers=(
            lambda tokens: (tokens, tokens),  # predicts the token it is given
            lambda tokens: (tokens[1:], tokens[:-1]),  # shifted the wrong way
            lambda tokens: (tokens[:-1], tokens[:-1]),
        ),
        hint="at step t the decoder reads token t and must predict token t + 1",
    )
)


# ---------------------------------------------------------------------------------------------------
# 04c: sequence -> sequence. Accuracy over real steps only, ignoring the padding.


def _masked_accuracy(predictions, targets, pad_id=PAD_ID):
    """Fraction of non-pad target steps where predictions (T, B) equal targets (T, B)."""
    mask = targets != pad_id
    return float((predictions[mask] == targets[mask]).mean())


def _masked_accuracy_cases():
    rng = np.random.default_rng(40)
    cases = [("no padding", (np.array([[4, 5], [6, 6]]), np.array([[4, 5], [7, 6]])))]
    for T, B in [(6, 3), (10, 5), (3, 4)]:
        targets = rng.integers(4, 9, size=(T, B))
        lengths = rng.integers(1, T + 1, size=B)
        targets[np.arange(T)[:, None] >= lengths[None, :]] = 0
        predictions = np.where(rng.random((T, B)) < 0.5, targets, rng.integers(0, 9, size=(T, B)))
        predictions[targets == 0] = 0  # a model often predicts pad on pads
        cases.append((f"T={T}, B={B}, padded to lengths {lengths.tolist()}", (predictions, targets)))
    return cases


register(
    Exercise(
        name="arch-masked-accuracy",
        reference=_masked_accuracy,
        cases=_masked_accuracy_cases,
        wrong_answers=(
            lambda p, t, pad_id=PAD_ID: float((p == t).mean()),  # pads count as right
            lambda p, t, pad_id=PAD_ID: float((p == t).all(0).mean()),
        ),  # whole sequences
        hint="build a mask of the real steps (targets != pad_id) and average only there",
    )
)


# ---------------------------------------------------------------------------------------------------
# 04d: encoder-decoder. One step of beam search.


def _beam_step(scores, log_probs, beam_size):
    """scores (k,) summed log-probs of the k beams, log_probs (k, V) of the next token.
    Returns (beam (n,), token (n,), new_score (n,)) of the n = beam_size best extensions, best first."""
    total = scores[:, None] + log_probs  # (k, V)
    flat = np.argsort(-total, axis=None, kind="stable")[:beam_size]
    beam, token = np.divmod(flat, log_probs.shape[1])
    return beam, token, total[beam, token]


def _beam_step_cases():
    rng = np.random.default_rng(400)
    cases = []
    for k, V, n in [(1, 5, 3), (3, 6, 3), (2, 4, 4), (4, 7, 2)]:
        logits = rng.standard_normal((k, V)) * 2
        log_probs = logits - np.log(np.exp(logits).sum(1, keepdims=True))
        scores = -rng.random(k) * 3
        cases.append((f"{k} beams, V={V}, beam_size={n}", (scores, log_probs, n)))
    return cases


def _per_beam_best(scores, log_probs, beam_size):  # extends each beam by its own best token only
    token = log_probs.argmax(1)
    total = scores + log_probs[np.arange(len(scores)), token]
    order = np.argsort(-total, kind="stable")[:beam_size]
    return order, token[order], total[order]


def _forget_history(scores, log_probs, beam_size):  # ranks by the last token's probability alone
    flat = np.argsort(-log_probs, axis=None, kind="stable")[:beam_size]
    beam, token = np.divmod(flat, log_probs.shape[1])
    return beam, token, scores[beam] + log_probs[beam, token]


register(
    Exercise(
        name="arch-beam-step",
        reference=_beam_step,
        cases=_beam_step_cases,
        wrong_answers=(_per_beam_best, _forget_history),
        hint="add each beam's score to its row of log-probabilities, then take the best beam_size of all k*V",
    )
)
