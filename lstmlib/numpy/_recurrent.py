"""What RNN, LSTM and GRU share: ``torch.nn``'s constructor arguments, parameters and state_dict,
input checks, and the multi-layer, bidirectional forward/backward over a cell's sequence functions.

A subclass sets ``gate_count`` (1, 3 or 4), ``has_cell`` (True for the LSTM), and the pairs
``_loop_functions`` (the readable ``<k>_forward``, ``<k>_backward``) and ``_fast_functions`` (the same
from ``_fast``); ``fast=True`` (the default) runs the second pair.

Input policy (the same for all three):
- x must be a float array of the model's dtype (float64 by default, float32 on request); integer,
  boolean or object arrays, and the other float dtype, raise TypeError (nothing is cast silently).
- x must be (T, B, D) ((B, T, D) with ``batch_first``) or unbatched (T, D), with the right feature
  size; an empty sequence (T = 0) or batch (B = 0) raises ValueError: there is no last hidden state.
- NaN or inf in x, a state, or a gradient passed to ``backward`` raise ValueError: they would
  only propagate silently through every later step.
- ``lengths`` (B,) integers in [1, T]: each sequence's final state is taken at its own length, the
  reverse direction starts at its own end, outputs after it are zero (``pack_padded_sequence``).
"""

from __future__ import annotations

import numpy as np

from .. import seeding
from ._validate import Array, as_float_array, check_dtype_argument, check_shape, check_size_argument
from .layers import load_into

NONLINEARITIES = ("tanh", "relu")


def check_nonlinearity(nonlinearity) -> None:
    """ValueError unless ``nonlinearity`` is "tanh" or "relu" (``torch.nn.RNN``'s choices)."""
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu'; got {nonlinearity!r}")


def _check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} should be of type bool, got: {type(value).__name__}")
    return bool(value)


class RecurrentBase:
    gate_count = 1
    has_cell = False
    _loop_functions = ()
    _fast_functions = ()

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        *,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        nonlinearity: str = "tanh",
        seed=None,
        dtype=np.float64,
        fast: bool = True,
    ) -> None:
        self.input_size = check_size_argument("input_size", input_size)
        self.hidden_size = check_size_argument("hidden_size", hidden_size)
        self.num_layers = check_size_argument("num_layers", num_layers)
        self.bias = _check_bool("bias", bias)
        self.batch_first = _check_bool("batch_first", batch_first)
        self.bidirectional = _check_bool("bidirectional", bidirectional)
        self.fast = _check_bool("fast", fast)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float, np.floating, np.integer)):
            raise TypeError(f"dropout should be a number in [0, 1], got: {type(dropout).__name__}")
        if not 0 <= dropout <= 1:
            raise ValueError(f"dropout must be a probability in [0, 1]; got {dropout}")
        self.dropout = float(dropout)
        if isinstance(proj_size, bool) or not isinstance(proj_size, (int, np.integer)):
            raise TypeError(f"proj_size should be of type int, got: {type(proj_size).__name__}")
        if proj_size < 0 or proj_size >= hidden_size:
            raise ValueError(f"proj_size must be in [0, hidden_size) = [0, {hidden_size}); got {proj_size}")
        self.proj_size = int(proj_size)
        check_nonlinearity(nonlinearity)
        self.nonlinearity = nonlinearity
        self.dtype = check_dtype_argument(dtype)
        self.training = True
        self._rng = seeding.rng(seed)
        H, R = self.hidden_size, self.proj_size or self.hidden_size
        bound = 1.0 / np.sqrt(H)  # torch.nn's U(-1/√H, 1/√H) for every parameter
        rows = self.gate_count * H
        self.params = {}
        for layer in range(self.num_layers):
            cols = self.input_size if layer == 0 else R * self.num_directions
            for sfx in self._suffixes:
                shapes = [(f"weight_ih_l{layer}{sfx}", (rows, cols)), (f"weight_hh_l{layer}{sfx}", (rows, R))]
                if self.bias:
                    shapes += [(f"bias_ih_l{layer}{sfx}", (rows,)), (f"bias_hh_l{layer}{sfx}", (rows,))]
                if self.proj_size:
                    shapes += [(f"weight_hr_l{layer}{sfx}", (R, H))]
                for name, shape in shapes:
                    self.params[name] = self._rng.uniform(-bound, bound, shape).astype(self.dtype)
        self.grads = {}
        self._record = None

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def _suffixes(self):
        return ("", "_reverse") if self.bidirectional else ("",)

    def __getattr__(self, name):  # model.weight_ih_l0 as in torch
        params = self.__dict__.get("params", {})
        if name in params:
            return params[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def train(self, mode: bool = True) -> RecurrentBase:
        """Training mode (the default, as in torch): dropout between layers is applied. Returns self."""
        self.training = _check_bool("mode", mode)
        return self

    def eval(self) -> RecurrentBase:
        """Evaluation mode: no dropout. Returns self."""
        return self.train(False)

    # --- state dict -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters as NumPy arrays, named and ordered as in ``torch.nn``."""
        return {name: value.copy() for name, value in self.params.items()}

    def load_state_dict(self, state) -> None:
        """Load NumPy arrays or torch tensors (e.g. ``torch.nn.LSTM(...).state_dict()``) in place.

        Raises ValueError on missing, unexpected or misshapen entries.
        """
        load_into(self.params, state)

    # --- checks ---------------------------------------------------------------------------------
    def _check_x(self, x):
        letters = "(B, T, D)" if self.batch_first else "(T, B, D)"
        x = as_float_array("x", x, dtype=self.dtype, finite=False)
        if x.ndim not in (2, 3):
            raise ValueError(
                f"x must have 3 dimensions {letters} or 2 (T, D) (unbatched) with D = {self.input_size}; "
                f"got {x.ndim} with shape {x.shape}"
            )
        if x.shape[-1] != self.input_size:
            if x.ndim == 2:
                raise ValueError(f"x (unbatched) must have shape (T, {self.input_size}); got {x.shape}")
            expected = ("B", "T") if self.batch_first else ("T", "B")
            raise ValueError(f"x must have shape ({expected[0]}, {expected[1]}, {self.input_size}); got {x.shape}")
        if 0 in x.shape[:-1]:
            raise ValueError(f"x must have at least one time step and one batch element {letters}; got {x.shape}")
        return as_float_array("x", x, finite=True)

    def _state_shapes(self, batch):
        """Expected shapes of h and c, (L·dirs, B, R) and (L·dirs, B, H); batch None for unbatched."""
        first = self.num_layers * self.num_directions
        R = self.proj_size or self.hidden_size
        if batch is None:
            return (first, R), (first, self.hidden_size)
        return (first, batch, R), (first, batch, self.hidden_size)

    def _check_state_array(self, name, s, expected):
        s = as_float_array(name, s, dtype=self.dtype, finite=False)
        check_shape(name, s, expected)
        return as_float_array(name, s, finite=True)

    def _unpack_state(self, state, batch, what="state"):
        """-> (h or None, c or None), checked against the shapes for ``batch`` (None: unbatched)."""
        if state is None:
            return None, None
        h_shape, c_shape = self._state_shapes(batch)
        if self.has_cell:
            if not isinstance(state, (tuple, list)) or len(state) != 2:
                raise TypeError(f"{what} must be a tuple (h, c) of two {h_shape} arrays; got {type(state).__name__}")
            h, c = state
            h = None if h is None else self._check_state_array(f"{what}[0] (h)", h, h_shape)
            c = None if c is None else self._check_state_array(f"{what}[1] (c)", c, c_shape)
            return h, c
        if isinstance(state, (tuple, list)):
            raise TypeError(f"{what} must be one (num_layers, B, H) array; got a {type(state).__name__}")
        return self._check_state_array(what, state, h_shape), None

    def _check_lengths(self, lengths, T, B):
        if hasattr(lengths, "detach"):
            lengths = lengths.detach().cpu().numpy()
        lengths = np.asarray(lengths)
        if not np.issubdtype(lengths.dtype, np.integer):
            raise TypeError(f"lengths must be an integer array of shape ({B},); got dtype {lengths.dtype}")
        check_shape("lengths", lengths, (B,))
        if lengths.min() < 1 or lengths.max() > T:
            raise ValueError(f"lengths must lie in [1, T] = [1, {T}]; got values in [{lengths.min()}, {lengths.max()}]")
        return lengths

    # --- one direction of one layer -----------------------------------------------------------
    def _weights(self, layer, sfx):
        p = self.params
        w = [p[f"weight_ih_l{layer}{sfx}"], p[f"weight_hh_l{layer}{sfx}"]]
        w += [p.get(f"bias_ih_l{layer}{sfx}"), p.get(f"bias_hh_l{layer}{sfx}")]
        return w

    def _direction_forward(self, x, h0, c0, layer, sfx):
        """-> (output (T, B, R), h_n, c_n or None, cache) with the loop or the fast functions."""
        forward = (self._fast_functions if self.fast else self._loop_functions)[0]
        weights = self._weights(layer, sfx)
        if self.has_cell:
            return forward(x, h0, c0, *weights, self.params.get(f"weight_hr_l{layer}{sfx}"))
        extra = (self.nonlinearity,) if self.gate_count == 1 else ()
        output, h_n, cache = forward(x, h0, *weights, *extra)
        return output, h_n, None, cache

    def _direction_backward(self, d_output, cache, dh_n, dc_n, layer, sfx, grads):
        """-> (dx, dh0, dc0 or None); stores the parameter gradients in ``grads``."""
        backward = (self._fast_functions if self.fast else self._loop_functions)[1]
        if self.has_cell:
            dx, dh0, dc0, *dW = backward(d_output, cache, dh_n, dc_n)
        else:
            (dx, dh0, *dW), dc0 = backward(d_output, cache, dh_n), None
        names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"]
        for name, g in zip(names, dW):
            if g is not None:
                key = f"{name}_l{layer}{sfx}"
                grads[key] = g if key not in grads else grads[key] + g
        return dx, dh0, dc0

    # --- all layers, both directions ----------------------------------------------------------
    def _run(self, x, h0, c0):
        """x (T, B, D) time-first -> (output (T, B, dirs·R), h_n (L·dirs, B, R), c_n or None, record)."""
        T, B, _ = x.shape
        H, R, dirs = self.hidden_size, self.proj_size or self.hidden_size, self.num_directions
        layer_input, caches, masks, h_n, c_n = x, [], [], [], []
        for layer in range(self.num_layers):
            outputs = []
            for d, sfx in enumerate(self._suffixes):
                k = layer * dirs + d
                h_init = np.zeros((B, R), dtype=self.dtype) if h0 is None else h0[k]
                c_init = None if not self.has_cell else (np.zeros((B, H), dtype=self.dtype) if c0 is None else c0[k])
                seq = layer_input if d == 0 else layer_input[::-1]  # the reverse direction reads from the end
                out, h_last, c_last, cache = self._direction_forward(seq, h_init, c_init, layer, sfx)
                outputs.append(out if d == 0 else out[::-1])
                caches.append(cache)
                h_n.append(h_last)
                c_n.append(c_last)
            output = outputs[0] if dirs == 1 else np.concatenate(outputs, axis=2)
            mask = None
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:  # dropout between layers
                keep = self._rng.random(output.shape) >= self.dropout
                mask = keep.astype(self.dtype) / (1.0 - self.dropout) if self.dropout < 1 else np.zeros_like(output)
                output = output * mask
            masks.append(mask)
            layer_input = output
        c_n = np.stack(c_n) if self.has_cell else None
        return layer_input, np.stack(h_n), c_n, (caches, masks)

    def _run_backward(self, record, d_output, dh_n, dc_n, grads):
        """Backward of ``_run``: -> (dx (T, B, D), dh0 (L·dirs, B, R), dc0 or None); adds into ``grads``."""
        caches, masks = record
        R, dirs = self.proj_size or self.hidden_size, self.num_directions
        dh0, dc0 = [None] * len(caches), [None] * len(caches)
        d = d_output
        for layer in range(self.num_layers - 1, -1, -1):
            if masks[layer] is not None:
                d = d * masks[layer]
            dx = None
            for direction, sfx in enumerate(self._suffixes):
                k = layer * dirs + direction
                d_dir = d[:, :, direction * R : (direction + 1) * R]
                d_dir = np.ascontiguousarray(d_dir if direction == 0 else d_dir[::-1])
                dh = None if dh_n is None else dh_n[k]
                dc = None if dc_n is None else dc_n[k]
                dx_dir, dh0[k], dc0[k] = self._direction_backward(d_dir, caches[k], dh, dc, layer, sfx, grads)
                dx_dir = dx_dir if direction == 0 else dx_dir[::-1]
                dx = dx_dir if dx is None else dx + dx_dir
            d = dx
        return d, np.stack(dh0), (np.stack(dc0) if self.has_cell else None)

    # --- forward / backward ----------------------------------------------------------------
    def forward(self, x: Array, state=None, lengths: Array | None = None) -> tuple[Array, Array | tuple[Array, Array]]:
        """Run every layer (and direction) over the sequence; see the class docstring for shapes."""
        x = self._check_x(x)
        unbatched = x.ndim == 2
        if unbatched:
            if lengths is not None:
                raise ValueError(f"lengths needs a batch: x must be 3-D; got unbatched x of shape {x.shape}")
            x = x[:, None, :]
        elif self.batch_first:
            x = np.ascontiguousarray(x.transpose(1, 0, 2))  # (T, B, D)
        T, B, _ = x.shape
        h0, c0 = self._unpack_state(state, None if unbatched else B)
        if self.has_cell and state is not None and (h0 is None or c0 is None):
            raise TypeError("state must hold both h_0 and c_0 arrays; got None for one of them")
        if unbatched and h0 is not None:
            h0, c0 = h0[:, None], (None if c0 is None else c0[:, None])
        if lengths is None:
            output, h_n, c_n, record = self._run(x, h0, c0)
            groups = [(T, slice(None), record)]
        else:
            lengths = self._check_lengths(lengths, T, B)
            output = np.zeros((T, B, self.num_directions * (self.proj_size or self.hidden_size)), dtype=self.dtype)
            h_n, c_n, groups = None, None, []
            for length in np.unique(lengths):  # sequences of equal length run together, without padding
                idx = np.flatnonzero(lengths == length)
                sub = (
                    None if h0 is None else h0[:, idx],
                    None if c0 is None else c0[:, idx],
                )
                out_g, hn_g, cn_g, record = self._run(x[:length, idx], *sub)
                output[:length, idx] = out_g
                if h_n is None:
                    h_n = np.zeros((hn_g.shape[0], B, hn_g.shape[2]), dtype=self.dtype)
                    c_n = None if cn_g is None else np.zeros((cn_g.shape[0], B, cn_g.shape[2]), dtype=self.dtype)
                h_n[:, idx] = hn_g
                if c_n is not None:
                    c_n[:, idx] = cn_g
                groups.append((int(length), idx, record))
        self._record = groups
        self._forward_info = (T, B, state is not None, unbatched)
        if unbatched:
            output, h_n, c_n = output[:, 0], h_n[:, 0], (None if c_n is None else c_n[:, 0])
        elif self.batch_first:
            output = output.transpose(1, 0, 2)
        # a copy: the hidden states stay in the caches, safe from in-place edits of the output
        output = output.copy()
        if self.has_cell:
            return output, (h_n, c_n)
        return output, h_n

    __call__ = forward

    def backward(self, d_output: Array, d_state=None) -> Array | tuple:
        """Backpropagate through time; fills ``.grads`` (overwritten, not accumulated).

        Args:
            d_output: gradient with respect to ``output``, same shape.
            d_state: gradient with respect to the final state (h_n, or (dh_n, dc_n) for the LSTM;
                either part may be None), or None.
        Returns:
            dx (same shape as x), or ``(dx, d_state0)`` when forward was given an initial state.
        """
        if self._record is None:
            raise ValueError("backward() needs a forward() first; got no cached forward pass")
        T, B, had_state, unbatched = self._forward_info
        width = self.num_directions * (self.proj_size or self.hidden_size)
        if unbatched:
            out_shape = (T, width)
        else:
            out_shape = (B, T, width) if self.batch_first else (T, B, width)
        dout = as_float_array("d_output", d_output, dtype=self.dtype, finite=False)
        check_shape("d_output", dout, out_shape)
        dout = as_float_array("d_output", dout)
        dh_n, dc_n = self._unpack_state(d_state, None if unbatched else B, what="d_state")
        if unbatched:
            dout = dout[:, None]
            dh_n = None if dh_n is None else dh_n[:, None]
            dc_n = None if dc_n is None else dc_n[:, None]
        elif self.batch_first:
            dout = dout.transpose(1, 0, 2)
        grads = {}
        dx = np.zeros((T, B, self.input_size), dtype=self.dtype)
        dh0, dc0 = None, None
        for length, idx, record in self._record:
            dxg, dh0g, dc0g = self._run_backward(
                record,
                np.ascontiguousarray(dout[:length, idx]),
                None if dh_n is None else dh_n[:, idx],
                None if dc_n is None else dc_n[:, idx],
                grads,
            )
            dx[:length, idx] = dxg
            if dh0 is None:
                dh0 = np.zeros((dh0g.shape[0], B, dh0g.shape[2]), dtype=self.dtype)
                dc0 = None if dc0g is None else np.zeros((dc0g.shape[0], B, dc0g.shape[2]), dtype=self.dtype)
            dh0[:, idx] = dh0g
            if dc0 is not None:
                dc0[:, idx] = dc0g
        self.grads = {name: grads[name] for name in self.params}  # state_dict order
        if unbatched:
            dx, dh0, dc0 = dx[:, 0], dh0[:, 0], (None if dc0 is None else dc0[:, 0])
        elif self.batch_first:
            dx = dx.transpose(1, 0, 2).copy()
        if not had_state:
            return dx
        if self.has_cell:
            return dx, (dh0, dc0)
        return dx, dh0

    def __repr__(self) -> str:
        options = []
        if self.num_layers != 1:
            options.append(f"num_layers={self.num_layers}")
        if self.gate_count == 1 and self.nonlinearity != "tanh":
            options.append(f"nonlinearity={self.nonlinearity!r}")
        for name, default in (("bias", True), ("batch_first", False), ("bidirectional", False)):
            if getattr(self, name) != default:
                options.append(f"{name}={getattr(self, name)}")
        if self.dropout:
            options.append(f"dropout={self.dropout}")
        if self.proj_size:
            options.append(f"proj_size={self.proj_size}")
        if not self.fast:
            options.append("fast=False")
        extra = "".join(", " + o for o in options)
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size}{extra}, dtype={self.dtype.name})"
