"""Losses over token sequences: cross-entropy that skips padding, and over a long held-out stream.

Shapes are time-first: logits (T, B, V), targets (T, B) int64. Losses are in nats per token.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..data.vocab import PAD_ID
from .masking import State

__all__ = ["sequence_loss", "stream_loss"]


def sequence_loss(logits: torch.Tensor, targets: torch.Tensor, pad_id: int = PAD_ID) -> torch.Tensor:
    """Mean cross-entropy over the non-pad target tokens.

    Args:
        logits: (T, B, V); targets: (T, B) int64, ``pad_id`` where there is no target.
    """
    if logits.dim() != 3 or logits.shape[:2] != targets.shape:
        raise ValueError(
            f"logits must have shape (T, B, V) with (T, B) = targets' {tuple(targets.shape)}; got {tuple(logits.shape)}"
        )
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=pad_id)


@torch.no_grad()
def stream_loss(
    model: Callable[[torch.Tensor, State], tuple[torch.Tensor, State]],
    stream: np.ndarray | torch.Tensor,
    streams: int = 10,
    device: torch.device | str | None = None,
) -> float:
    """Held-out cross-entropy (nats/token) of a language model over one long token stream.

    The stream is cut into ``streams`` equal pieces (the remainder dropped), read in parallel as the
    columns of a (L, streams) batch: the model predicts tokens 1..L-1 of each piece from those before
    it, from a zero state. A model is anything called as ``model(tokens (T, B), state) -> (logits
    (T, B, V), state)``, such as ``lstmlib.torch.models.CharLM``.

    Args:
        stream: (N,) token ids (NumPy or torch); N >= 2 * streams.
        device: where to put the tokens (default: the model's device, or CPU).
    """
    stream = torch.as_tensor(stream)
    if stream.dim() != 1 or stream.is_floating_point():
        raise ValueError(f"stream must be a 1-D sequence of token ids (N,); got {tuple(stream.shape)} {stream.dtype}")
    length = len(stream) // streams
    if streams < 1 or length < 2:
        raise ValueError(f"stream of {len(stream)} tokens is too short for {streams} pieces of at least 2 tokens")
    if device is None:
        params = getattr(model, "parameters", None)
        device = next(params()).device if params is not None else "cpu"
    x = stream[: streams * length].reshape(streams, length).T.contiguous().to(device)  # (L, streams)
    logits, _ = model(x[:-1], None)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[1:].reshape(-1)).item()
