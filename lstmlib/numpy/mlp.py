"""A multilayer perceptron: affine layers with a nonlinearity between them.

    a_0 = x,  a_k = φ(a_{k-1} W_kᵀ + b_k) for hidden layers,  output = a_{L-1} W_Lᵀ + b_L

The output layer is linear: logits for classification (with ``cross_entropy_loss``) or values for
regression (with ``mse_loss``). Parameters are named like a ``torch.nn.Sequential`` of
``Linear`` and activation modules ("0.weight", "0.bias", "2.weight", ...), so its state_dict loads
into the NumPy MLP unchanged.
"""

from __future__ import annotations

import numpy as np

from .. import seeding
from . import activations
from ._validate import Array, as_float_array, check_dtype_argument, check_shape
from .layers import affine_backward, affine_forward, load_into

_ACTIVATIONS = {
    "relu": (activations.relu, lambda dout, z, a: activations.relu_backward(dout, z)),
    "tanh": (activations.tanh, lambda dout, z, a: activations.tanh_backward(dout, a)),
    "sigmoid": (activations.sigmoid, lambda dout, z, a: activations.sigmoid_backward(dout, a)),
}


class MLP:
    """Fully connected network with ``forward``/``backward``, ``.params`` and ``.grads``.

    Args:
        sizes: layer widths [D, H_1, ..., H_k, C]; at least two entries.
        activation: "relu" (default), "tanh" or "sigmoid", between layers.
        seed: int, ``np.random.Generator`` or None (U(−1/√fan_in, 1/√fan_in) as torch.nn.Linear).
        dtype: np.float64 (default) or np.float32.
    """

    def __init__(self, sizes: list[int], activation: str = "relu", seed=None, dtype=np.float64) -> None:
        sizes = list(sizes)
        if len(sizes) < 2 or any(not isinstance(s, (int, np.integer)) or s < 1 for s in sizes):
            raise ValueError(f"sizes must be at least two positive integers [D, ..., C]; got {sizes}")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}; got {activation!r}")
        dtype = check_dtype_argument(dtype)
        rng = seeding.rng(seed)
        self.sizes, self.activation, self.dtype = sizes, activation, dtype
        self.params = {}
        for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            bound = 1.0 / np.sqrt(fan_in)
            self.params[f"{2 * k}.weight"] = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(dtype)
            self.params[f"{2 * k}.bias"] = rng.uniform(-bound, bound, (fan_out,)).astype(dtype)
        self.grads = {}
        self._caches = None

    @property
    def num_layers(self) -> int:
        return len(self.sizes) - 1

    def forward(self, x: Array) -> Array:
        """x (N, D) -> output (N, C)."""
        x = as_float_array("x", x, dtype=self.dtype, ndim=2)
        check_shape("x", x, (None, self.sizes[0]), letters=("N", None))
        phi = _ACTIVATIONS[self.activation][0]
        caches, a = [], x
        for k in range(self.num_layers):
            z, affine_cache = affine_forward(a, self.params[f"{2 * k}.weight"], self.params[f"{2 * k}.bias"])
            a = z if k == self.num_layers - 1 else phi(z)
            caches.append((affine_cache, z, a))
        self._caches = caches
        return a

    __call__ = forward

    def backward(self, dout: Array) -> Array:
        """dout (N, C) -> dx (N, D); stores every parameter gradient in ``.grads``."""
        if self._caches is None:
            raise ValueError("backward() needs a forward() first; got no cached forward pass")
        dout = as_float_array("dout", dout, dtype=self.dtype)
        check_shape("dout", dout, self._caches[-1][2].shape)
        phi_backward = _ACTIVATIONS[self.activation][1]
        grads, da = {}, dout
        for k in range(self.num_layers - 1, -1, -1):
            affine_cache, z, a = self._caches[k]
            dz = da if k == self.num_layers - 1 else phi_backward(da, z, a)
            da, grads[f"{2 * k}.weight"], grads[f"{2 * k}.bias"] = affine_backward(dz, affine_cache)
        self.grads = {name: grads[name] for name in self.params}
        return da

    def state_dict(self) -> dict[str, Array]:
        return {k: v.copy() for k, v in self.params.items()}

    def load_state_dict(self, state) -> None:
        load_into(self.params, state)
