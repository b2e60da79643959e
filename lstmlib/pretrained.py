"""Pretrained models shipped with the course, loaded from ``lstmlib/data/checkpoints/``.

- ``charlm_hamlet``: chapter 8's character-level language model of *Hamlet*, a two-layer LSTM
  (``lstmlib.torch.models.CharLM``, H = 256 per layer, dropout 0.25) trained on the training part of
  ``lstmlib.data.text.hamlet_split()`` by ``scripts/train_charlm.py``; its training log is
  ``charlm_hamlet.log.jsonl`` beside it. The test part of the split was never read in training.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["CHECKPOINTS", "charlm_hamlet"]

CHECKPOINTS = Path(__file__).resolve().parent / "data" / "checkpoints"


def charlm_hamlet(device=None):
    """Chapter 8's trained ``CharLM`` of *Hamlet*, in evaluation mode, and the checkpoint's metadata.

    The metadata holds the training step kept (``step``, the best on the development text), its
    development bits per character (``dev_bpc``), the settings of the run and the vocabulary
    (``itos``), which is checked against ``hamlet_split().vocab``.

    Returns:
        (model, meta): the ``CharLM`` on ``device`` (default CPU) and a dict.

    Raises:
        FileNotFoundError: the checkpoint is missing (make it with ``make checkpoint``).
        ValueError: the checkpoint's vocabulary is not the one of ``hamlet_split()``.
    """
    from .data.text import hamlet_split
    from .torch.models import CharLM
    from .training import load_checkpoint

    path = CHECKPOINTS / "charlm_hamlet.pt"
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}; make it with `make checkpoint` (scripts/train_charlm.py)")
    model, meta = load_checkpoint(path, CharLM, device=device)
    expected = hamlet_split().vocab.itos
    if list(meta.get("itos", [])) != list(expected):
        raise ValueError(
            f"the checkpoint's vocabulary ({len(meta.get('itos', []))} tokens) is not hamlet_split()'s "
            f"({len(expected)} tokens): retrain it with scripts/train_charlm.py"
        )
    model.eval()
    return model, meta
