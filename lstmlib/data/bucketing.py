"""Batches of sequences bucketed by length: every batch holds sources of one length.

A padded batch of sources with different lengths must be run one step at a time, so that each
sequence's final state is taken at its own last step (``lstmlib.torch.masking.run_masked``). When all
sources of a batch have the same length there is no padding in them, and the recurrent layer reads the
whole batch in one call, several times faster on a CPU. The targets are still padded per batch.

``LengthBuckets`` yields exactly what ``SequenceBatches`` yields, ``(x (S, B), lengths (B,), y (T, B))``,
so the same ``loss_fn`` trains on either. Each pass shuffles the sequences within each length and the
order of the batches, from ``derive_seed(seed) + pass`` (``lstmlib.seeding``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..seeding import derive_seed
from .batching import pad_sequences
from .vocab import PAD_ID

__all__ = ["LengthBuckets"]


class LengthBuckets:
    """Re-iterable batches of (source, target) token sequences, each batch's sources of one length.

    Args:
        sources: N lists of token ids (each non-empty); targets: N lists of token ids.
        batch_size: at most this many pairs per batch (a length's last batch may be smaller).
        shuffle: reshuffle each pass (within lengths, and the batch order); seed: its seed.
    """

    def __init__(self, sources: Sequence, targets: Sequence, *, batch_size: int, shuffle: bool = True, seed: int = 0):
        if len(sources) == 0 or len(sources) != len(targets):
            raise ValueError(
                f"need as many targets as sources, at least one; got {len(sources)} sources, {len(targets)} targets"
            )
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1; got {batch_size}")
        lengths = np.array([len(s) for s in sources])
        if lengths.min() < 1:
            raise ValueError(f"every source must hold at least one token; source {int(lengths.argmin())} is empty")
        self.sources, self.targets = list(sources), list(targets)
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self.buckets = [np.flatnonzero(lengths == n) for n in np.unique(lengths)]
        self._passes = 0

    def __len__(self) -> int:
        return sum(-(-len(b) // self.batch_size) for b in self.buckets)

    def __iter__(self):
        import torch

        rng = np.random.default_rng(derive_seed(self.seed) + self._passes) if self.shuffle else None
        self._passes += 1
        batches = []
        for bucket in self.buckets:
            order = rng.permutation(bucket) if rng is not None else bucket
            batches += [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        if rng is not None:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        for idx in batches:
            x, lengths = pad_sequences([self.sources[i] for i in idx], PAD_ID)
            y, _ = pad_sequences([self.targets[i] for i in idx], PAD_ID)
            yield torch.as_tensor(x), torch.as_tensor(lengths), torch.as_tensor(y)
