"""Handwritten digits: scikit-learn's 1,797 images of 8x8 pixels, as sequences and with captions.

What: the test part of the UCI "Optical Recognition of Handwritten Digits" set (Alpaydin & Kaynak
1998): 1,797 digits 0-9 written by 13 people, downsampled to 8x8 with 17 grey levels (0-16).
Where from: ``sklearn/datasets/data/digits.csv.gz``, shipped inside scikit-learn (read directly, so
scikit-learn is not even imported). Licence: scikit-learn is BSD-3-Clause; the UCI data are CC BY 4.0.
Why: the smallest real image set that ships with a package; read row by row it is a sequence of 8
steps of 8 features, so a sequence-to-vector LSTM classifies it in seconds. For the vector-to-sequence
(image -> caption) chapter, ``digit_captions`` builds captioned images from it: one or more real digit
images side by side, captioned with the number they show in English words (``num2words``, LGPL-2.1).
``digit_pool`` gives the source digits of each side of that split, with their labels, for a per-digit
classifier (the captioning chapter's baseline).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ._files import package_file
from .batching import split_indices

__all__ = ["load_digits", "digit_sequences", "digit_pool", "digit_captions", "number_words"]


@cache
def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 digits.

    Returns:
        images: (N, 8, 8) float32 in [0, 1] (grey level / 16).
        labels: (N,) int64 in 0..9.
    """
    raw = np.loadtxt(package_file("sklearn", "datasets", "data", "digits.csv.gz"), delimiter=",")
    images = (raw[:, :64] / 16.0).astype(np.float32).reshape(-1, 8, 8)
    labels = raw[:, 64].astype(np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def digit_sequences(fractions=(0.8, 0.1, 0.1), seed: int = 0):
    """The digits as time-first sequences, one image row per step, split by ``seed``.

    Returns:
        a tuple of ``(x, y)`` per fraction: x (8, N_part, 8) float32 (T = rows, D = columns), y (N_part,).
    """
    images, labels = load_digits()
    x = np.ascontiguousarray(images.transpose(1, 0, 2))  # (T=8, N, D=8)
    return tuple((x[:, idx], labels[idx]) for idx in split_indices(len(labels), fractions, seed))


def digit_pool(subset: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """The source digits that ``digit_captions(..., subset=subset)`` draws from (80 % / 20 %, seed 0).

    Returns:
        images: (N, 8, 8) float32 in [0, 1]; labels: (N,) int64. 1,438 digits for ``"train"``, 359 for
        ``"test"``; the two never share an image.
    """
    if subset not in ("train", "test"):
        raise ValueError(f"subset must be 'train' or 'test'; got {subset!r}")
    images, labels = load_digits()
    pool = split_indices(len(labels), (0.8, 0.2), seed=0)[0 if subset == "train" else 1]
    return images[pool], labels[pool]


def number_words(number: int) -> str:
    """English words of a non-negative integer, lower case, hyphens as spaces: 42 -> ``"forty two"``."""
    from num2words import num2words

    return num2words(int(number), lang="en").replace("-", " ").replace(",", "")


def digit_captions(n: int, *, n_digits: int = 2, subset: str = "train", seed: int = 0):
    """Images of ``n_digits`` real digits side by side, captioned with the number in English words.

    The source digits are split once (80 % / 20 %, seed 0) so that ``subset="train"`` and
    ``subset="test"`` never share a source image. The first digit is never 0 when ``n_digits > 1``
    (no leading zeros), so every number in [10**(k-1), 10**k) is possible.

    Args:
        n: number of captioned images.
        n_digits: digits per image, 1 to 4.
        subset: ``"train"`` or ``"test"``.
        seed: seed of the sampling.

    Returns:
        images: (n, 8, 8 * n_digits) float32 in [0, 1].
        numbers: (n,) int64, the number shown.
        captions: list of n strings, e.g. ``"forty two"``.
    """
    if not 1 <= n_digits <= 4:
        raise ValueError(f"n_digits must be in 1..4; got {n_digits}")
    if subset not in ("train", "test"):
        raise ValueError(f"subset must be 'train' or 'test'; got {subset!r}")
    images, labels = load_digits()
    pool = split_indices(len(labels), (0.8, 0.2), seed=0)[0 if subset == "train" else 1]
    by_digit = [pool[labels[pool] == d] for d in range(10)]
    rng = np.random.default_rng(seed)
    out = np.empty((n, 8, 8 * n_digits), dtype=np.float32)
    numbers = np.zeros(n, dtype=np.int64)
    for i in range(n):
        for k in range(n_digits):
            digit = rng.integers(1 if (k == 0 and n_digits > 1) else 0, 10)
            out[i, :, 8 * k : 8 * (k + 1)] = images[rng.choice(by_digit[digit])]
            numbers[i] = 10 * numbers[i] + digit
    return out, numbers, [number_words(v) for v in numbers]
