"""Decoding: turning a model's next-token distributions into token sequences.

Every function here drives a *step*: a callable ``step(tokens (1, B), state) -> (logits (1, B, V), state)``
that reads one token per sequence and returns the distribution over the next (a ``CharLM`` is one; so is
a decoder with its conditioning bound in). Each chosen token is fed back in as the next input.

- ``generate``: from ``<bos>`` until ``<eos>``, greedy (``temperature=0``) or sampled; ``greedy_decode``
  is its greedy case.
- ``sample``: continue a prompt for a fixed number of tokens, sampling from softmax(logits / temperature)
  (no ``<bos>``/``<eos>``: for language models of a stream of characters).
- ``beam_search``: keep the ``beam_size`` likeliest partial sequences at each step (one sequence at a time).

Token ids 0, 1, 2 are ``<pad>``, ``<bos>``, ``<eos>`` (``lstmlib.data.vocab``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from ..data.vocab import BOS_ID, EOS_ID, PAD_ID
from .masking import State, map_state

__all__ = ["Step", "generate", "greedy_decode", "sample", "beam_search"]

Step = Callable[[torch.Tensor, State], tuple[torch.Tensor, State]]
"""``step(tokens (1, B) int64, state) -> (logits (1, B, V), state)``."""


@torch.no_grad()
def generate(
    step: Step,
    state: State,
    batch_size: int,
    max_len: int = 20,
    temperature: float = 0.0,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Feed each step's chosen token back in, from ``<bos>``, for ``max_len`` steps or until every
    sequence has produced ``<eos>``.

    The token is the most likely one (``temperature=0``, greedy) or drawn from
    softmax(logits / temperature) with ``generator`` (for repeatable draws). Returns (T', B) int64 ids,
    T' <= max_len, with ``<eos>`` included and ``<pad>`` after it.
    """
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0 (0 = greedy); got {temperature}")
    if max_len < 1 or batch_size < 1:
        raise ValueError(f"max_len and batch_size must be >= 1; got max_len={max_len}, batch_size={batch_size}")
    token = torch.full((1, batch_size), BOS_ID, dtype=torch.long, device=device)
    done = torch.zeros(batch_size, dtype=torch.bool, device=device)
    out = []
    for _ in range(max_len):
        logits, state = step(token, state)  # (1, B, V)
        logits = logits[0]
        if temperature == 0:
            token = logits.argmax(-1)
        else:
            probs = F.softmax(logits / temperature, dim=-1)
            token = torch.multinomial(probs, 1, generator=generator)[:, 0]
        token = token.masked_fill(done, PAD_ID)
        out.append(token)
        done = done | (token == EOS_ID)
        token = token[None]
        if bool(done.all()):
            break
    return torch.stack(out)  # (T', B)


def greedy_decode(
    step: Step, state: State, batch_size: int, max_len: int = 30, device: torch.device | str | None = None
) -> torch.Tensor:
    """The most likely token at each step, fed back in: ``generate`` with ``temperature=0``."""
    return generate(step, state, batch_size, max_len, 0.0, None, device)


@torch.no_grad()
def sample(
    step: Step,
    prompt: torch.Tensor,
    length: int,
    temperature: float | torch.Tensor = 1.0,
    generator: torch.Generator | None = None,
    exclude: Sequence[int] = (),
    state: State = None,
) -> torch.Tensor:
    """Continue ``prompt`` (T, B) token ids by ``length`` tokens, each drawn from softmax(logits / τ).

    Args:
        step: e.g. a ``CharLM``; it reads the whole prompt first (one call), then one token at a time.
        temperature: τ > 0, one for all, or a (B,) tensor: one per sequence. Small τ sharpens the
            distribution towards the likeliest token, large τ flattens it towards uniform.
        generator: the ``torch.Generator`` of the draws (repeatable samples); the probabilities are
            moved to its device for the draw.
        exclude: token ids never drawn (their probability set to 0), e.g. the special tokens.
        state: the state before the prompt (default zeros).

    Returns:
        (length, B) int64: the drawn tokens (without the prompt).
    """
    if prompt.dim() != 2 or prompt.numel() == 0:
        raise ValueError(f"prompt must be a non-empty (T, B) tensor of token ids; got shape {tuple(prompt.shape)}")
    tau = torch.as_tensor(temperature, dtype=torch.float32, device=prompt.device)
    if tau.dim() > 1 or (tau.dim() == 1 and tau.shape[0] != prompt.shape[1]):
        raise ValueError(f"temperature must be a float or a ({prompt.shape[1]},) tensor; got {tuple(tau.shape)}")
    if bool((tau <= 0).any()):
        raise ValueError(f"temperature must be > 0 (for greedy choices use generate); got {temperature}")
    if tau.dim() == 1:
        tau = tau[:, None]  # (B, 1): one per sequence
    logits, state = step(prompt, state)  # read the prompt: (T, B, V)
    logits = logits[-1]  # (B, V): the distribution of the first new token
    chosen = []
    for _ in range(length):
        probs = F.softmax(logits / tau, dim=-1)
        if exclude:
            probs[:, list(exclude)] = 0
        if generator is not None:
            probs = probs.to(generator.device)
        token = torch.multinomial(probs, 1, generator=generator).to(prompt.device)  # (B, 1)
        chosen.append(token[:, 0])
        logits, state = step(token.T, state)  # one step: (1, B, V)
        logits = logits[0]
    return torch.stack(chosen) if chosen else prompt.new_zeros((0, prompt.shape[1]))


@torch.no_grad()
def beam_search(
    step: Step,
    state: State,
    beam_size: int = 4,
    max_len: int = 30,
    length_penalty: float = 0.0,
    device: torch.device | str | None = None,
) -> list[int]:
    """Keep the ``beam_size`` most likely partial sequences at each step; return the best finished one.

    ``state`` is one sequence's state (batch of 1); ``step`` is called on a batch of the k <= beam_size
    open hypotheses, their states stacked along the batch axis. A hypothesis is scored by its summed
    log-probability divided by len ** ``length_penalty`` (0 = no normalization). With ``beam_size=1``
    this is greedy decoding. Returns the token ids, ``<eos>`` included when one was produced within
    ``max_len`` (else the best open hypothesis).
    """
    if beam_size < 1:
        raise ValueError(f"beam_size must be >= 1; got {beam_size}")
    beams = [(0.0, [])]  # (summed log-probability, tokens so far); states kept batched alongside
    finished = []
    for _ in range(max_len):
        tokens = torch.tensor([[t[-1] if t else BOS_ID for _, t in beams]], device=device)  # (1, k)
        logits, new_state = step(tokens, state)
        logp = F.log_softmax(logits[0], dim=-1)  # (k, V)
        total = torch.tensor([s for s, _ in beams], device=device)[:, None] + logp
        top = total.flatten().topk(min(beam_size, total.numel()))
        keep, V = [], logp.shape[1]
        for score, flat in zip(top.values.tolist(), top.indices.tolist()):
            src_beam, token = divmod(flat, V)
            hyp = beams[src_beam][1] + [token]
            if token == EOS_ID:
                finished.append((score / len(hyp) ** length_penalty, hyp))
            else:
                keep.append((score, hyp, src_beam))
        if len(finished) >= beam_size or not keep:
            break
        index = torch.tensor([k[2] for k in keep], device=device)
        state = map_state(lambda s, index=index: s.index_select(1, index), new_state)
        beams = [(s, h) for s, h, _ in keep]
    if not finished:  # nothing ended within max_len: the best open hypothesis
        finished = [(s / len(h) ** length_penalty, h) for s, h in beams]
    return max(finished, key=lambda f: f[0])[1]
