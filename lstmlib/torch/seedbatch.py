"""Many independent recurrent networks trained as one: S *members* with stacked weights, one loop over time.

A chapter that compares training runs over seeds, initialisations and learning rates trains dozens of
small networks. Run one after another, each pays the same per-step overhead of a Python loop over time;
stacked, the S members share one loop and each step is one batched matrix product (``torch.baddbmm``)
for all of them. Nothing couples the members: member s computes exactly what a ``torch.nn.LSTM`` (or
``torch.nn.RNN``, ``torch.nn.Linear``) with member s's weights computes, and its gradient is that
module's gradient (the tests hold them equal on shared weights, and check the hand-written backward
with ``gradcheck``).

Layout: time first, members second, ``(T, S, B, D)``. Parameters carry ``torch.nn``'s names and
shapes with a leading S: ``weight_ih`` (S, 4H, D), ``weight_hh`` (S, 4H, H), ``bias_ih``, ``bias_hh``
(S, 4H), LSTM gates in the order i, f, g, o (the RNN: (S, H, D), (S, H, H), (S, H)).

- ``SeedBatchedLSTM``, ``SeedBatchedRNN``, ``SeedBatchedLinear``: the layers; ``stack``/``unstack``
  move weights from and to S ``torch.nn`` modules.
- ``init_gate_bias``: set one gate's bias (b_ih rows to a value, b_hh rows to 0) for chosen members.
- ``clip_grad_norm_per_member``: ``torch.nn.utils.clip_grad_norm_`` applied to each member alone.
- ``SeedBatchedAdam``: Adam with one learning rate per member, and members that can be frozen.

The recurrences are those of chapter 5 and chapter 2: (1)-(5) for the LSTM, (R1) for the RNN.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.autograd.function import once_differentiable

Tensor = torch.Tensor

__all__ = [
    "seedbatch_lstm_forward",
    "seedbatch_rnn_forward",
    "SeedBatchedLSTM",
    "SeedBatchedRNN",
    "SeedBatchedLinear",
    "init_gate_bias",
    "clip_grad_norm_per_member",
    "SeedBatchedAdam",
]

GATES = ("i", "f", "g", "o")  # torch.nn.LSTM's order of the four row blocks


def _input_projection(x: Tensor, W_ih: Tensor, b_ih: Tensor, b_hh: Tensor) -> Tensor:
    """W_ih x_t + b_ih + b_hh for every t and member: x (T, S, B, D) -> (T, S, B, G), a new tensor."""
    return torch.matmul(x, W_ih.transpose(1, 2)).add_((b_ih + b_hh).unsqueeze(1))


def _g_rows_doubled(W: Tensor, H: int) -> Tensor:
    """A copy of W (S, 4H, ...) with the candidate's rows (g, the third quarter) times 2: tanh(z) = 2σ(2z) - 1
    lets one sigmoid call cover all four gates (tanh is the slowest elementwise call of the loop)."""
    W = W.clone()
    W[:, 2 * H : 3 * H] *= 2
    return W


def _backward_products(d_pre_t, x_t, h_prev, W_hh, d_weight_ih, d_weight_hh, d_output_prev):
    """One step back: accumulate dW_ih += d_pre_t^T x_t and dW_hh += d_pre_t^T h_{t-1} (each member its own),
    and return dL/dh_{t-1} = d_output_{t-1} + d_pre_t W_hh."""
    d_pre_T = d_pre_t.transpose(1, 2)  # (S, G, B)
    d_weight_ih.baddbmm_(d_pre_T, x_t)
    d_weight_hh.baddbmm_(d_pre_T, h_prev)
    return torch.bmm(d_pre_t, W_hh) if d_output_prev is None else torch.baddbmm(d_output_prev, d_pre_t, W_hh)


class _SeedLSTMLayer(torch.autograd.Function):
    """S LSTM layers over a whole sequence: forward by (1)-(5), backward through time by hand.

    Arrays are time-major, (T, S, B, ...): each step works on contiguous (S, B, ...) slices, so that each
    product is one batched call."""

    @staticmethod
    def forward(ctx, x, h0, c0, W_ih, W_hh, b_ih, b_hh):
        T, S, B, _ = x.shape
        H = h0.shape[-1]
        # the loop adds W_hh h_{t-1}; the g rows are doubled so that σ of them gives (1 + tanh) / 2
        doubled_bias = _g_rows_doubled((b_ih + b_hh).unsqueeze(2), H)[..., 0]
        acts = _input_projection(x, _g_rows_doubled(W_ih, H), doubled_bias, torch.zeros_like(doubled_bias))
        weight_hh_T = _g_rows_doubled(W_hh, H).transpose(1, 2).contiguous()  # (S, H, 4H)
        cs = x.new_empty(T + 1, S, B, H)  # C_0 ... C_T
        tanh_cs = x.new_empty(T, S, B, H)
        output = x.new_empty(T, S, B, H)  # h_1 ... h_T
        cs[0] = c0
        h = h0
        for t in range(T):  # acts[t] is overwritten with i, f, C̃, o
            acts_t, c_prev, c, h_t, tanh_c = acts[t], cs[t], cs[t + 1], output[t], tanh_cs[t]
            acts_t.baddbmm_(h, weight_hh_T)  # W·[h_{t-1}, x_t] + b, (S, B, 4H)
            acts_t.sigmoid_()  # (1), (2), (4) forget, input, output gates
            g_t = acts_t[..., 2 * H : 3 * H].mul_(2).sub_(1)  # (3) candidate cell: 2σ(2z) - 1 = tanh(z)
            torch.addcmul(acts_t[..., H : 2 * H] * c_prev, acts_t[..., :H], g_t, out=c)  # (3a) cell update
            torch.tanh(c, out=tanh_c)
            torch.mul(acts_t[..., 3 * H :], tanh_c, out=h_t)  # (5) hidden state
            h = h_t
        ctx.save_for_backward(x, h0, W_ih, W_hh, output, cs, acts, tanh_cs)
        return output, output[T - 1].clone(), cs[T].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, d_output, d_h_n, d_c_n):
        x, h0, W_ih, W_hh, output, cs, acts, tanh_c = ctx.saved_tensors
        T, S, B, H = output.shape
        i, f, g, o = acts[..., :H], acts[..., H : 2 * H], acts[..., 2 * H : 3 * H], acts[..., 3 * H :]
        local = acts * (1 - acts)  # σ' for i, f, o
        torch.addcmul(torch.ones_like(g), g, g, value=-1, out=local[..., 2 * H : 3 * H])  # tanh' for C̃
        local *= torch.cat([g, cs[:-1], i, tanh_c], -1)  # ∂C_t/∂i, ∂C_t/∂f, ∂C_t/∂C̃, ∂h_t/∂o
        dh_to_dc = o * (1 - tanh_c * tanh_c)  # ∂h_t/∂C_t
        d_gates = local  # overwritten step by step with dL/d(gate pre-activations), (T, S, B, 4H)
        d_weight_ih, d_weight_hh = torch.zeros_like(W_ih), torch.zeros_like(W_hh)
        dc_next = d_c_n
        dh = d_output[T - 1] + d_h_n
        for t in range(T - 1, -1, -1):
            d_gates_t = d_gates[t]
            dc = torch.addcmul(dc_next, dh, dh_to_dc[t])
            d_gates_t.mul_(torch.cat([dc, dc, dc, dh], -1))
            dc_next = dc * f[t]
            h_prev, d_out_prev = (h0, None) if t == 0 else (output[t - 1], d_output[t - 1])
            dh = _backward_products(d_gates_t, x[t], h_prev, W_hh, d_weight_ih, d_weight_hh, d_out_prev)
        dx = torch.matmul(d_gates, W_ih) if ctx.needs_input_grad[0] else None
        d_bias = d_gates.sum((0, 2))
        return dx, dh, dc_next, d_weight_ih, d_weight_hh, d_bias, d_bias


def _runs(nonlinearity: tuple[str, ...]) -> list[tuple[slice, str]]:
    """Contiguous runs of members with the same nonlinearity: [(slice, "tanh"), (slice, "relu"), ...]."""
    runs, start = [], 0
    for s in range(1, len(nonlinearity) + 1):
        if s == len(nonlinearity) or nonlinearity[s] != nonlinearity[start]:
            runs.append((slice(start, s), nonlinearity[start]))
            start = s
    return runs


class _SeedRNNLayer(torch.autograd.Function):
    """S RNN layers over a whole sequence: forward by (R1) (tanh or ReLU per member), backward by hand."""

    @staticmethod
    def forward(ctx, x, h0, W_ih, W_hh, b_ih, b_hh, nonlinearity):
        T = x.shape[0]
        output = _input_projection(x, W_ih, b_ih, b_hh)  # (T, S, B, H), overwritten with h_t
        weight_hh_T = W_hh.transpose(1, 2).contiguous()
        runs = _runs(nonlinearity)
        h = h0
        for h_t in output.unbind(0):
            h_t.baddbmm_(h, weight_hh_T)  # W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
            for members, kind in runs:  # (R1), or its ReLU form
                if kind == "tanh":
                    h_t[members].tanh_()
                else:
                    h_t[members].clamp_(min=0)
            h = h_t
        ctx.save_for_backward(x, h0, W_ih, W_hh, output)
        ctx.runs = runs
        return output, output[T - 1].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, d_output, d_h_n):
        x, h0, W_ih, W_hh, output = ctx.saved_tensors
        T = output.shape[0]
        d_pre = torch.empty_like(output)  # ∂h_t/∂(pre-activation) first: 1 - h_t² (tanh) or [h_t > 0] (ReLU)
        for members, kind in ctx.runs:
            out_m = output[:, members]
            if kind == "tanh":
                d_pre[:, members] = 1 - out_m * out_m
            else:
                d_pre[:, members] = (out_m > 0).to(output.dtype)
        d_weight_ih, d_weight_hh = torch.zeros_like(W_ih), torch.zeros_like(W_hh)
        dh = d_output[T - 1] + d_h_n
        for t in range(T - 1, -1, -1):
            d_pre_t = d_pre[t].mul_(dh)
            h_prev, d_out_prev = (h0, None) if t == 0 else (output[t - 1], d_output[t - 1])
            dh = _backward_products(d_pre_t, x[t], h_prev, W_hh, d_weight_ih, d_weight_hh, d_out_prev)
        dx = torch.matmul(d_pre, W_ih) if ctx.needs_input_grad[0] else None
        d_bias = d_pre.sum((0, 2))
        return dx, dh, d_weight_ih, d_weight_hh, d_bias, d_bias, None


def _check_stacked(x: Tensor, h0: Tensor, W_ih: Tensor, W_hh: Tensor, gates: int) -> None:
    if x.dim() != 4:
        raise ValueError(f"x must have shape (T, S, B, D); got {tuple(x.shape)}")
    T, S, B, D = x.shape
    H = W_hh.shape[-1]
    expected = {"W_ih": (S, gates * H, D), "W_hh": (S, gates * H, H), "h0": (S, B, H)}
    for name, tensor in (("W_ih", W_ih), ("W_hh", W_hh), ("h0", h0)):
        if tuple(tensor.shape) != expected[name]:
            raise ValueError(
                f"{name} must have shape {expected[name]} for x of shape {tuple(x.shape)}; got {tuple(tensor.shape)}"
            )


def seedbatch_lstm_forward(
    x: Tensor, h0: Tensor, c0: Tensor, W_ih: Tensor, W_hh: Tensor, b_ih: Tensor, b_hh: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """S independent LSTM layers, equations (1)-(5), with a hand-written backward through time.

    Args:
        x: (T, S, B, D) inputs, member s reading x[:, s]; h0, c0: (S, B, H).
        W_ih: (S, 4H, D); W_hh: (S, 4H, H); b_ih, b_hh: (S, 4H); gates i, f, g, o.

    Returns:
        output (T, S, B, H), h_n (S, B, H), c_n (S, B, H).
    """
    _check_stacked(x, h0, W_ih, W_hh, 4)
    return _SeedLSTMLayer.apply(x, h0, c0, W_ih, W_hh, b_ih, b_hh)


def seedbatch_rnn_forward(
    x: Tensor, h0: Tensor, W_ih: Tensor, W_hh: Tensor, b_ih: Tensor, b_hh: Tensor, nonlinearity: Sequence[str]
) -> tuple[Tensor, Tensor]:
    """S independent RNN layers, (R1) h_t = φ(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), backward by hand.

    Args:
        x: (T, S, B, D); h0: (S, B, H); W_ih: (S, H, D); W_hh: (S, H, H); b_ih, b_hh: (S, H).
        nonlinearity: S names, "tanh" or "relu", one per member (φ).

    Returns:
        output (T, S, B, H), h_n (S, B, H).
    """
    _check_stacked(x, h0, W_ih, W_hh, 1)
    nonlinearity = tuple(nonlinearity)
    if len(nonlinearity) != x.shape[1] or not set(nonlinearity) <= {"tanh", "relu"}:
        raise ValueError(f"nonlinearity must be {x.shape[1]} names 'tanh' or 'relu'; got {nonlinearity!r}")
    return _SeedRNNLayer.apply(x, h0, W_ih, W_hh, b_ih, b_hh, nonlinearity)


def _stack_parameters(module: nn.Module, layers: Sequence[nn.Module], names: dict[str, str]) -> None:
    with torch.no_grad():
        for ours, theirs in names.items():
            getattr(module, ours).copy_(torch.stack([getattr(layer, theirs).detach() for layer in layers]))


class _SeedBatched(nn.Module):
    """Shared by the layers: S members, parameters with a leading S, stack/unstack to torch.nn modules."""

    _names = {name: f"{name}_l0" for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}

    def __init__(self, members: int, input_size: int, hidden_size: int, gates: int):
        super().__init__()
        for name, value in (("members", members), ("input_size", input_size), ("hidden_size", hidden_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
        self.members, self.input_size, self.hidden_size = members, input_size, hidden_size
        G = gates * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(members, G, input_size))
        self.weight_hh = nn.Parameter(torch.empty(members, G, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(members, G))
        self.bias_hh = nn.Parameter(torch.empty(members, G))
        bound = 1 / math.sqrt(hidden_size)  # torch.nn's init, every member its own draw
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def _check_input(self, x: Tensor) -> None:
        if x.dim() != 4 or x.shape[1] != self.members or x.shape[3] != self.input_size:
            raise ValueError(
                f"x must have shape (T, {self.members}, B, {self.input_size}) (time, members, batch, features); "
                f"got {tuple(x.shape)}"
            )

    def unstack(self) -> list[nn.Module]:
        """S ``torch.nn`` layers holding the members' weights (copies)."""
        layers = [self._layer() for _ in range(self.members)]
        with torch.no_grad():
            for s, layer in enumerate(layers):
                for ours, theirs in self._names.items():
                    getattr(layer, theirs).copy_(getattr(self, ours)[s])
        return layers


class SeedBatchedLSTM(_SeedBatched):
    """S independent LSTM layers (equations (1)-(5)) run as one.

    ``forward(x)``: x (T, S, B, D) -> (output (T, S, B, H), (h_n, c_n) (S, B, H)), from zero states.
    Member s equals ``torch.nn.LSTM`` with the weights ``unstack()[s]``.
    """

    def __init__(self, members: int, input_size: int, hidden_size: int):
        super().__init__(members, input_size, hidden_size, 4)

    def _layer(self) -> nn.Module:
        return nn.LSTM(self.input_size, self.hidden_size).to(self.weight_hh.device, self.weight_hh.dtype)

    @classmethod
    def stack(cls, layers: Sequence[nn.Module]) -> SeedBatchedLSTM:
        """One member per layer (``torch.nn.LSTM`` or ``lstmlib.torch.LSTM``, one layer, with biases)."""
        first = layers[0]
        module = cls(len(layers), first.input_size, first.hidden_size)
        module = module.to(first.weight_hh_l0.device, first.weight_hh_l0.dtype)
        _stack_parameters(module, layers, cls._names)
        return module

    def forward(self, x: Tensor) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        self._check_input(x)
        zeros = x.new_zeros(self.members, x.shape[2], self.hidden_size)
        output, h_n, c_n = seedbatch_lstm_forward(
            x, zeros, zeros, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh
        )
        return output, (h_n, c_n)


class SeedBatchedRNN(_SeedBatched):
    """S independent RNN layers, (R1) with tanh or ReLU chosen per member, run as one.

    ``forward(x)``: x (T, S, B, D) -> (output (T, S, B, H), h_n (S, B, H)), from a zero state.
    ``nonlinearity``: one name for all members or S names ("tanh" / "relu").
    """

    def __init__(self, members: int, input_size: int, hidden_size: int, nonlinearity: str | Sequence[str] = "tanh"):
        super().__init__(members, input_size, hidden_size, 1)
        names = (nonlinearity,) * members if isinstance(nonlinearity, str) else tuple(nonlinearity)
        if len(names) != members or not set(names) <= {"tanh", "relu"}:
            raise ValueError(f"nonlinearity must be 'tanh', 'relu' or {members} of them; got {nonlinearity!r}")
        self.nonlinearity = names

    def _layer(self) -> nn.Module:
        raise NotImplementedError  # unstack is per member here (the nonlinearity differs)

    def unstack(self) -> list[nn.Module]:
        layers = []
        with torch.no_grad():
            for s, kind in enumerate(self.nonlinearity):
                layer = nn.RNN(self.input_size, self.hidden_size, nonlinearity=kind)
                layer = layer.to(self.weight_hh.device, self.weight_hh.dtype)
                for ours, theirs in self._names.items():
                    getattr(layer, theirs).copy_(getattr(self, ours)[s])
                layers.append(layer)
        return layers

    @classmethod
    def stack(cls, layers: Sequence[nn.Module]) -> SeedBatchedRNN:
        """One member per ``torch.nn.RNN`` (or ``lstmlib.torch.RNN``) layer, keeping each one's nonlinearity."""
        first = layers[0]
        module = cls(len(layers), first.input_size, first.hidden_size, [layer.nonlinearity for layer in layers])
        module = module.to(first.weight_hh_l0.device, first.weight_hh_l0.dtype)
        _stack_parameters(module, layers, cls._names)
        return module

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        self._check_input(x)
        zeros = x.new_zeros(self.members, x.shape[2], self.hidden_size)
        return seedbatch_rnn_forward(
            x, zeros, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, self.nonlinearity
        )


class SeedBatchedLinear(nn.Module):
    """S independent linear read-outs: y[..., s, b, :] = W_s h[..., s, b, :] + b_s.

    ``weight`` (S, C, H) and ``bias`` (S, C), ``torch.nn.Linear``'s init per member. Input (S, B, H) or
    (T, S, B, H).
    """

    def __init__(self, members: int, in_features: int, out_features: int):
        super().__init__()
        self.members, self.in_features, self.out_features = members, in_features, out_features
        self.weight = nn.Parameter(torch.empty(members, out_features, in_features))
        self.bias = nn.Parameter(torch.empty(members, out_features))
        bound = 1 / math.sqrt(in_features)  # torch.nn.Linear's init: kaiming_uniform(a=√5) and its bias bound
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    @classmethod
    def stack(cls, layers: Sequence[nn.Linear]) -> SeedBatchedLinear:
        first = layers[0]
        module = cls(len(layers), first.in_features, first.out_features).to(first.weight.device, first.weight.dtype)
        _stack_parameters(module, layers, {"weight": "weight", "bias": "bias"})
        return module

    def forward(self, h: Tensor) -> Tensor:
        if h.dim() not in (3, 4) or h.shape[-3] != self.members or h.shape[-1] != self.in_features:
            raise ValueError(
                f"input must have shape (S, B, H) or (T, S, B, H) with S = {self.members}, H = {self.in_features}; "
                f"got {tuple(h.shape)}"
            )
        if h.dim() == 3:
            return torch.baddbmm(self.bias.unsqueeze(1), h, self.weight.transpose(1, 2))
        T, S, B, H = h.shape
        flat = h.transpose(0, 1).reshape(S, T * B, H)
        out = torch.baddbmm(self.bias.unsqueeze(1), flat, self.weight.transpose(1, 2))
        return out.view(S, T, B, -1).transpose(0, 1)


@torch.no_grad()
def init_gate_bias(module: SeedBatchedLSTM, gate: str, value: float, members=None) -> SeedBatchedLSTM:
    """Set one gate's bias for chosen members: rows of ``gate`` (i, f, g or o) in b_ih to ``value``, in b_hh to 0.

    So b_ih + b_hh, the bias the gate sees, is exactly ``value``. ``members``: an index, slice, list or
    bool mask over the S members (None: all). Returns the module.
    """
    if gate not in GATES:
        raise ValueError(f"gate must be one of {GATES}; got {gate!r}")
    if not isinstance(module, SeedBatchedLSTM):
        raise TypeError(f"init_gate_bias needs a SeedBatchedLSTM; got {type(module).__name__}")
    H, k = module.hidden_size, GATES.index(gate)
    rows = slice(k * H, (k + 1) * H)
    chosen = slice(None) if members is None else members
    module.bias_ih[chosen, rows] = value
    module.bias_hh[chosen, rows] = 0.0
    return module


@torch.no_grad()
def clip_grad_norm_per_member(parameters, max_norm: float) -> Tensor:
    """``torch.nn.utils.clip_grad_norm_`` for each member alone: returns the (S,) norms before clipping.

    Member s's norm is taken over slice s of every parameter's gradient; its gradients are scaled by
    min(1, max_norm / (norm + 1e-6)), as torch does for one model.
    """
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        raise ValueError("clip_grad_norm_per_member needs parameters with gradients; got none")
    norms = torch.stack([g.reshape(g.shape[0], -1).pow(2).sum(1) for g in grads]).sum(0).sqrt()  # (S,)
    scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(scale.view(-1, *([1] * (g.dim() - 1))))
    return norms


class SeedBatchedAdam:
    """Adam (Kingma & Ba 2015, torch.optim.Adam's arithmetic) on parameters with a leading member axis.

    ``lr``: one step size per member, (S,) (or a float for all). ``step(active=None)``: an (S,) bool mask;
    members that are not active keep their weights (their moments still update, which does not matter
    for a member that is never trained again).
    """

    def __init__(self, params, lr, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.params = list(params)
        S = self.params[0].shape[0]
        lr = torch.as_tensor(lr, dtype=self.params[0].dtype, device=self.params[0].device)
        self.lr = lr.expand(S).clone() if lr.dim() == 0 else lr.clone()
        if self.lr.shape != (S,) or not bool((self.lr > 0).all()):
            raise ValueError(f"lr must be positive, a float or one per member ({S},); got {lr.tolist()}")
        if any(p.shape[0] != S for p in self.params):
            shapes = [tuple(p.shape) for p in self.params]
            raise ValueError(f"every parameter must lead with the {S} members; got {shapes}")
        self.betas, self.eps, self.steps = betas, eps, 0
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self, active: Tensor | None = None) -> None:
        beta1, beta2 = self.betas
        self.steps += 1
        bias_correction1 = 1 - beta1**self.steps
        bias_correction2_sqrt = math.sqrt(1 - beta2**self.steps)
        step_size = self.lr / bias_correction1
        if active is not None:
            step_size = step_size * active.to(step_size.dtype)
        for p, m, v in zip(self.params, self.exp_avg, self.exp_avg_sq):
            if p.grad is None:
                continue
            m.lerp_(p.grad, 1 - beta1)
            v.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
            denom = (v.sqrt() / bias_correction2_sqrt).add_(self.eps)
            p.addcdiv_(m * step_size.view(-1, *([1] * (p.dim() - 1))), denom, value=-1.0)
