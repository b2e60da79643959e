"""Dense (affine) layer and embedding: function pairs and the classes that hold their parameters.

Weights are shaped as in ``torch.nn``: ``Linear.weight`` is (out_features, in_features), so
state dicts move between the two unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .. import seeding
from ._validate import Array, as_float_array, as_index_array, check_dtype_argument, check_shape, check_size_argument


def affine_forward(x: Array, W: Array, b: Array) -> tuple[Array, tuple]:
    """Affine map of the last axis: y = x Wᵀ + b.

    Args:
        x: (..., D_in) inputs; any leading axes, e.g. (N, D_in) or (T, B, D_in).
        W: (D_out, D_in) weight, as ``torch.nn.Linear.weight``.
        b: (D_out,) bias.
    Returns:
        out: (..., D_out).
        cache: (x, W) for ``affine_backward``.
    """
    out = x @ W.T + b
    return out, (x, W)


def affine_backward(dout: Array, cache: tuple) -> tuple[Array, Array, Array]:
    """Backward of ``affine_forward``.

    dx = dout W,  dW = Σ doutᵀ x (summed over every leading axis),  db = Σ dout.

    Args:
        dout: (..., D_out) upstream gradient.
        cache: from ``affine_forward``.
    Returns:
        dx (..., D_in), dW (D_out, D_in), db (D_out,).
    """
    x, W = cache
    d_out_features, d_in = W.shape
    dout2 = dout.reshape(-1, d_out_features)  # (N, D_out), N = product of leading axes
    dx = dout @ W
    dW = dout2.T @ x.reshape(-1, d_in)
    db = dout2.sum(axis=0)
    return dx, dW, db


def embedding_forward(idx: Array, W: Array) -> tuple[Array, tuple]:
    """Look up rows of an embedding table: out[..., :] = W[idx[...], :].

    Args:
        idx: integer array of any shape (e.g. (T, B)), entries in [0, V).
        W: (V, D) embedding table.
    Returns:
        out: idx.shape + (D,).
        cache: (idx, V) for ``embedding_backward``.
    """
    return W[idx], (idx, W.shape[0])


def embedding_backward(dout: Array, cache: tuple) -> Array:
    """Backward of ``embedding_forward``: dW[v] = Σ of dout over every position where idx == v.

    Args:
        dout: idx.shape + (D,) upstream gradient.
        cache: from ``embedding_forward``.
    Returns:
        dW: (V, D). (The indices get no gradient.)
    """
    idx, vocab_size = cache
    dW = np.zeros((vocab_size, dout.shape[-1]), dtype=dout.dtype)
    np.add.at(dW, idx, dout)  # repeated indices accumulate
    return dW


class Linear:
    """Dense layer y = x Wᵀ + b holding its parameters, like ``torch.nn.Linear``.

    Parameters (in ``.params``, gradients in ``.grads`` after ``backward``): ``weight``
    (out_features, in_features) and ``bias`` (out_features,), initialized U(−1/√in, 1/√in) as in
    PyTorch.

    Args:
        in_features, out_features: sizes D_in and D_out.
        seed: int, ``np.random.Generator`` or None.
        dtype: np.float64 (default, exact gradient checks) or np.float32.
    """

    def __init__(self, in_features: int, out_features: int, seed=None, dtype=np.float64) -> None:
        in_features = check_size_argument("in_features", in_features)
        out_features = check_size_argument("out_features", out_features)
        dtype = check_dtype_argument(dtype)
        rng = seeding.rng(seed)
        bound = 1.0 / np.sqrt(in_features)
        self.in_features, self.out_features, self.dtype = in_features, out_features, dtype
        self.params = {
            "weight": rng.uniform(-bound, bound, (out_features, in_features)).astype(dtype),
            "bias": rng.uniform(-bound, bound, (out_features,)).astype(dtype),
        }
        self.grads = {}
        self._cache = None

    def forward(self, x: Array) -> Array:
        """x (..., in_features) -> (..., out_features)."""
        x = as_float_array("x", x, dtype=self.dtype)
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(f"x must have shape (..., {self.in_features}); got {x.shape}")
        out, self._cache = affine_forward(x, self.params["weight"], self.params["bias"])
        return out

    def backward(self, dout: Array) -> Array:
        """dout (..., out_features) -> dx (..., in_features); stores ``grads['weight']``, ``grads['bias']``."""
        if self._cache is None:
            raise ValueError("backward() needs a forward() first; got no cached forward pass")
        x = self._cache[0]
        dout = as_float_array("dout", dout, dtype=self.dtype)
        check_shape("dout", dout, x.shape[:-1] + (self.out_features,))
        dx, self.grads["weight"], self.grads["bias"] = affine_backward(dout, self._cache)
        return dx

    def state_dict(self) -> dict[str, Array]:
        return {k: v.copy() for k, v in self.params.items()}

    def load_state_dict(self, state) -> None:
        load_into(self.params, state)

    __call__ = forward


class Embedding:
    """Embedding table like ``torch.nn.Embedding``: ``weight`` (V, D), initialized N(0, 1).

    Args:
        num_embeddings: vocabulary size V.
        embedding_dim: D.
        seed, dtype: as for ``Linear``.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, seed=None, dtype=np.float64) -> None:
        num_embeddings = check_size_argument("num_embeddings", num_embeddings)
        embedding_dim = check_size_argument("embedding_dim", embedding_dim)
        dtype = check_dtype_argument(dtype)
        rng = seeding.rng(seed)
        self.num_embeddings, self.embedding_dim, self.dtype = num_embeddings, embedding_dim, dtype
        self.params = {"weight": rng.standard_normal((num_embeddings, embedding_dim)).astype(dtype)}
        self.grads = {}
        self._cache = None

    def forward(self, idx: Array) -> Array:
        """idx (integer, any shape) -> idx.shape + (D,)."""
        idx = as_index_array("idx", idx, self.num_embeddings)
        out, self._cache = embedding_forward(idx, self.params["weight"])
        return out

    def backward(self, dout: Array) -> None:
        """Stores ``grads['weight']`` (V, D); returns None (indices have no gradient)."""
        if self._cache is None:
            raise ValueError("backward() needs a forward() first; got no cached forward pass")
        dout = as_float_array("dout", dout, dtype=self.dtype)
        check_shape("dout", dout, self._cache[0].shape + (self.embedding_dim,))
        self.grads["weight"] = embedding_backward(dout, self._cache)

    def state_dict(self) -> dict[str, Array]:
        return {k: v.copy() for k, v in self.params.items()}

    def load_state_dict(self, state) -> None:
        load_into(self.params, state)

    __call__ = forward


def load_into(params: dict[str, Array], state: Mapping) -> None:
    """Copy ``state`` (NumPy arrays or torch tensors) into ``params`` in place, strictly.

    Missing keys, extra keys and misshapen entries raise ValueError naming them; values are cast to
    each parameter's dtype. Copying in place keeps references held by optimizers valid.
    """
    missing = sorted(set(params) - set(state))
    extra = sorted(set(state) - set(params))
    if missing or extra:
        raise ValueError(f"state_dict keys must be {sorted(params)}; missing {missing}, unexpected {extra}")
    for name, target in params.items():
        value = as_float_array(name, state[name], finite=False)
        if value.shape != target.shape:
            raise ValueError(f"state_dict['{name}'] must have shape {target.shape}; got {value.shape}")
        np.copyto(target, value, casting="unsafe")
