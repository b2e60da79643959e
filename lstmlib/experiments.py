"""Long-time-lag experiments: train recurrent nets on a 1997 task until the paper's stopping criterion.

The three tasks of Hochreiter & Schmidhuber (1997) that chapter 7 repeats, each wrapped as a ``LagTask``
(how to draw fresh sequences, the loss, and the paper's per-sequence test of "processed correctly").
Training is online in the paper's sense: every sequence is new, and a run stops once the last
``stop_after`` (2000 in the paper) training sequences in a row were processed correctly, or when the
budget of sequences is spent. The model is then scored on a fixed test set (2560 sequences in the paper).

Two ways to train:

- ``train_group`` (what chapter 7 uses): many runs at once. Each ``Member`` names one run's network
  ("lstm" or "rnn"), start (``STARTS``: the LSTM's standard or gate-open start, the RNN's orthogonal
  or identity start), seed and Adam step size; a ``MemberGroup`` stacks the runs' weights into one
  batched model (``lstmlib.torch.seedbatch``), each run with its own loss, gradient clipping, Adam
  state and stopping point. Returns a ``GroupRun`` with "k of n solved" per row of runs.
- ``train_until_solved``: one run, a ``SequenceModel`` (the course's ``lstmlib.torch.LSTM`` on torch's
  fused kernel, or its RNN, plus a linear read-out) with a ``LagSettings``; ``solved_count`` counts runs.

The criteria (``lstmlib.data.lagtasks``):

- adding problem (Experiment 4): |prediction - target| < 0.04 at the sequence end;
- temporal order (Experiment 6): every output within 0.3 of the one-hot class target;
- embedded Reber grammar (Experiment 1): at every step, the outputs above 0.5 are exactly the legal next
  symbols.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .data import lagtasks
from .device import get_device
from .seeding import derive_seed
from .torch import LSTM, RNN
from .torch.variants import init_gate_bias

__all__ = [
    "LagTask",
    "adding_task",
    "temporal_order_task",
    "reber_task",
    "SequenceModel",
    "init_gate_biases",
    "LagRun",
    "LagSettings",
    "train_until_solved",
    "solved_count",
    "evaluate_task",
    "input_gradient_norms",
    "fused_adam",
    "STARTS",
    "Member",
    "open_gate_start",
    "MemberGroup",
    "GroupRun",
    "evaluate_group",
    "train_group",
]


@dataclass(frozen=True)
class LagTask:
    """One long-time-lag task: data, loss and the paper's criterion, in one place."""

    name: str  # e.g. "adding T=100"
    input_size: int  # D
    output_size: int  # units of the read-out
    every_step: bool  # True: an output at every step (Reber); False: one at the sequence end
    sample: Callable  # sample(n, seed) -> (x (T, B, D) float32, target, lengths (B,)) NumPy
    loss: Callable  # loss(out, target, lengths) -> scalar tensor
    correct: Callable  # correct(out, target, lengths) -> (B,) bool tensor, the paper's test
    baseline_loss: float  # the loss of the best constant answer (for plots)
    # True: loss and correct also take S members at once, with a member axis after time (every_step) or
    # first: out (T, S, B, C) or (S, B, C), target likewise, lengths (S, B) -> (S,) losses, (S, B) verdicts
    members_at_once: bool = False


def _mse(out, target, lengths):
    return (out.squeeze(-1) - target).pow(2).mean(-1)  # out (..., B, 1), target (..., B): mean over B


def _adding_correct(out, target, lengths):
    return (out.squeeze(-1) - target).abs() < lagtasks.ADDING_TOLERANCE


def adding_task(T: int = 100) -> LagTask:
    """The adding problem (1997 form); MSE loss; always answering the mean 0.5 scores MSE ~ 0.04."""
    baseline = 0.9 / 3 / 16 + 1 / 3 / 16  # Var(X1 + X2) / 16 with E[X1^2] = 0.9/3 (X1 = 0 rule)
    return LagTask(
        f"adding T={T}",
        2,
        1,
        False,
        lambda n, seed: lagtasks.adding_problem(n, T, seed=seed),
        _mse,
        _adding_correct,
        baseline,
        members_at_once=True,
    )


def _ce(out, target, lengths):  # out (..., B, C), target (..., B): mean over B
    per_sequence = F.cross_entropy(out.reshape(-1, out.shape[-1]), target.reshape(-1), reduction="none")
    return per_sequence.view(target.shape).mean(-1)


def _order_correct(out, target, lengths):
    probs = out.softmax(dim=-1)
    onehot = F.one_hot(target, out.shape[-1]).to(probs.dtype)
    return ((probs - onehot).abs() < 0.3).all(dim=-1)


def temporal_order_task(n_relevant: int = 2) -> LagTask:
    """Temporal order (6a: 2 relevant symbols, 4 classes; 6b: 3, 8 classes); softmax and cross-entropy.

    Correct, as in the paper, when every output is within 0.3 of the one-hot target (here the softmax
    probabilities, so the right class needs p > 0.7). Guessing uniformly costs log(classes)."""
    classes = 2**n_relevant
    return LagTask(
        f"temporal order {n_relevant} symbols",
        8,
        classes,
        False,
        lambda n, seed: lagtasks.temporal_order(n, n_relevant=n_relevant, seed=seed),
        _ce,
        _order_correct,
        math.log(classes),
        members_at_once=True,
    )


def _valid(out, lengths):
    """(T, B) (or (T, S, B) for lengths (S, B)): True where step t lies within the sequence."""
    steps = torch.arange(out.shape[0], device=out.device).view(-1, *([1] * lengths.dim()))
    return steps < lengths.unsqueeze(0)


def _reber_loss(out, target, lengths):  # out (T, B, C) -> scalar, or (T, S, B, C) -> (S,)
    valid = _valid(out, lengths).unsqueeze(-1).to(out.dtype)
    per_unit = F.binary_cross_entropy_with_logits(out, target, reduction="none")
    over = (0, 2, 3) if out.dim() == 4 else (0, 1, 2)  # everything but the members
    return (per_unit * valid).sum(over) / (valid.sum(over) * out.shape[-1])


def _reber_correct(out, target, lengths):
    ok = ((out > 0) == (target > 0.5)).all(dim=-1)  # sigmoid > 0.5 exactly on the legal symbols
    return (ok | ~_valid(out, lengths)).all(dim=0)


def _reber_sample(n, seed):
    x, targets, lengths, _ = lagtasks.embedded_reber(n, seed=seed)
    return x, targets, lengths


def reber_task() -> LagTask:
    """Embedded Reber grammar, next-symbol prediction with 7 sigmoid outputs (the paper's local code).

    The baseline is the binary cross-entropy of knowing nothing but each unit's overall frequency; a
    net that learns the inner Reber grammar but not the long lag does far better than that and still
    fails the criterion on the penultimate symbol of about half the strings."""
    x, targets, lengths = _reber_sample(4000, 12345)
    valid = np.arange(x.shape[0])[:, None] < lengths[None, :]
    rate = targets[valid].mean(axis=0).clip(1e-6, 1 - 1e-6)
    baseline = float(-(rate * np.log(rate) + (1 - rate) * np.log(1 - rate)).mean())
    return LagTask(
        "embedded Reber", 7, 7, True, _reber_sample, _reber_loss, _reber_correct, baseline, members_at_once=True
    )


@torch.no_grad()
def init_gate_biases(lstm: nn.Module, forget: float | None = None, input: float | None = None) -> nn.Module:
    """Start an LSTM's gates where the 1997 experiments want them: b_f = ``forget``, b_i = ``input``.

    Each is ``lstmlib.torch.variants.init_gate_bias`` (that gate's rows of b_ih set to the value, of
    b_hh to 0, in every layer; gate order i, f, g, o). None leaves PyTorch's initialization of that
    gate. Works on any layer with ``torch.nn.LSTM``'s layout; returns it.

    Raises:
        TypeError: the layer is not an LSTM with that layout; ValueError: it has no biases.
    """
    if forget is not None:
        init_gate_bias(lstm, "forget", forget)
    if input is not None:
        init_gate_bias(lstm, "input", input)
    return lstm


class SequenceModel(nn.Module):
    """A recurrent layer (the course's LSTM or tanh RNN) and a linear read-out.

    The LSTM is ``lstmlib.torch.LSTM(..., fused=True)``: the course's module and parameters (those of
    ``torch.nn.LSTM``, drawn in the same order) run by torch's fused kernel. The RNN is
    ``lstmlib.torch.RNN``: ``torch.nn.RNN``'s parameters, init and results (tested on shared weights),
    with a hand-written backward through time that runs about 1.7 times as fast on a CPU as
    ``torch.nn.RNN``'s step-by-step autograd graph. ``forget_bias`` and ``input_bias`` (LSTM only) set
    b_f and b_i at the start (``init_gate_biases``); None keeps PyTorch's initialization.

    ``forward(x, lengths)``: x (T, B, D), lengths (B,) -> (B, C) read at each sequence's last step, or
    (T, B, C) at every step when ``every_step``.
    """

    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden_size: int,
        output_size: int,
        every_step: bool = False,
        forget_bias: float | None = None,
        input_bias: float | None = None,
        nonlinearity: str = "tanh",
    ):
        super().__init__()
        if cell not in ("lstm", "rnn"):
            raise ValueError(f"cell must be 'lstm' or 'rnn'; got {cell!r}")
        self.cell = cell
        self.every_step = every_step
        if cell == "lstm":
            self.rnn = init_gate_biases(LSTM(input_size, hidden_size, fused=True), forget_bias, input_bias)
        else:
            if forget_bias is not None or input_bias is not None:
                raise ValueError(
                    f"forget_bias and input_bias are LSTM gate biases; got forget_bias={forget_bias}, "
                    f"input_bias={input_bias} for cell='rnn'"
                )
            self.rnn = RNN(input_size, hidden_size, nonlinearity=nonlinearity)
        self.head = nn.Linear(hidden_size, output_size)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        hidden, _ = self.rnn(x)  # (T, B, H)
        if self.every_step:
            return self.head(hidden)  # (T, B, C)
        last = hidden[lengths - 1, torch.arange(x.shape[1], device=x.device)]  # (B, H)
        return self.head(last)  # (B, C)


@dataclass
class LagRun:
    """What one training run did."""

    task: str  # task name
    cell: str  # "lstm" or "rnn"
    seed: int  # seed of weights and training data
    seen: list = field(default_factory=list)  # sequences seen at each log point
    loss: list = field(default_factory=list)  # mean training loss since the previous log point
    rate: list = field(default_factory=list)  # fraction processed correctly since then
    solved_at: int | None = None  # sequences seen when `stop_after` in a row were correct; None: never
    sequences: int = 0  # sequences trained on in all
    test_loss: float = math.nan  # on the test set, after training
    test_rate: float = math.nan  # fraction of test sequences processed correctly


def _tensors(task, n, seed, device):
    x, target, lengths = task.sample(n, seed)
    return (
        torch.from_numpy(x).to(device),
        torch.from_numpy(np.asarray(target)).to(device),
        torch.from_numpy(np.asarray(lengths)).to(device),
    )


@torch.no_grad()
def evaluate_task(
    model: SequenceModel, task: LagTask, n: int = 2560, seed: int = 0, chunk: int = 512
) -> tuple[float, float]:
    """(loss, fraction processed correctly) on ``n`` test sequences drawn with ``seed``."""
    device = next(model.parameters()).device
    x, target, lengths = _tensors(task, n, seed, device)
    model.eval()
    losses, weights, correct = [], [], []
    for start in range(0, n, chunk):
        part = slice(start, min(start + chunk, n))
        t_part = target[:, part] if task.every_step else target[part]
        out = model(x[:, part], lengths[part])
        # the loss is a mean over sequences (or, with every_step, over valid steps): weight chunks alike
        weights.append(float(lengths[part].sum()) if task.every_step else part.stop - part.start)
        losses.append(float(task.loss(out, t_part, lengths[part])) * weights[-1])
        correct.append(task.correct(out, t_part, lengths[part]).cpu())
    model.train()
    return sum(losses) / sum(weights), float(torch.cat(correct).float().mean())


def fused_adam(params: list, lr: float) -> torch.optim.Optimizer:
    """Adam, with torch's fused kernel where this torch has one for the device (about 5% of a training
    step saved at these sizes: one call updates every parameter); the same algorithm either way."""
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):  # older torch, or no fused kernel for this device
        return torch.optim.Adam(params, lr=lr)


@dataclass(frozen=True)
class LagSettings:
    """How ``train_until_solved`` trains: the network's size and starting gate biases, the budget, Adam.

    Chapter 7 builds one per kind of run and varies it with ``dataclasses.replace``, e.g.
    ``replace(settings, lr=1e-3)``.
    """

    hidden_size: int = 32  # H
    max_sequences: int = 100_000  # the budget of training sequences
    batch_size: int = 32  # sequences per Adam step
    lr: float = 1e-2  # Adam's step size
    stop_after: int | None = 2000  # sequences in a row that must be correct to stop (None: whole budget)
    log_every: int = 2000  # record the mean loss and the fraction correct every this many sequences
    clip: float | None = 1.0  # clip the gradient's norm to this (None: no clipping)
    forget_bias: float | None = None  # the LSTM's b_f at the start (None: PyTorch's init; see init_gate_biases)
    input_bias: float | None = None  # the LSTM's b_i at the start (None: PyTorch's init)
    halve_every: int | None = None  # halve Adam's step size every this many sequences (None: never)
    test_n: int = 2560  # test sequences scored after training

    def __post_init__(self):
        for name in ("hidden_size", "max_sequences", "batch_size", "log_every", "test_n"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
        for name in ("stop_after", "halve_every"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive integer or None; got {value!r}")
        for name in ("lr", "clip"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be positive; got {value!r}")


def train_until_solved(
    task: LagTask,
    cell: str,
    settings: LagSettings = LagSettings(),
    *,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> tuple[SequenceModel, LagRun]:
    """Train a fresh model online (every sequence new) with Adam until the paper's stopping criterion.

    Training stops once the last ``settings.stop_after`` training sequences in a row were processed
    correctly (each judged by the forward pass that trained on it), or after ``settings.max_sequences``.
    The model is then scored on ``settings.test_n`` fresh test sequences (a fixed test set: the same
    for every run).

    Args:
        task: a ``LagTask``; cell: "lstm" or "rnn"; settings: a ``LagSettings``.
        seed: seeds the weights and the training data, through ``derive_seed`` (so
            ``LSTMLIB_SEED_SHIFT`` moves both; the test set does not depend on it). ``LagRun.seed`` is
            the ``seed`` given.

    Returns:
        (model, LagRun).
    """
    device = device if device is not None else get_device()
    stream = derive_seed(seed)
    torch.manual_seed(stream)
    model = SequenceModel(
        cell,
        task.input_size,
        settings.hidden_size,
        task.output_size,
        task.every_step,
        settings.forget_bias,
        settings.input_bias,
    ).to(device)
    optimizer = fused_adam(list(model.parameters()), settings.lr)
    run = LagRun(task.name, cell, seed)
    streak, window_loss, window_ok, window_n, step = 0, 0.0, 0, 0, 0
    while run.sequences < settings.max_sequences:
        x, target, lengths = _tensors(task, settings.batch_size, 1_000_003 * (stream + 1) + step, device)
        step += 1
        out = model(x, lengths)
        loss = task.loss(out, target, lengths)
        optimizer.zero_grad()
        loss.backward()
        if settings.clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), settings.clip)
        optimizer.step()
        if (
            settings.halve_every is not None
            and (run.sequences + settings.batch_size) // settings.halve_every > run.sequences // settings.halve_every
        ):
            for group in optimizer.param_groups:
                group["lr"] *= 0.5
        ok = task.correct(out.detach(), target, lengths).cpu().numpy()
        for good in ok:  # the paper counts sequences in a row
            streak = streak + 1 if good else 0
            run.sequences += 1
            if settings.stop_after is not None and streak >= settings.stop_after and run.solved_at is None:
                run.solved_at = run.sequences
        window_loss += float(loss.detach()) * len(ok)
        window_ok += int(ok.sum())
        window_n += len(ok)
        if window_n >= settings.log_every or run.solved_at is not None or run.sequences >= settings.max_sequences:
            run.seen.append(run.sequences)
            run.loss.append(window_loss / window_n)
            run.rate.append(window_ok / window_n)
            window_loss, window_ok, window_n = 0.0, 0, 0
        if run.solved_at is not None:
            break
    run.test_loss, run.test_rate = evaluate_task(model, task, settings.test_n)
    return model, run


def solved_count(runs) -> int:
    """How many of ``runs`` (``LagRun``s, or (model, LagRun) pairs) met the stopping criterion."""
    return sum((run[1] if isinstance(run, tuple) else run).solved_at is not None for run in runs)


def input_gradient_norms(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """How much the last hidden state depends on each earlier input: ||dh_T / dx_{T-k}|| for k = 0..T-1.

    The Frobenius norm of the (H, D) Jacobian of the final hidden state with respect to the input k
    steps before the end, computed with autograd (one backward pass per hidden unit), averaged over the
    batch.

    Args:
        model: a ``torch.nn.RNN``/``LSTM``/``GRU``-like module returning (output (T, B, H), state).
        x: (T, B, D) inputs.

    Returns:
        (T,) tensor; entry k is the mean norm for the input k steps before the last.
    """
    x = x.detach().clone().requires_grad_(True)
    output, _ = model(x)
    last = output[-1]  # (B, H)
    squared = torch.zeros(x.shape[0], x.shape[1], dtype=x.dtype, device=x.device)  # (T, B)
    for unit in range(last.shape[1]):  # rows of the Jacobian, all sequences at once
        (grad,) = torch.autograd.grad(last[:, unit].sum(), x, retain_graph=True)
        squared += (grad**2).sum(dim=2)
    return squared.sqrt().flip(0).mean(dim=1).detach()


# ----------------------------------------------------------------------------------------------------
# Many runs as one: seeds, starts and learning rates trained together (lstmlib.torch.seedbatch)

STARTS = {
    "lstm": ("standard", "open"),  # PyTorch's init; forget gate open (b_f = +5) and input gate shut (b_i = -3)
    "rnn": ("orthogonal", "identity"),  # tanh RNN with orthogonal W_hh; ReLU RNN with W_hh = I (IRNN)
}


@dataclass(frozen=True)
class Member:
    """One training run inside a batched group: its network, start, seed and Adam step size.

    ``cell`` "lstm" or "rnn"; ``start`` one of ``STARTS[cell]``:

    - "standard": ``torch.nn.LSTM``'s init (every weight and bias uniform in ±1/√H, so b_f ≈ 0);
    - "open": the same, then b_f = +5 and b_i = -3 (``open_gate_start``);
    - "orthogonal": a tanh RNN, ``torch.nn.RNN``'s init with W_hh a random orthogonal matrix and the biases 0;
    - "identity": the IRNN of Le et al. (2015): ReLU, W_hh = I, biases 0, W_ih ~ N(0, 0.001²).
    """

    cell: str
    start: str
    seed: int
    lr: float

    def __post_init__(self):
        if self.cell not in STARTS:
            raise ValueError(f"cell must be 'lstm' or 'rnn'; got {self.cell!r}")
        if self.start not in STARTS[self.cell]:
            raise ValueError(f"start must be one of {STARTS[self.cell]} for cell={self.cell!r}; got {self.start!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive; got {self.lr!r}")

    @property
    def model(self) -> str:
        """The row this run belongs to, e.g. "LSTM, open gate" or "RNN, identity, lr 0.001"."""
        if self.cell == "lstm":
            return "LSTM, gate open" if self.start == "open" else "LSTM, standard start"
        return f"RNN, {self.start}, lr {self.lr:g}"


def open_gate_start(lstm: nn.Module, forget: float = 5.0, input: float = -3.0) -> nn.Module:
    """The start that opens the constant error carousel: b_f = ``forget`` and b_i = ``input``.

    On a ``torch.nn.LSTM``-layout layer (gates i, f, g, o): the f and i rows of ``bias_ih_l0`` are set to
    the values, those of ``bias_hh_l0`` to 0, so the gates see exactly these biases. Returns the layer."""
    return init_gate_biases(lstm, forget=forget, input=input)


def _member_layers(task: LagTask, member: Member, hidden_size: int) -> tuple[nn.Module, nn.Linear]:
    """The member's recurrent layer and read-out, drawn from its own seed (``derive_seed``) as
    ``SequenceModel`` draws them (recurrent layer first, then the read-out)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(member.seed))
        if member.cell == "lstm":
            layer = nn.LSTM(task.input_size, hidden_size)
            head = nn.Linear(hidden_size, task.output_size)
            if member.start == "open":
                open_gate_start(layer)
            return layer, head
        kind = "tanh" if member.start == "orthogonal" else "relu"
        layer = nn.RNN(task.input_size, hidden_size, nonlinearity=kind)
        head = nn.Linear(hidden_size, task.output_size)
        with torch.no_grad():
            if member.start == "orthogonal":
                nn.init.orthogonal_(layer.weight_hh_l0)
            else:  # Le, Jaitly & Hinton (2015)
                layer.weight_hh_l0.copy_(torch.eye(hidden_size))
                nn.init.normal_(layer.weight_ih_l0, 0.0, 1e-3)
            layer.bias_ih_l0.zero_()
            layer.bias_hh_l0.zero_()
        return layer, head


class MemberGroup(nn.Module):
    """S runs of one cell kind stacked: a ``SeedBatchedLSTM``/``SeedBatchedRNN`` and a ``SeedBatchedLinear``.

    ``forward(x, lengths)``: x (T, S, B, D), lengths (S, B) -> (S, B, C) read at each sequence's last step,
    or (T, S, B, C) at every step when ``every_step``. ``member_model(s)`` returns member s as a
    ``SequenceModel`` (same weights), for the single-network tools of chapter 7."""

    def __init__(self, task: LagTask, members: list[Member], hidden_size: int):
        super().__init__()
        from .torch.seedbatch import SeedBatchedLinear, SeedBatchedLSTM, SeedBatchedRNN

        cells = {m.cell for m in members}
        if len(cells) != 1:
            raise ValueError(f"a MemberGroup holds one cell kind; got {sorted(cells)}")
        self.members, self.task, self.hidden_size = list(members), task, hidden_size
        self.cell = cells.pop()
        pairs = [_member_layers(task, m, hidden_size) for m in members]
        stacked = SeedBatchedLSTM if self.cell == "lstm" else SeedBatchedRNN
        self.rnn = stacked.stack([layer for layer, _ in pairs])
        self.head = SeedBatchedLinear.stack([head for _, head in pairs])

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        hidden, _ = self.rnn(x)  # (T, S, B, H)
        if self.task.every_step:
            return self.head(hidden)
        S, B = lengths.shape
        last = hidden[lengths - 1, torch.arange(S, device=x.device)[:, None], torch.arange(B, device=x.device)]
        return self.head(last)  # (S, B, C)

    def member_model(self, s: int) -> SequenceModel:
        member = self.members[s]
        nonlinearity = "relu" if member.start == "identity" else "tanh"
        model = SequenceModel(
            member.cell,
            self.task.input_size,
            self.hidden_size,
            self.task.output_size,
            self.task.every_step,
            nonlinearity=nonlinearity,
        ).to(self.head.weight.device)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(model.rnn, f"{name}_l0").copy_(getattr(self.rnn, name)[s])
            model.head.weight.copy_(self.head.weight[s])
            model.head.bias.copy_(self.head.bias[s])
        return model


@dataclass
class GroupRun:
    """What a batched group of runs did: per member, the solved point and the test scores; the logs."""

    task: str
    members: list  # Member, one per run
    solved_at: list  # sequences seen when `stop_after` in a row were correct, or None
    sequences: list  # sequences each member trained on
    test_loss: list
    test_rate: list
    seen: list = field(default_factory=list)  # sequences seen at each log point
    loss: list = field(default_factory=list)  # (S,) mean training loss since the previous log point
    rate: list = field(default_factory=list)  # (S,) fraction processed correctly since then

    def runs(self, model: str | None = None) -> list[int]:
        """Indices of the members of one row (``Member.model``), or of all."""
        return [s for s, m in enumerate(self.members) if model is None or m.model == model]

    def solved(self, model: str | None = None) -> int:
        return sum(self.solved_at[s] is not None for s in self.runs(model))

    def median_solved(self, model: str | None = None) -> float:
        done = [self.solved_at[s] for s in self.runs(model) if self.solved_at[s] is not None]
        return float(np.median(done)) if done else math.nan


def _streaks(ok: np.ndarray, streak: np.ndarray):
    """Sequences in a row correct, per member, after each sequence of a batch: ok (S, B) -> (S, B)."""
    S, B = ok.shape
    index = np.arange(B)
    last_wrong = np.maximum.accumulate(np.where(ok, -1, index), axis=1)  # (S, B)
    return np.where(last_wrong < 0, streak[:, None] + index + 1, index - last_wrong)


def _sample_group(task, seeds, n, step, device):
    """One batch per distinct seed stream: x (T, K, B, D), target, lengths (K, B), padded to one T."""
    parts = [task.sample(n, 1_000_003 * (derive_seed(seed) + 1) + step) for seed in seeds]
    T = max(p[0].shape[0] for p in parts)
    x = np.zeros((T, len(seeds), n, task.input_size), dtype=np.float32)
    for k, (xk, _, _) in enumerate(parts):
        x[: xk.shape[0], k] = xk
    if task.every_step:
        target = np.zeros((T, len(seeds), n, task.output_size), dtype=np.float32)
        for k, (_, tk, _) in enumerate(parts):
            target[: tk.shape[0], k] = tk
    else:
        target = np.stack([np.asarray(p[1]) for p in parts])
    lengths = np.stack([np.asarray(p[2]) for p in parts])
    return (torch.from_numpy(x).to(device), torch.from_numpy(target).to(device), torch.from_numpy(lengths).to(device))


def _member_outputs(task, out, target, lengths, s, k):
    """Member s's outputs and its stream k's targets, in the single-model shapes ``LagTask`` expects."""
    if task.every_step:
        return out[:, s], target[:, k], lengths[k]
    return out[s], target[k], lengths[k]


@torch.no_grad()
def evaluate_group(group: MemberGroup, n: int = 2560, seed: int = 0, chunk: int = 640) -> tuple[list, list]:
    """Every member's (loss, fraction processed correctly) on the fixed test set (``n`` sequences, ``seed``)."""
    task, S = group.task, len(group.members)
    device = group.head.weight.device
    x, target, lengths = _tensors(task, n, seed, device)
    losses, correct, weights = np.zeros(S), np.zeros(S), 0.0
    for start in range(0, n, chunk):
        part = slice(start, min(start + chunk, n))
        xs = x[:, part].unsqueeze(1).expand(-1, S, -1, -1).contiguous()
        ls = lengths[part].expand(S, -1)
        out = group(xs, ls)
        t_part = target[:, part] if task.every_step else target[part]
        weight = float(lengths[part].sum()) if task.every_step else part.stop - part.start
        weights += weight
        if task.members_at_once:  # the same test sequences for every member, in one call
            t_all = t_part.unsqueeze(1).expand(-1, S, -1, -1) if task.every_step else t_part.unsqueeze(0).expand(S, -1)
            losses += task.loss(out, t_all, ls).double().cpu().numpy() * weight
            correct += task.correct(out, t_all, ls).sum(-1).double().cpu().numpy()
            continue
        for s in range(S):
            o = out[:, s] if task.every_step else out[s]
            losses[s] += float(task.loss(o, t_part, lengths[part])) * weight
            correct[s] += float(task.correct(o, t_part, lengths[part]).sum())
    return list(losses / weights), list(correct / n)


@torch.no_grad()
def _keep_final(final: MemberGroup, group: MemberGroup, alive: np.ndarray, rows: np.ndarray) -> None:
    """Copy the weights of stack rows ``rows`` (members ``alive[rows]``) into ``final``."""
    index = torch.as_tensor(alive[rows], device=final.head.weight.device)
    rows_t = torch.as_tensor(rows, device=final.head.weight.device)
    for target, source in zip(final.parameters(), group.parameters()):
        target.index_copy_(0, index, source.index_select(0, rows_t))


@torch.no_grad()
def _compact(group: MemberGroup, optimizer, alive: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Drop the stopped members from the stack and from Adam's state: the rest train on at the same cost
    per member. Returns the members still alive."""
    index = torch.as_tensor(keep, device=group.head.weight.device)
    for name, p in list(group.named_parameters()):  # new Parameters: autograd caches a leaf's shape
        module_name, attr = name.rsplit(".", 1)
        setattr(group.get_submodule(module_name), attr, nn.Parameter(p.detach().index_select(0, index)))
    optimizer.params = list(group.parameters())
    for k in range(len(optimizer.params)):
        optimizer.exp_avg[k] = optimizer.exp_avg[k].index_select(0, index)
        optimizer.exp_avg_sq[k] = optimizer.exp_avg_sq[k].index_select(0, index)
    optimizer.lr = optimizer.lr.index_select(0, index)
    group.rnn.members = group.head.members = len(keep)
    if group.cell == "rnn":
        group.rnn.nonlinearity = tuple(group.rnn.nonlinearity[k] for k in keep)
    return alive[keep]


def train_group(
    task: LagTask,
    members: list[Member],
    settings: LagSettings = LagSettings(),
    *,
    device: torch.device | str | None = None,
) -> tuple[MemberGroup, GroupRun]:
    """``train_until_solved`` for many runs at once: every member trains as if alone, in one batched model.

    Member s starts from its own seed (``Member.start``), sees its seed's stream of fresh training
    sequences (members with the same seed see the same sequences: a paired comparison), takes Adam
    steps with its own step size and its own gradient clipping, and stops (its weights frozen) once its
    last ``settings.stop_after`` training sequences in a row were processed correctly, or when the
    budget ``settings.max_sequences`` is spent, or once its loss is no longer finite (diverged, unsolved).
    Training ends when every member has stopped. Then each
    member is scored on the fixed test set. ``settings.lr`` and the gate biases are not used (the
    members carry them); ``hidden_size``, ``batch_size``, budget, ``stop_after``, ``log_every``, ``clip``
    and ``test_n`` are.

    Returns:
        (MemberGroup, GroupRun).
    """
    from .torch.seedbatch import SeedBatchedAdam, clip_grad_norm_per_member

    if not members:
        raise ValueError("train_group needs at least one Member; got none")
    device = device if device is not None else get_device()
    group = MemberGroup(task, members, settings.hidden_size).to(device)
    final = MemberGroup(task, members, settings.hidden_size).to(device)  # receives each member's last weights
    S = len(members)
    seeds = sorted({m.seed for m in members})
    alive = np.arange(S)  # the members still training, in the order of the stack
    optimizer = SeedBatchedAdam(list(group.parameters()), torch.tensor([m.lr for m in members]).to(device))
    streak = np.zeros(S, dtype=np.int64)
    solved_at: list = [None] * S
    sequences = np.zeros(S, dtype=np.int64)
    run = GroupRun(task.name, list(members), solved_at, [], [], [])
    window_loss, window_ok, window_n, seen, step = np.zeros(S), np.zeros(S), np.zeros(S), 0, 0
    B = settings.batch_size
    while len(alive) and seen < settings.max_sequences:
        x, target, lengths = _sample_group(task, seeds, B, step, device)
        step += 1
        stream_np = np.array([seeds.index(members[s].seed) for s in alive])
        stream = torch.from_numpy(stream_np).to(device)
        member_lengths = lengths.index_select(0, stream)
        out = group(x.index_select(1, stream), member_lengths)
        if task.members_at_once:  # every member's loss and verdicts in one call
            member_target = target.index_select(1 if task.every_step else 0, stream)
            member_losses = task.loss(out, member_target, member_lengths)
        else:
            parts = [_member_outputs(task, out, target, lengths, k, int(stream_np[k])) for k in range(len(alive))]
            member_losses = torch.stack([task.loss(*p) for p in parts])
        optimizer.zero_grad()
        member_losses.sum().backward()  # the members share no weight: each gets its own loss's gradient
        if settings.clip is not None:
            clip_grad_norm_per_member(optimizer.params, settings.clip)
        optimizer.step()
        with torch.no_grad():
            if task.members_at_once:
                ok = task.correct(out.detach(), member_target, member_lengths).cpu().numpy()  # (alive, B)
            else:
                ok = torch.stack([task.correct(o.detach(), t, n) for o, t, n in parts]).cpu().numpy()
        seen += B
        sequences[alive] += B
        window_loss[alive] += member_losses.detach().cpu().numpy() * B
        window_ok[alive] += ok.sum(axis=1)
        window_n[alive] += B
        # a member whose loss is no longer finite has diverged: it stops, unsolved
        done = ~np.isfinite(member_losses.detach().cpu().numpy())
        if settings.stop_after is not None:
            streaks = _streaks(ok, streak[alive])
            streak[alive] = streaks[:, -1]
            for k in np.flatnonzero(streaks[:, -1] >= settings.stop_after):
                solved_at[alive[k]] = seen - B + int(np.argmax(streaks[k] >= settings.stop_after)) + 1
                done[k] = True
        if done.any() or seen >= settings.max_sequences:
            _keep_final(final, group, alive, np.flatnonzero(done | (seen >= settings.max_sequences)))
            if done.any() and seen < settings.max_sequences:
                alive = _compact(group, optimizer, alive, np.flatnonzero(~done))
        if window_n.max() >= settings.log_every or seen >= settings.max_sequences or not len(alive):
            with np.errstate(invalid="ignore", divide="ignore"):  # members that had stopped: NaN
                run.seen.append(seen)
                run.loss.append(np.where(window_n > 0, window_loss / window_n, np.nan))
                run.rate.append(np.where(window_n > 0, window_ok / window_n, np.nan))
            window_loss, window_ok, window_n = np.zeros(S), np.zeros(S), np.zeros(S)
    if len(alive) and seen < settings.max_sequences:  # cannot happen: the loop ends on one of the two
        _keep_final(final, group, alive, np.arange(len(alive)))
    group = final
    run.sequences = [int(n) for n in sequences]
    run.test_loss, run.test_rate = evaluate_group(group, settings.test_n)
    return group, run
