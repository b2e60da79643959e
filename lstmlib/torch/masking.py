"""Padding: run a recurrent layer over a padded batch so that each sequence's final state is the state
at its own last real step.

A padded batch is time-first, ``x`` (T, B, D), with ``lengths`` (B,): sequence b is ``x[:lengths[b], b]``
and the steps after it are padding (``lstmlib.data.pad_sequences`` builds such batches). The (T, B) mask
of real steps is ``lstmlib.data.mask_from_lengths`` (True where t < lengths[b]).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

__all__ = ["State", "map_state", "run_masked"]

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None
"""A recurrent state: h (L, B, H), or (h, c) for an LSTM; None for zeros."""


def map_state(fn: Callable[[torch.Tensor], torch.Tensor], state: State) -> State:
    """Apply ``fn`` to h (and to c): ``state`` is a tensor, or an (h, c) tuple for an LSTM; None stays None."""
    if state is None:
        return None
    return tuple(fn(s) for s in state) if isinstance(state, tuple) else fn(state)


def run_masked(
    rnn: nn.Module, x: torch.Tensor, lengths: torch.Tensor | None, state: State = None
) -> tuple[torch.Tensor, State]:
    """Run ``rnn`` over padded ``x`` (T, B, D) so that the final state is each sequence's state at its
    own last step: steps past ``lengths[b]`` leave sequence b's state unchanged.

    Returns (output (T, B, H), state); outputs at padded steps are meaningless. With ``lengths`` None
    (or all equal to T) this is ``rnn(x, state)``, one call.
    """
    if lengths is None or bool((lengths == x.shape[0]).all()):
        return rnn(x, state)
    outputs = []
    for t in range(x.shape[0]):
        out, new = rnn(x[t : t + 1], state)
        if state is None:
            state = map_state(torch.zeros_like, new)
        keep = (t < lengths)[None, :, None]  # (1, B, 1): which sequences are still running
        if isinstance(new, tuple):
            state = tuple(torch.where(keep, n, s) for n, s in zip(new, state))
        else:
            state = torch.where(keep, new, state)
        outputs.append(out)
    return torch.cat(outputs), state
