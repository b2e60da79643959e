"""Input checks shared by every module: clear errors naming what was expected and what came."""

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def as_float_array(name, x, dtype=None, ndim=None, finite=True):
    """Return ``x`` as a floating NumPy array after checking its type, rank and values.

    Args:
        name: how the error message calls the array (``"x"``).
        x: array-like (NumPy array, torch tensor on the CPU, nested lists).
        dtype: required dtype (np.float32 or np.float64); None accepts either.
        ndim: required number of dimensions, or None.
        finite: when True, NaN or inf raise ValueError.
    Raises:
        TypeError: not a float32/float64 array (integers, booleans, objects), or the wrong float dtype.
        ValueError: wrong rank, or non-finite values.
    """
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor
        x = x.detach().cpu().numpy()
    x = np.asarray(x)
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be a float32 or float64 array; got dtype {x.dtype}")
    if dtype is not None and x.dtype != dtype:
        raise TypeError(f"{name} must have dtype {np.dtype(dtype).name} (the model's dtype); got {x.dtype}")
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions; got {x.ndim} with shape {x.shape}")
    if finite and not np.isfinite(x).all():
        bad = int(x.size - np.count_nonzero(np.isfinite(x)))
        raise ValueError(f"{name} must be finite; got {bad} NaN or inf value(s)")
    return x


def check_shape(name, x, expected, letters=None):
    """Raise ValueError unless ``x.shape`` matches ``expected`` (None matches any size).

    ``letters`` optionally names the wildcard entries in the message, e.g. ``("T", "B", None)``.
    """
    ok = len(x.shape) == len(expected) and all(e is None or e == s for e, s in zip(expected, x.shape))
    if not ok:
        shown = (
            expected if letters is None else tuple((letter if e is None else e) for e, letter in zip(expected, letters))
        )
        text = "(" + ", ".join(str(s) for s in shown) + ("," if len(shown) == 1 else "") + ")"
        raise ValueError(f"{name} must have shape {text}; got {tuple(x.shape)}")
    return x


def as_index_array(name, idx, num_classes):
    """Return ``idx`` as an integer array with every entry in [0, num_classes)."""
    if hasattr(idx, "detach") and hasattr(idx, "cpu"):
        idx = idx.detach().cpu().numpy()
    idx = np.asarray(idx)
    if not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"{name} must be an integer array; got dtype {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise ValueError(f"{name} must hold indices in [0, {num_classes}); got values in [{idx.min()}, {idx.max()}]")
    return idx
