"""Batching: pad variable-length sequences time-first, masks from lengths, seeded splits, batch iterators,
and windows cut from one long token stream (for language models).

Shapes follow the course: a padded batch of token ids is ``(T, B)``; of feature vectors ``(T, B, D)``;
``lengths`` is ``(B,)``; ``mask`` is ``(T, B)`` with True on real steps.
torch is imported only when tensors are asked for, so NumPy-only chapters do not pay for it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..seeding import derive_seed
from .vocab import PAD_ID

if TYPE_CHECKING:  # torch is imported only when tensors are asked for
    import torch

    Stream = np.ndarray | torch.Tensor

__all__ = [
    "pad_sequences",
    "mask_from_lengths",
    "split_indices",
    "Batches",
    "SequenceBatches",
    "random_windows",
    "stream_windows",
]


def pad_sequences(sequences: Sequence, pad_value=PAD_ID, dtype=None):
    """Stack sequences of different lengths into one time-first array, padded at the end.

    Args:
        sequences: B sequences, each of length T_b: lists of ints, or arrays of shape (T_b,) or (T_b, D).
        pad_value: the value of padded steps (``<pad>`` = 0 by default).
        dtype: NumPy dtype of the result (default: int64 for ints, float32 for floats).

    Returns:
        padded: (T, B) or (T, B, D) NumPy array with T = max T_b.
        lengths: (B,) int64.
    """
    if len(sequences) == 0:
        raise ValueError("sequences must hold at least one sequence; got an empty batch")
    arrays = [np.asarray(s) for s in sequences]
    tail = arrays[0].shape[1:]
    for b, a in enumerate(arrays):
        if a.ndim == 0 or a.shape[1:] != tail:
            raise ValueError(f"sequence {b} must have shape (T_b, *{tail}); got {a.shape}")
    lengths = np.array([len(a) for a in arrays], dtype=np.int64)
    if dtype is None:
        kinds = {a.dtype.kind for a in arrays if a.size}
        dtype = np.float32 if "f" in kinds else np.int64
    padded = np.full((int(lengths.max()), len(arrays), *tail), pad_value, dtype=dtype)
    for b, a in enumerate(arrays):
        padded[: len(a), b] = a
    return padded, lengths


def mask_from_lengths(lengths, T: int | None = None):
    """(T, B) boolean mask, True where t < lengths[b]; a tensor for a tensor, else a NumPy array."""
    if _is_tensor(lengths):
        import torch

        T = int(lengths.max()) if T is None else T
        return torch.arange(T, device=lengths.device)[:, None] < lengths[None, :]
    lengths = np.asarray(lengths)
    if lengths.ndim != 1:
        raise ValueError(f"lengths must have shape (B,); got {lengths.shape}")
    T = int(lengths.max()) if T is None else T
    return np.arange(T)[:, None] < lengths[None, :]


def split_indices(n: int, fractions=(0.8, 0.1, 0.1), seed: int = 0) -> tuple[np.ndarray, ...]:
    """Shuffle ``range(n)`` with ``seed`` and cut it into parts of the given fractions (summing to 1).

    Returns one int64 index array per fraction; the last part takes the rounding remainder.
    """
    if abs(sum(fractions) - 1.0) > 1e-9 or min(fractions) < 0:
        raise ValueError(f"fractions must be non-negative and sum to 1; got {fractions}")
    order = np.random.default_rng(seed).permutation(n)
    cuts = np.cumsum([int(round(f * n)) for f in fractions[:-1]])
    return tuple(np.split(order, cuts))


class Batches:
    """Re-iterable mini-batches of arrays that share a batch axis; reshuffled each pass, from a seed.

    Args:
        *arrays: NumPy arrays or tensors with the same batch size along their ``axes``.
        batch_size: examples per batch.
        axes: the batch axis of each array (default 0 for all). Time-first inputs have batch axis 1,
            e.g. ``Batches(x, y, batch_size=32, axes=(1, 0))`` for x (T, N, D), y (N,).
        shuffle: shuffle each pass; pass k uses the permutation of seed ``derive_seed(seed) + k``, so
            runs repeat (and ``LSTMLIB_SEED_SHIFT`` moves them to another order; see ``lstmlib.seeding``).
        drop_last: drop a last, smaller batch.
        to_tensor: yield tensors (``torch.as_tensor``) rather than the arrays' own type.

    Yields:
        tuples of batches, one per array, or the batch itself when one array was given.
    """

    def __init__(
        self,
        *arrays,
        batch_size: int,
        axes=None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
        to_tensor: bool = True,
    ):
        if not arrays:
            raise ValueError("Batches needs at least one array")
        self.axes = tuple(axes) if axes is not None else (0,) * len(arrays)
        if len(self.axes) != len(arrays):
            raise ValueError(f"axes must give one axis per array ({len(arrays)}); got {self.axes}")
        sizes = [a.shape[ax] for a, ax in zip(arrays, self.axes)]
        if len(set(sizes)) != 1:
            raise ValueError(f"arrays must have the same batch size along their axes {self.axes}; got {sizes}")
        if sizes[0] == 0:
            raise ValueError("arrays must hold at least one example; got 0")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1; got {batch_size}")
        if to_tensor:
            import torch

            arrays = [torch.as_tensor(a) for a in arrays]
        self.arrays = list(arrays)
        self.n, self.batch_size, self.shuffle, self.seed, self.drop_last = (
            sizes[0],
            batch_size,
            shuffle,
            seed,
            drop_last,
        )
        self._passes = 0

    def __len__(self) -> int:
        return self.n // self.batch_size if self.drop_last else -(-self.n // self.batch_size)

    def __iter__(self):
        if self.shuffle:
            order = np.random.default_rng(derive_seed(self.seed) + self._passes).permutation(self.n)
        else:
            order = np.arange(self.n)
        self._passes += 1
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            idx = order[start : start + self.batch_size]
            out = tuple(_take(a, idx, ax) for a, ax in zip(self.arrays, self.axes))
            yield out if len(out) > 1 else out[0]


def _is_tensor(x) -> bool:
    return "torch" in sys.modules and isinstance(x, sys.modules["torch"].Tensor)


def _take(array, idx: np.ndarray, axis: int):
    if _is_tensor(array):
        import torch

        return array.index_select(axis, torch.as_tensor(idx, device=array.device))
    return np.take(array, idx, axis=axis)


class SequenceBatches:
    """Re-iterable batches of variable-length token sequences with their targets, padded per batch.

    Args:
        sequences: N lists of token ids (or arrays (T_n,) / (T_n, D)).
        targets: N targets (array of shape (N, ...)), or a list of N target sequences (padded too).
        batch_size, shuffle, seed, drop_last: as in ``Batches``.
        pad_value: value of padded steps in inputs and in target sequences (0 = ``<pad>``).

    Yields:
        (x, lengths, y): x (T, B) int64 tensor (or (T, B, D) float32); lengths (B,) int64 tensor;
        y a (B, ...) tensor, or a (T_y, B) tensor when targets are sequences.
    """

    def __init__(
        self,
        sequences: Sequence,
        targets,
        *,
        batch_size: int,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
        pad_value=PAD_ID,
    ):
        if len(sequences) == 0:
            raise ValueError("sequences must hold at least one sequence; got an empty data set")
        if len(sequences) != len(targets):
            raise ValueError(f"targets must have {len(sequences)} entries, one per sequence; got {len(targets)}")
        self.sequences, self.pad_value = list(sequences), pad_value
        self.targets_are_sequences = (
            isinstance(targets, (list, tuple)) and len(targets) > 0 and np.ndim(targets[0]) >= 1
        )
        self.targets = list(targets) if self.targets_are_sequences else np.asarray(targets)
        self._index = Batches(
            np.arange(len(sequences)),
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            drop_last=drop_last,
            to_tensor=False,
        )

    def __len__(self) -> int:
        return len(self._index)

    def __iter__(self):
        import torch

        for idx in self._index:
            x, lengths = pad_sequences([self.sequences[i] for i in idx], self.pad_value)
            if self.targets_are_sequences:
                y, _ = pad_sequences([self.targets[i] for i in idx], self.pad_value)
            else:
                y = self.targets[idx]
            yield torch.as_tensor(x), torch.as_tensor(lengths), torch.as_tensor(y)


# ----------------------------------------------------------------------------------------------------
# A long token stream (a text as character ids): windows of inputs and next-token targets.


def _check_stream(stream: Stream, length: int) -> None:
    if getattr(stream, "ndim", None) != 1:
        raise ValueError(f"stream must be a 1-D array or tensor of token ids (N,); got {type(stream).__name__}")
    if length < 1:
        raise ValueError(f"length must be >= 1; got {length}")
    if len(stream) < length + 2:
        raise ValueError(f"stream must hold at least length + 2 = {length + 2} tokens; got {len(stream)}")


def random_windows(stream: Stream, length: int, batch_size: int, rng: np.random.Generator) -> tuple[Stream, Stream]:
    """A batch of ``batch_size`` windows of ``length`` + 1 tokens, each starting at a random place.

    The starts are ``rng.integers(0, N - length - 1, batch_size)`` (one call: the batches of a run are
    repeatable from the generator's seed), so a window may start anywhere but the last ``length`` + 1
    tokens. Inputs are a window's first ``length`` tokens; targets are the same shifted by one.

    Args:
        stream: (N,) token ids, a NumPy array or a tensor (the windows are then on its device).
        rng: a NumPy generator, e.g. ``lstmlib.training.set_seed(seed)`` or ``lstmlib.seeding.rng(seed)``.

    Returns:
        (inputs, targets), each (length, batch_size), of the stream's type.
    """
    _check_stream(stream, length)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}")
    starts = rng.integers(0, len(stream) - length - 1, batch_size)
    index = starts[None, :] + np.arange(length + 1)[:, None]  # (length + 1, B)
    if _is_tensor(stream):
        import torch

        index = torch.from_numpy(index).to(stream.device)
    window = stream[index]
    return window[:-1], window[1:]


def stream_windows(stream: Stream, length: int) -> tuple[Stream, Stream]:
    """The stream cut into consecutive windows of ``length`` tokens, time-first, with next-token targets.

    Window k holds tokens ``k*length .. (k+1)*length - 1``; the last incomplete window is dropped.
    Returns (inputs, targets), each (length, N_windows): batch them with ``Batches(x, y, axes=(1, 1))``.
    """
    _check_stream(stream, length)
    n = (len(stream) - 1) // length
    return stream[: n * length].reshape(n, length).T, stream[1 : n * length + 1].reshape(n, length).T
