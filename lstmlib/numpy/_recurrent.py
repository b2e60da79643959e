"""What RNN, LSTM and GRU share: parameters, state_dict, input checks, and the multi-layer
forward/backward over a cell's whole-sequence functions.

A subclass sets ``gate_count`` (1, 3 or 4), ``has_cell`` (True for the LSTM) and implements
``_layer_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh) -> (h (T, B, H), c_T or None, cache)`` and
``_layer_backward(dh (T, B, H), dc_T or None, cache) -> (dx, dh0, dc0 or None, dW_ih, dW_hh, db_ih, db_hh)``.

Input policy (the same for all three):
- x must be a float array of the model's dtype (float64 by default, float32 on request); integer,
  boolean or object arrays, and the other float dtype, raise TypeError (nothing is cast silently).
- x must be 3-D with the right feature size; an empty sequence (T = 0) or batch (B = 0) raises
  ValueError: there is no last hidden state to return.
- NaN or inf in x, a state, or a gradient passed to ``backward`` raise ValueError: they would
  only propagate silently through every later step.
"""

import numpy as np

from ._validate import as_float_array, check_shape
from .layers import _load_into, _rng


class RecurrentBase:
    gate_count = 1
    has_cell = False
    _state_letters = ("num_layers", "B", "H")

    def __init__(self, input_size, hidden_size, num_layers=1, batch_first=False, seed=None, dtype=np.float64):
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
        if np.dtype(dtype) not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float32 or float64; got {np.dtype(dtype)}")
        self.input_size, self.hidden_size, self.num_layers = int(input_size), int(hidden_size), int(num_layers)
        self.batch_first = bool(batch_first)
        self.dtype = np.dtype(dtype)
        rng = _rng(seed)
        bound = 1.0 / np.sqrt(hidden_size)  # torch.nn's U(-1/√H, 1/√H) for every parameter
        rows = self.gate_count * hidden_size
        self.params = {}
        for layer in range(num_layers):
            cols = input_size if layer == 0 else hidden_size
            for name, shape in (
                (f"weight_ih_l{layer}", (rows, cols)),
                (f"weight_hh_l{layer}", (rows, hidden_size)),
                (f"bias_ih_l{layer}", (rows,)),
                (f"bias_hh_l{layer}", (rows,)),
            ):
                self.params[name] = rng.uniform(-bound, bound, shape).astype(self.dtype)
        self.grads = {}
        self._caches = None

    def __getattr__(self, name):  # model.weight_ih_l0 as in torch
        params = self.__dict__.get("params", {})
        if name in params:
            return params[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def _layer_params(self, layer):
        p = self.params
        return p[f"weight_ih_l{layer}"], p[f"weight_hh_l{layer}"], p[f"bias_ih_l{layer}"], p[f"bias_hh_l{layer}"]

    # --- state dict -------------------------------------------------------------------------
    def state_dict(self):
        """Copies of the parameters as NumPy arrays, named as in ``torch.nn``."""
        return {name: value.copy() for name, value in self.params.items()}

    def load_state_dict(self, state):
        """Load NumPy arrays or torch tensors (e.g. ``torch.nn.LSTM(...).state_dict()``) in place.

        Raises ValueError on missing, unexpected or misshapen entries.
        """
        _load_into(self.params, state)

    # --- checks ---------------------------------------------------------------------------------
    def _check_x(self, x):
        letters = "(B, T, D)" if self.batch_first else "(T, B, D)"
        x = as_float_array("x", x, dtype=self.dtype, finite=False)
        if x.ndim != 3:
            raise ValueError(
                f"x must have 3 dimensions {letters} with D = {self.input_size}; got {x.ndim} with shape {x.shape}"
            )
        if x.shape[2] != self.input_size:
            expected = ("B", "T") if self.batch_first else ("T", "B")
            raise ValueError(f"x must have shape ({expected[0]}, {expected[1]}, {self.input_size}); got {x.shape}")
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(f"x must have at least one time step and one batch element {letters}; got {x.shape}")
        return as_float_array("x", x, finite=True)

    def _check_state_array(self, name, s, batch):
        expected = (self.num_layers, batch, self.hidden_size)
        s = as_float_array(name, s, dtype=self.dtype, finite=False)
        check_shape(name, s, expected)
        return as_float_array(name, s, finite=True)

    def _unpack_state(self, state, batch, what="state"):
        """-> (h (L, B, H) or None, c (L, B, H) or None)."""
        if state is None:
            return None, None
        if self.has_cell:
            if not isinstance(state, (tuple, list)) or len(state) != 2:
                raise TypeError(
                    f"{what} must be a tuple (h, c) of two (num_layers, B, H) arrays; got {type(state).__name__}"
                )
            h, c = state
            h = None if h is None else self._check_state_array(f"{what}[0] (h)", h, batch)
            c = None if c is None else self._check_state_array(f"{what}[1] (c)", c, batch)
            return h, c
        if isinstance(state, (tuple, list)):
            raise TypeError(f"{what} must be one (num_layers, B, H) array; got a {type(state).__name__}")
        return self._check_state_array(what, state, batch), None

    # --- forward / backward ----------------------------------------------------------------
    def forward(self, x, state=None):
        """Run every layer over the sequence; see the class docstring for shapes."""
        x = self._check_x(x)
        if self.batch_first:
            x = np.ascontiguousarray(x.transpose(1, 0, 2))  # (T, B, D)
        T, B, _ = x.shape
        h0, c0 = self._unpack_state(state, B)
        if self.has_cell and state is not None and (h0 is None or c0 is None):
            raise TypeError("state must hold both h_0 and c_0 arrays; got None for one of them")
        zeros = np.zeros((B, self.hidden_size), dtype=self.dtype)
        layer_input, caches, h_n, c_n = x, [], [], []
        for layer in range(self.num_layers):
            h_init = zeros if h0 is None else h0[layer]
            c_init = (zeros if c0 is None else c0[layer]) if self.has_cell else None
            h, c_last, cache = self._layer_forward(layer_input, h_init, c_init, *self._layer_params(layer))
            caches.append(cache)
            h_n.append(h[-1])
            c_n.append(c_last)
            layer_input = h  # (T, B, H)
        self._caches = caches
        self._forward_info = (T, B, state is not None)
        # a copy: the hidden states stay in the cache, safe from in-place edits of the output
        output = layer_input.transpose(1, 0, 2).copy() if self.batch_first else layer_input.copy()
        h_n = np.stack(h_n)  # (L, B, H)
        if self.has_cell:
            return output, (h_n, np.stack(c_n))
        return output, h_n

    __call__ = forward

    def backward(self, d_output, d_state=None):
        """Backpropagate through time; fills ``.grads`` (overwritten, not accumulated).

        Args:
            d_output: gradient with respect to ``output``, same shape.
            d_state: gradient with respect to the final state (h_n, or (dh_n, dc_n) for the LSTM;
                either part may be None), or None.
        Returns:
            dx (same shape as x), or ``(dx, d_state0)`` when forward was given an initial state.
        """
        if self._caches is None:
            raise ValueError("backward() needs a forward() first; got no cached forward pass")
        T, B, had_state = self._forward_info
        H = self.hidden_size
        out_shape = (B, T, H) if self.batch_first else (T, B, H)
        dout = as_float_array("d_output", d_output, dtype=self.dtype, finite=False)
        check_shape("d_output", dout, out_shape)
        dout = as_float_array("d_output", dout)
        dh_n, dc_n = self._unpack_state(d_state, B, what="d_state")
        dout = dout.transpose(1, 0, 2).copy() if self.batch_first else dout.copy()
        dh0, dc0 = [None] * self.num_layers, [None] * self.num_layers
        for layer in range(self.num_layers - 1, -1, -1):
            if dh_n is not None:
                dout[-1] += dh_n[layer]
            dc_last = None if dc_n is None else dc_n[layer]
            dx, dh0[layer], dc0[layer], dW_ih, dW_hh, db_ih, db_hh = self._layer_backward(
                dout, dc_last, self._caches[layer]
            )
            self.grads[f"weight_ih_l{layer}"], self.grads[f"weight_hh_l{layer}"] = dW_ih, dW_hh
            self.grads[f"bias_ih_l{layer}"], self.grads[f"bias_hh_l{layer}"] = db_ih, db_hh
            dout = dx
        self.grads = {name: self.grads[name] for name in self.params}  # state_dict order
        dx = dout.transpose(1, 0, 2).copy() if self.batch_first else dout
        if not had_state:
            return dx
        if self.has_cell:
            return dx, (np.stack(dh0), np.stack(dc0))
        return dx, np.stack(dh0)

    def __repr__(self):
        extra = ", batch_first=True" if self.batch_first else ""
        return (
            f"{type(self).__name__}({self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"
            f"{extra}, dtype={self.dtype.name})"
        )
