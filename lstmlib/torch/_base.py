"""What RNN, LSTM and GRU share: torch.nn's parameters and init, input checks, the layer loop."""

import math
import warnings

import torch
import torch.nn.functional as F
from torch import nn


def _shape(tensor):
    return tuple(tensor.shape)


def input_and_weight_grads(d_pre, x, h0, output, weight_ih, need_dx, has_bias):
    """After a hand-written backward loop: dx, dW_ih, dW_hh and db from the pre-activations' gradients.

    d_pre (T, B, G*H): dL/d(W_ih x_t + b + W_hh h_{t-1}) at every step (G gates: 4 for the LSTM, 1 for
    the RNN); x (T, B, D); h0 (B, H); output (T, B, H) (h_1..h_T); weight_ih (G*H, D).
    Each is one matrix product over all T·B rows.
    """
    T, B, D = x.shape
    H = h0.shape[-1]
    G = d_pre.shape[-1]
    d_pre_2d = d_pre.view(T * B, G)
    dx = (d_pre_2d @ weight_ih).view(T, B, D) if need_dx else None
    d_weight_ih = d_pre_2d.T @ x.reshape(T * B, D)
    # Σ_t d_pre_t^T h_{t-1}, with h_0 apart so that no (T, B, H) copy is needed
    d_weight_hh = d_pre[0].T @ h0
    if T > 1:
        d_weight_hh.addmm_(d_pre[1:].reshape((T - 1) * B, G).T, output[:-1].reshape((T - 1) * B, H))
    d_bias = d_pre_2d.sum(0) if has_bias else None
    return dx, d_weight_ih, d_weight_hh, d_bias


class RecurrentBase(nn.Module):
    """A stack of recurrent layers with ``torch.nn``'s constructor, parameter names, init and contract.

    Subclasses set ``_gate_count`` (rows of ``weight_ih`` per hidden unit), ``_state_names``, and implement
    ``_fused_kernel`` and ``_layer_forward`` for one layer in one direction.
    Parameters are ``weight_ih_l{k}`` (gates*H, D or H*num_directions), ``weight_hh_l{k}``
    (gates*H, H), ``bias_ih_l{k}``, ``bias_hh_l{k}`` (gates*H,), with ``_reverse`` for the backward
    direction, registered in ``torch.nn``'s order and drawn from U(-1/sqrt(H), 1/sqrt(H)) as
    ``torch.nn`` does, so the same seed gives the same weights and a ``state_dict`` moves unchanged.
    """

    _gate_count = 1
    _state_names = ("h",)

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        fused=False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int; got {value!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"dropout must be a number in [0, 1]; got {dropout!r}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.fused = bool(fused)  # True: run torch's fused kernels (torch._VF) on the same parameters
        self.num_directions = 2 if bidirectional else 1

        factory = {"device": device, "dtype": dtype}
        gate_size = self._gate_count * hidden_size
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * self.num_directions
            for direction in range(self.num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, hidden_size))]
                if self.bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                for name, shape in shapes:
                    setattr(self, name + suffix, nn.Parameter(torch.empty(shape, **factory)))
                    self._flat_weights_names.append(name + suffix)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw every parameter from U(-1/sqrt(H), 1/sqrt(H)), in ``torch.nn``'s order."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    def _layer_weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        weight_ih = getattr(self, "weight_ih" + suffix)
        weight_hh = getattr(self, "weight_hh" + suffix)
        if not self.bias:
            return weight_ih, weight_hh, None, None
        return weight_ih, weight_hh, getattr(self, "bias_ih" + suffix), getattr(self, "bias_hh" + suffix)

    def extra_repr(self):
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
        if self.fused:
            text += ", fused=True"
        return text

    # ----------------------------------------------------------------------------- checks
    def _layout(self):
        return "(B, T, D)" if self.batch_first else "(T, B, D)"

    def _check_input(self, x):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor of shape {self._layout()}; got {type(x).__name__}")
        weight = self.weight_ih_l0
        if not x.is_floating_point():
            raise TypeError(f"x must be a floating-point tensor ({weight.dtype}); got {x.dtype}")
        if x.dtype != weight.dtype:
            raise TypeError(f"x must have the module's dtype {weight.dtype}; got {x.dtype}")
        if x.device != weight.device:
            raise ValueError(
                f"x is on device {x.device} but the module's parameters are on "
                f"{weight.device}; move one of them (module.to(x.device))"
            )
        if x.dim() != 3:
            raise ValueError(f"x must have 3 dimensions {self._layout()}; got {x.dim()} with shape {_shape(x)}")
        if x.shape[2] != self.input_size:
            expected = "(B, T, " if self.batch_first else "(T, B, "
            raise ValueError(f"x must have shape {expected}{self.input_size}); got {_shape(x)}")
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(f"x is empty: T and B must be at least 1; got shape {_shape(x)}")

    def _check_state(self, state, batch_size, x):
        """Return the initial states as a tuple of (num_layers * num_directions, B, H) tensors."""
        expected = (self.num_layers * self.num_directions, batch_size, self.hidden_size)
        names = self._state_names
        if state is None:
            return tuple(x.new_zeros(expected) for _ in names)
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
        for name, tensor in zip(names, states):
            if not isinstance(tensor, torch.Tensor):
                raise TypeError(f"{name}_0 must be a torch.Tensor of shape {expected}; got {type(tensor).__name__}")
            if tensor.dtype != x.dtype:
                raise TypeError(f"{name}_0 must have dtype {x.dtype} (that of x); got {tensor.dtype}")
            if tensor.device != x.device:
                raise ValueError(f"{name}_0 is on device {tensor.device} but x is on {x.device}")
            if _shape(tensor) != expected:
                raise ValueError(
                    f"{name}_0 must have shape {expected} (num_layers * num_directions, B, H); got {_shape(tensor)}"
                )
        return states

    # ----------------------------------------------------------------------------- forward
    def _fused_kernel(self):
        """The ``torch._VF`` function that runs the whole stack (``torch._VF.lstm`` etc.)."""
        raise NotImplementedError

    def _layer_forward(self, x, state, weight_ih, weight_hh, bias_ih, bias_hh):
        """One layer, one direction: x (T, B, D), state tuple of (B, H) -> (output (T, B, H), final states)."""
        raise NotImplementedError

    def forward(self, x, state=None):
        """Run the stack over a sequence.

        Args:
            x: (T, B, D), or (B, T, D) with ``batch_first=True``.
            state: initial state(s), each (num_layers * num_directions, B, H); zeros if None.

        Returns:
            output: (T, B, num_directions * H) (or batch-first), the top layer's h_t at every step;
            the final state(s), each (num_layers * num_directions, B, H).
        """
        self._check_input(x)
        if self.batch_first:
            x = x.transpose(0, 1)  # (T, B, D)
        states = self._check_state(state, x.shape[1], x)
        if self.fused:
            output, finals = self._fused_forward(x, states)
        else:
            output, finals = self._loop_forward(x, states)
        if self.batch_first:
            output = output.transpose(0, 1)  # (B, T, H)
        return output, (finals if len(finals) == 2 else finals[0])

    def _loop_forward(self, x, states):
        layer_input = x
        finals = [[] for _ in states]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                index = layer * self.num_directions + direction
                sequence = layer_input.flip(0) if direction == 1 else layer_input
                output, last = self._layer_forward(
                    sequence, tuple(s[index] for s in states), *self._layer_weights(layer, direction)
                )
                outputs.append(output.flip(0) if direction == 1 else output)
                for kept, tensor in zip(finals, last):
                    kept.append(tensor)
            layer_input = outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=2)  # (T, B, dirs*H)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, training=True)
        return layer_input, tuple(torch.stack(kept) for kept in finals)

    def _fused_forward(self, x, states):
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
