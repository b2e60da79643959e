"""What RNN, LSTM and GRU share: torch.nn's parameters and init, input checks, the layer loop.

``RecurrentBase.forward`` takes what ``torch.nn.RNN``/``LSTM``/``GRU`` take: a batched (T, B, D) or
(B, T, D) tensor, an unbatched (T, D) tensor, or a ``PackedSequence``; and returns what they return. It
runs one layer and one direction at a time through the subclass's sequence function: the readable loop
(``fast=False``), its hand-written twin in ``_fast`` (``fast=True``, the default) or, for the whole
stack, torch's fused kernel (``fused=True``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

Tensor = torch.Tensor


def _shape(tensor: Tensor) -> tuple[int, ...]:
    return tuple(tensor.shape)


def _check_positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int; got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int; got {value!r}")


def _check_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool (True or False); got {type(value).__name__} {value!r}")


class RecurrentBase(nn.Module):
    """A stack of recurrent layers with ``torch.nn``'s constructor, parameter names, init and contract.

    Subclasses set ``gate_count`` (rows of ``W_ih`` per hidden unit), ``has_cell`` (True for the LSTM),
    ``_state_names``, and implement ``_fused_kernel`` and ``_layer_forward`` for one layer in one direction.
    Parameters are ``weight_ih_l{k}`` (gates*H, D or H*num_directions), ``weight_hh_l{k}``
    (gates*H, H), ``bias_ih_l{k}``, ``bias_hh_l{k}`` (gates*H,), with ``_reverse`` for the backward
    direction (and the LSTM's ``weight_hr_l{k}`` (P, H) when ``proj_size`` P > 0), registered in
    ``torch.nn``'s order and drawn from U(-1/sqrt(H), 1/sqrt(H)) as ``torch.nn`` does, so the same seed
    gives the same weights and a ``state_dict`` moves unchanged.
    """

    gate_count = 1
    has_cell = False
    _state_names: tuple[str, ...] = ("h",)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        *,
        fast: bool = True,
        fused: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            _check_positive_int(name, value)
        for name, value in (("bias", bias), ("batch_first", batch_first)):
            _check_bool(name, value)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"dropout must be a number in [0, 1]; got {dropout!r}")
        if isinstance(proj_size, bool) or not isinstance(proj_size, int):
            raise TypeError(f"proj_size must be an int; got {type(proj_size).__name__} {proj_size!r}")
        if proj_size < 0:
            raise ValueError(f"proj_size must be >= 0 (0: no projection); got {proj_size}")
        if proj_size >= hidden_size:
            raise ValueError(f"proj_size must be smaller than hidden_size ({hidden_size}); got {proj_size}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.proj_size = proj_size
        self.fast = bool(fast)  # True: the hand-written loops of _fast; False: the readable loops
        self.fused = bool(fused)  # True: run torch's fused kernels (torch._VF) on the same parameters
        self.num_directions = 2 if bidirectional else 1

        factory = {"device": device, "dtype": dtype}
        gate_size = self.gate_count * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size  # the size of h_t
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * self.num_directions
            for direction in range(self.num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, real_hidden))]
                if self.bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                for name, shape in shapes:
                    setattr(self, name + suffix, nn.Parameter(torch.empty(shape, **factory)))
                    self._flat_weights_names.append(name + suffix)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every parameter from U(-1/sqrt(H), 1/sqrt(H)), in ``torch.nn``'s order."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    @property
    def _flat_weights(self) -> list[Tensor]:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Tensor]]:
        """The parameters per layer and direction, as ``torch.nn.RNNBase.all_weights`` lists them."""
        per_layer = len(self._flat_weights_names) // (self.num_layers * self.num_directions)
        weights = self._flat_weights
        return [weights[k : k + per_layer] for k in range(0, len(weights), per_layer)]

    def flatten_parameters(self) -> None:
        """Nothing to do (``torch.nn``'s packs the weights for cuDNN); here so that code calling it runs."""

    def _layer_weights(self, layer: int, direction: int) -> tuple[Tensor | None, ...]:
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        W_ih = getattr(self, "weight_ih" + suffix)
        W_hh = getattr(self, "weight_hh" + suffix)
        if not self.bias:
            return W_ih, W_hh, None, None
        return W_ih, W_hh, getattr(self, "bias_ih" + suffix), getattr(self, "bias_hh" + suffix)

    def _state_sizes(self) -> tuple[int, ...]:
        """The last dimension of each state: (H,) for h; the LSTM's (P or H, H) for (h, c)."""
        return (self.hidden_size,) * len(self._state_names)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        if self.proj_size:
            text += f", proj_size={self.proj_size}"
        if not self.fast:
            text += ", fast=False"
        if self.fused:
            text += ", fused=True"
        return text

    # ----------------------------------------------------------------------------- checks
    def _layout(self) -> str:
        return "(B, T, D)" if self.batch_first else "(T, B, D)"

    def _check_input(self, x: object) -> None:
        if not isinstance(x, torch.Tensor):
            raise TypeError(
                f"x must be a torch.Tensor of shape {self._layout()} or (T, D), or a PackedSequence; "
                f"got {type(x).__name__}"
            )
        weight = self.weight_ih_l0
        if not x.is_floating_point():
            raise TypeError(f"x must be a floating-point tensor ({weight.dtype}); got {x.dtype}")
        if x.dtype != weight.dtype:
            # a ValueError, as torch.nn raises for this mismatch
            raise ValueError(
                f"x must have the module's dtype {weight.dtype}; got {x.dtype} "
                f"(convert one: x.to({weight.dtype}) or module.to({x.dtype}))"
            )
        if x.device != weight.device:
            raise ValueError(
                f"x is on device {x.device} but the module's parameters are on "
                f"{weight.device}; move one of them (module.to(x.device))"
            )
        if x.dim() not in (2, 3):
            raise ValueError(
                f"x must have 3 dimensions {self._layout()} (or 2, (T, D), unbatched); "
                f"got {x.dim()} with shape {_shape(x)}"
            )
        if x.shape[-1] != self.input_size:
            expected = "(T, " if x.dim() == 2 else ("(B, T, " if self.batch_first else "(T, B, ")
            raise ValueError(f"x must have shape {expected}{self.input_size}); got {_shape(x)}")
        if any(size == 0 for size in x.shape[:-1]):
            what = "T must be at least 1" if x.dim() == 2 else "T and B must be at least 1"
            raise ValueError(f"x is empty: {what}; got shape {_shape(x)}")

    def _check_state(self, state: object, batch_size: int | None, x: Tensor) -> tuple[Tensor, ...]:
        """The initial states, each (num_layers * num_directions, B, size); (L*dirs, size) if unbatched.

        ``batch_size`` is None for unbatched input. Zeros when ``state`` is None.
        """
        layers = self.num_layers * self.num_directions
        names = self._state_names
        sizes = self._state_sizes()
        if batch_size is None:
            expected = [(layers, size) for size in sizes]
            meaning = "(num_layers * num_directions, H) for unbatched (T, D) x"
        else:
            expected = [(layers, batch_size, size) for size in sizes]
            meaning = "(num_layers * num_directions, B, H)"
        if state is None:
            return tuple(x.new_zeros(shape) for shape in expected)
        if len(names) == 2:
            if not isinstance(state, (tuple, list)) or len(state) != 2:
                got = (
                    f"{type(state).__name__} of length {len(state)}"
                    if isinstance(state, (tuple, list))
                    else type(state).__name__
                )
                raise TypeError(f"state must be a tuple (h_0, c_0); got {got}")
            states = tuple(state)
        else:
            states = (state,)
        for name, tensor, shape in zip(names, states, expected):
            if not isinstance(tensor, torch.Tensor):
                raise TypeError(f"{name}_0 must be a torch.Tensor of shape {shape}; got {type(tensor).__name__}")
            if tensor.dtype != x.dtype:
                raise TypeError(f"{name}_0 must have dtype {x.dtype} (that of x); got {tensor.dtype}")
            if tensor.device != x.device:
                raise ValueError(f"{name}_0 is on device {tensor.device} but x is on {x.device}")
            if _shape(tensor) != shape:
                raise ValueError(f"{name}_0 must have shape {shape} {meaning}; got {_shape(tensor)}")
        return states

    # ----------------------------------------------------------------------------- forward
    def _fused_kernel(self):
        """The ``torch._VF`` function that runs the whole stack (``torch._VF.lstm`` etc.)."""
        raise NotImplementedError

    def _layer_forward(self, x, state, W_ih, W_hh, b_ih, b_hh, *extra):
        """One layer, one direction: x (T, B, D), state tuple of (B, H) -> (output (T, B, H), final states)."""
        raise NotImplementedError

    def forward(
        self,
        x: Tensor | PackedSequence,
        state: Tensor | tuple[Tensor, Tensor] | None = None,
        *,
        hx: Tensor | tuple[Tensor, Tensor] | None = None,
    ) -> tuple[Tensor | PackedSequence, Tensor | tuple[Tensor, Tensor]]:
        """Run the stack over a sequence, as ``torch.nn.RNN``/``LSTM``/``GRU`` do.

        Args:
            x: (T, B, D), or (B, T, D) with ``batch_first=True``; (T, D) for one unbatched sequence; or a
                ``PackedSequence`` (``torch.nn.utils.rnn.pack_padded_sequence``) of sequences of varied
                lengths, each run to its own end (and, reversed, from its own end).
            state: initial state(s), each (num_layers * num_directions, B, H) ((L*dirs, H) unbatched);
                the LSTM's is a pair (h_0, c_0), h_0 of size P when ``proj_size`` P > 0. Zeros if None.
            hx: ``torch.nn``'s name for ``state`` (keyword only), so that ``model(x, hx=h0)`` works too.

        Returns:
            output: (T, B, num_directions * H) (or batch-first; (T, dirs*H) unbatched; a
            ``PackedSequence`` for packed input, with the input's ``sorted_indices``), the top layer's
            h_t at every step; the final state(s), shaped as ``state``, each sequence's at its own length.
        """
        if hx is not None:
            if state is not None:
                raise TypeError("pass the initial state once, as state or as hx; got both")
            state = hx
        if isinstance(x, PackedSequence):
            return self._packed_forward(x, state)
        self._check_input(x)
        unbatched = x.dim() == 2
        if unbatched:
            x = x.unsqueeze(1)  # (T, 1, D), time-first whatever batch_first says (as torch.nn)
        elif self.batch_first:
            x = x.transpose(0, 1)  # (T, B, D)
        states = self._check_state(state, None if unbatched else x.shape[1], x)
        if unbatched:
            states = tuple(s.unsqueeze(1) for s in states)
        if self.fused:
            output, finals = self._fused_forward(x, states)
        else:
            output, finals = self._loop_forward(x, states)
        if unbatched:
            output, finals = output.squeeze(1), tuple(s.squeeze(1) for s in finals)
        elif self.batch_first:
            output = output.transpose(0, 1)  # (B, T, H)
        return output, (finals if len(finals) == 2 else finals[0])

    def _packed_forward(self, packed: PackedSequence, state):
        """A ``PackedSequence``: unpack, run every sequence to its own length, re-pack in the same order."""
        data = packed.data  # (sum of lengths, D)
        if isinstance(data, torch.Tensor) and (data.dim() != 2 or data.shape[1] != self.input_size):
            raise ValueError(
                f"a PackedSequence's data must have shape (sum of lengths, {self.input_size}); got {_shape(data)}"
            )
        self._check_input(data)  # type, dtype, device, as for an unbatched (T, D) x
        padded, lengths = pad_packed_sequence(packed)  # (T, B, D) in the caller's batch order
        states = self._check_state(state, padded.shape[1], padded)
        if self.fused:
            output, finals = self._fused_packed_forward(packed, states)
            return output, (finals if len(finals) == 2 else finals[0])
        output, finals = self._loop_forward(padded, states, lengths.tolist())
        if packed.sorted_indices is not None:
            output, lengths = output[:, packed.sorted_indices], lengths[packed.sorted_indices]
        data = pack_padded_sequence(output, lengths, enforce_sorted=True).data
        output = PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
        return output, (finals if len(finals) == 2 else finals[0])

    def _loop_forward(self, x: Tensor, states: tuple[Tensor, ...], lengths: Sequence[int] | None = None):
        """Layer by layer, direction by direction; with ``lengths``, each group of equal length apart."""
        T, B = x.shape[:2]
        if lengths is None or all(length == T for length in lengths):
            groups = [(T, None)]
        else:  # sequences of one length run together, to that length; the rest of the output is 0
            by_length: dict[int, list[int]] = {}
            for b, length in enumerate(lengths):
                by_length.setdefault(int(length), []).append(b)
            groups = [(length, torch.tensor(rows, device=x.device)) for length, rows in by_length.items()]
            order = torch.cat([rows for _, rows in groups])
            inverse = torch.empty_like(order)
            inverse[order] = torch.arange(B, device=x.device)
        layer_input = x
        finals = [[] for _ in states]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                index = layer * self.num_directions + direction
                weights = self._layer_weights(layer, direction)
                group_outputs, group_finals = [], [[] for _ in states]
                for length, rows in groups:
                    sequence = layer_input if rows is None else layer_input[:length, rows]
                    first = tuple(s[index] if rows is None else s[index, rows] for s in states)
                    if direction == 1:
                        sequence = sequence.flip(0)  # the reverse pass starts at the sequence's own end
                    output, last = self._layer_forward(sequence, first, *weights)
                    if direction == 1:
                        output = output.flip(0)
                    group_outputs.append(F.pad(output, (0, 0, 0, 0, 0, T - length)) if length < T else output)
                    for kept, tensor in zip(group_finals, last):
                        kept.append(tensor)
                if rows is None:
                    outputs.append(group_outputs[0])
                    last_states = [kept[0] for kept in group_finals]
                else:
                    outputs.append(torch.cat(group_outputs, 1)[:, inverse])
                    last_states = [torch.cat(kept, 0)[inverse] for kept in group_finals]
                for kept, tensor in zip(finals, last_states):
                    kept.append(tensor)
            layer_input = outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=2)  # (T, B, dirs*H)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, training=True)
        return layer_input, tuple(torch.stack(kept) for kept in finals)

    def _fused_forward(self, x: Tensor, states: tuple[Tensor, ...]):
        hx = states if len(states) == 2 else states[0]
        with warnings.catch_warnings():
            # cuDNN copies weights that are not in one flat buffer; that is correct, just a copy.
            warnings.filterwarnings("ignore", message="RNN module weights are not part")
            result = self._fused_kernel()(
                x,
                hx,
                self._flat_weights,
                self.bias,
                self.num_layers,
                self.dropout,
                self.training,
                self.bidirectional,
                False,
            )
        return result[0], tuple(result[1:])

    def _fused_packed_forward(self, packed: PackedSequence, states: tuple[Tensor, ...]):
        if packed.sorted_indices is not None:
            states = tuple(s.index_select(1, packed.sorted_indices) for s in states)
        hx = states if len(states) == 2 else states[0]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="RNN module weights are not part")
            result = self._fused_kernel()(
                packed.data,
                packed.batch_sizes,
                hx,
                self._flat_weights,
                self.bias,
                self.num_layers,
                self.dropout,
                self.training,
                self.bidirectional,
            )
        finals = tuple(result[1:])
        if packed.unsorted_indices is not None:
            finals = tuple(s.index_select(1, packed.unsorted_indices) for s in finals)
        output = PackedSequence(result[0], packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
        return output, finals
