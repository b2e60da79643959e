"""Input checks shared by every module: clear errors naming what was expected and what came."""

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)
Array = np.ndarray  # the type of the public functions' array arguments and results


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


def check_dtype_argument(dtype) -> np.dtype:
    """The ``dtype=`` of a layer: float32 or float64, else TypeError naming what came."""
    try:
        dt = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"dtype must be np.float32 or np.float64; got {dtype!r}") from err
    if dt not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be np.float32 or np.float64; got {dt}")
    return dt


def check_size_argument(name, value):
    """A layer size (input_size, hidden_size, ...): an int > 0, else TypeError/ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero (a positive integer); got {value}")
    return int(value)


def check_recurrent_args(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh, gates, weight_hr=None, sequence=False):
    """Check the arguments of a step (x (B, D)) or sequence (x (T, B, D)) function: ndarrays, one float
    dtype, shapes consistent with W_ih (G·H, D), W_hh (G·H, R), h (B, R), c (B, H), biases (G·H,),
    W_hr (R, H) (R = H without a projection). Raises TypeError / ValueError naming expected and got."""
    names = ("x", "h0" if sequence else "h_prev", "c0" if sequence else "c_prev")
    arrays = {names[0]: x, names[1]: h, "weight_ih": weight_ih, "weight_hh": weight_hh}
    if c is not None:
        arrays[names[2]] = c
    for name, value in (("bias_ih", bias_ih), ("bias_hh", bias_hh), ("weight_hr", weight_hr)):
        if value is not None:
            arrays[name] = value
    for name, value in arrays.items():
        if not isinstance(value, np.ndarray) or value.dtype not in FLOAT_DTYPES:
            got = f"dtype {value.dtype}" if isinstance(value, np.ndarray) else type(value).__name__
            raise TypeError(f"{name} must be a float32 or float64 NumPy array; got {got}")
        if value.dtype != x.dtype:
            raise TypeError(f"{name} must have x's dtype {x.dtype.name}; got {value.dtype}")
    x_dims = "(T, B, D)" if sequence else "(B, D)"
    if x.ndim != (3 if sequence else 2):
        raise ValueError(f"x must have shape {x_dims}; got {x.ndim} dimensions {x.shape}")
    if weight_hh.ndim != 2 or weight_hh.shape[0] % gates:
        raise ValueError(f"weight_hh must have shape ({gates}·H, H); got {weight_hh.shape}")
    H = weight_hh.shape[0] // gates
    R = H if weight_hr is None else weight_hr.shape[0]
    B, D = x.shape[-2], x.shape[-1]
    if weight_hr is not None:
        check_shape("weight_hr", weight_hr, (R, H))
    check_shape("weight_hh", weight_hh, (gates * H, R))
    check_shape("weight_ih", weight_ih, (gates * H, D))
    for name, value in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
        if value is not None:
            check_shape(name, value, (gates * H,))
    if h.shape != (B, R):
        raise ValueError(f"{names[1]} must have shape (B, H) = {(B, R)}; got {h.shape}")
    if c is not None and c.shape != (B, H):
        raise ValueError(f"{names[2]} must have shape (B, H) = {(B, H)}; got {c.shape}")
