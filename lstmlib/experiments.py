"""Long-time-lag experiments: train a recurrent net on a 1997 task until the paper's stopping criterion.

The three tasks of Hochreiter & Schmidhuber (1997) that chapter 7 repeats, each wrapped as a ``LagTask``
(how to draw fresh sequences, the loss, and the paper's per-sequence test of "processed correctly"),
a ``SequenceModel`` (``torch.nn.LSTM`` or a tanh ``torch.nn.RNN`` plus a linear read-out), and
``train_until_solved``, the online training loop of the paper: every sequence is new, and training stops
once the last ``stop_after`` (2000 in the paper) training sequences in a row were processed correctly,
or when the budget of sequences is spent. The model is then scored on a fixed test set (2560 sequences
in the paper). ``train_seeds_until_solved`` runs the same protocol for several seeds at once, as one
stacked model: the same initial weights and training sequences per seed as ``train_until_solved``,
for much less than the sum of their times where the per-step overhead dominates (a small plain RNN).

The criteria (``lstmlib.data.lagtasks``):

- adding problem (Experiment 4): |prediction - target| < 0.04 at the sequence end;
- temporal order (Experiment 6): every output within 0.3 of the one-hot class target;
- embedded Reber grammar (Experiment 1): at every step, the outputs above 0.5 are exactly the legal next
  symbols.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .data import lagtasks
from .device import get_device
from .seeding import derive_seed

__all__ = ["LagTask", "adding_task", "temporal_order_task", "reber_task", "SequenceModel", "LagRun",
           "train_until_solved", "train_seeds_until_solved", "solved_count", "evaluate_task",
           "input_gradient_norms"]


@dataclass(frozen=True)
class LagTask:
    """One long-time-lag task: data, loss and the paper's criterion, in one place."""

    name: str                  # e.g. "adding T=100"
    input_size: int            # D
    output_size: int           # units of the read-out
    every_step: bool           # True: an output at every step (Reber); False: one at the sequence end
    sample: Callable           # sample(n, seed) -> (x (T, B, D) float32, target, lengths (B,)) NumPy
    loss: Callable             # loss(out, target, lengths) -> scalar tensor
    correct: Callable          # correct(out, target, lengths) -> (B,) bool tensor, the paper's test
    baseline_loss: float       # the loss of the best constant answer (for plots)


def _mse(out, target, lengths):
    return F.mse_loss(out.squeeze(1), target)


def _adding_correct(out, target, lengths):
    return (out.squeeze(1) - target).abs() < lagtasks.ADDING_TOLERANCE


def adding_task(T: int = 100) -> LagTask:
    """The adding problem (1997 form); MSE loss; always answering the mean 0.5 scores MSE ~ 0.04."""
    baseline = 0.9 / 3 / 16 + 1 / 3 / 16   # Var(X1 + X2) / 16 with E[X1^2] = 0.9/3 (X1 = 0 rule)
    return LagTask(f"adding T={T}", 2, 1, False,
                   lambda n, seed: lagtasks.adding_problem(n, T, seed=seed),
                   _mse, _adding_correct, baseline)


def _ce(out, target, lengths):
    return F.cross_entropy(out, target)


def _order_correct(out, target, lengths):
    probs = out.softmax(dim=1)
    onehot = F.one_hot(target, out.shape[1]).to(probs.dtype)
    return ((probs - onehot).abs() < 0.3).all(dim=1)


def temporal_order_task(n_relevant: int = 2) -> LagTask:
    """Temporal order (6a: 2 relevant symbols, 4 classes; 6b: 3, 8 classes); softmax and cross-entropy.

    Correct, as in the paper, when every output is within 0.3 of the one-hot target (here the softmax
    probabilities, so the right class needs p > 0.7). Guessing uniformly costs log(classes)."""
    classes = 2 ** n_relevant
    return LagTask(f"temporal order {n_relevant} symbols", 8, classes, False,
                   lambda n, seed: lagtasks.temporal_order(n, n_relevant=n_relevant, seed=seed),
                   _ce, _order_correct, math.log(classes))


def _valid(out, lengths):
    return torch.arange(out.shape[0], device=out.device)[:, None] < lengths[None, :]   # (T, B)


def _reber_loss(out, target, lengths):
    valid = _valid(out, lengths).unsqueeze(2).to(out.dtype)
    per_unit = F.binary_cross_entropy_with_logits(out, target, reduction="none")
    return (per_unit * valid).sum() / (valid.sum() * out.shape[2])


def _reber_correct(out, target, lengths):
    ok = ((out > 0) == (target > 0.5)).all(dim=2)     # sigmoid > 0.5 exactly on the legal symbols
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
    return LagTask("embedded Reber", 7, 7, True, _reber_sample, _reber_loss, _reber_correct, baseline)


class SequenceModel(nn.Module):
    """A recurrent layer (``torch.nn.LSTM`` or tanh ``torch.nn.RNN``) and a linear read-out.

    ``forward(x, lengths)``: x (T, B, D), lengths (B,) -> (B, C) read at each sequence's last step, or
    (T, B, C) at every step when ``every_step``.
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, output_size: int,
                 every_step: bool = False, forget_bias: float = 0.0, input_bias: float = 0.0):
        super().__init__()
        if cell not in ("lstm", "rnn"):
            raise ValueError(f"cell must be 'lstm' or 'rnn'; got {cell!r}")
        self.cell = cell
        self.every_step = every_step
        if cell == "lstm":
            self.rnn = nn.LSTM(input_size, hidden_size)
            with torch.no_grad():   # gates i, f, g, o: rows 0..H of the bias are the input gate's, H..2H the forget gate's
                self.rnn.bias_ih_l0[:hidden_size] += input_bias
                self.rnn.bias_ih_l0[hidden_size:2 * hidden_size] += forget_bias
        else:
            self.rnn = nn.RNN(input_size, hidden_size, nonlinearity="tanh")
        self.head = nn.Linear(hidden_size, output_size)

    def forward(self, x, lengths):
        hidden, _ = self.rnn(x)                                             # (T, B, H)
        if self.every_step:
            return self.head(hidden)                                        # (T, B, C)
        last = hidden[lengths - 1, torch.arange(x.shape[1], device=x.device)]   # (B, H)
        return self.head(last)                                              # (B, C)


@dataclass
class LagRun:
    """What one training run did."""

    task: str                                       # task name
    cell: str                                       # "lstm" or "rnn"
    seed: int                                       # seed of weights and training data
    seen: list = field(default_factory=list)        # sequences seen at each log point
    loss: list = field(default_factory=list)        # mean training loss since the previous log point
    rate: list = field(default_factory=list)        # fraction processed correctly since then
    solved_at: int | None = None    # sequences seen when `stop_after` in a row were correct; None: never
    sequences: int = 0                              # sequences trained on in all
    test_loss: float = math.nan                     # on the test set, after training
    test_rate: float = math.nan                     # fraction of test sequences processed correctly


def _tensors(task, n, seed, device):
    x, target, lengths = task.sample(n, seed)
    return (torch.from_numpy(x).to(device), torch.from_numpy(np.asarray(target)).to(device),
            torch.from_numpy(np.asarray(lengths)).to(device))


@torch.no_grad()
def evaluate_task(model: SequenceModel, task: LagTask, n: int = 2560, seed: int = 0,
                  chunk: int = 512) -> tuple[float, float]:
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


def train_until_solved(task: LagTask, cell: str, *, hidden_size: int = 32, max_sequences: int = 100_000,
                       batch_size: int = 32, lr: float = 1e-2, seed: int = 0, stop_after: int | None = 2000,
                       log_every: int = 2000, clip: float | None = 1.0, forget_bias: float = 0.0,
                       input_bias: float = 0.0, halve_every: int | None = None, test_n: int = 2560, device=None) -> tuple[SequenceModel, LagRun]:
    """Train a fresh model online (every sequence new) with Adam until the paper's stopping criterion.

    Training stops once the last ``stop_after`` training sequences in a row were processed correctly
    (each judged by the forward pass that trained on it), or after ``max_sequences``. The model is then
    scored on ``test_n`` fresh test sequences (a fixed test set: the same for every run).

    Args:
        task: a ``LagTask``; cell: "lstm" or "rnn"; hidden_size: H.
        max_sequences: the budget; batch_size: sequences per Adam step; lr: Adam's step size.
        seed: seeds the weights and the training data, through ``derive_seed`` (so
            ``LSTMLIB_SEED_SHIFT`` moves both; the test set does not depend on it). ``LagRun.seed`` is
            the ``seed`` given.
        stop_after: sequences in a row that must be correct to stop (None: use the whole budget).
        log_every: record the mean loss and the fraction correct every this many sequences.
        clip: clip the gradient's norm to this (None: no clipping); forget_bias, input_bias: added to
            b_f and b_i (LSTM).
        halve_every: halve Adam's step size every this many sequences (None: keep it constant).

    Returns:
        (model, LagRun).
    """
    device = device if device is not None else get_device()
    stream = derive_seed(seed)
    torch.manual_seed(stream)
    model = SequenceModel(cell, task.input_size, hidden_size, task.output_size, task.every_step,
                          forget_bias, input_bias).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    run = LagRun(task.name, cell, seed)
    streak, window_loss, window_ok, window_n, step = 0, 0.0, 0, 0, 0
    while run.sequences < max_sequences:
        x, target, lengths = _tensors(task, batch_size, 1_000_003 * (stream + 1) + step, device)
        step += 1
        out = model(x, lengths)
        loss = task.loss(out, target, lengths)
        optimizer.zero_grad()
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        if halve_every is not None and (run.sequences + batch_size) // halve_every > run.sequences // halve_every:
            for group in optimizer.param_groups:
                group["lr"] *= 0.5
        ok = task.correct(out.detach(), target, lengths).cpu().numpy()
        for good in ok:                                  # the paper counts sequences in a row
            streak = streak + 1 if good else 0
            run.sequences += 1
            if stop_after is not None and streak >= stop_after and run.solved_at is None:
                run.solved_at = run.sequences
        window_loss += float(loss.detach()) * len(ok)
        window_ok += int(ok.sum())
        window_n += len(ok)
        if window_n >= log_every or run.solved_at is not None or run.sequences >= max_sequences:
            run.seen.append(run.sequences)
            run.loss.append(window_loss / window_n)
            run.rate.append(window_ok / window_n)
            window_loss, window_ok, window_n = 0.0, 0, 0
        if run.solved_at is not None:
            break
    run.test_loss, run.test_rate = evaluate_task(model, task, test_n)
    return model, run


class _StackedTanhRecurrence(torch.autograd.Function):
    """h_t = tanh(a_t + h_{t-1} W_hh^T) for n stacked networks, h_0 = 0, with backpropagation through time
    written out: two batched products per step and no autograd graph per step, which on a CPU is most of
    a small RNN's cost. a: (n, T, B, H) input terms (biases included); w_hh_t: (n, H, H), W_hh
    transposed. Returns the hidden states, (n, T, B, H)."""

    @staticmethod
    def forward(ctx, a, w_hh_t):
        hidden = torch.empty_like(a)
        h = a.new_zeros(a.shape[0], a.shape[2], a.shape[3])
        for t in range(a.shape[1]):
            h = torch.tanh(torch.baddbmm(a[:, t], h, w_hh_t))                         # (R1)
            hidden[:, t] = h
        ctx.save_for_backward(hidden, w_hh_t)
        return hidden

    @staticmethod
    def backward(ctx, grad_hidden):
        hidden, w_hh_t = ctx.saved_tensors
        n, T, B, H = hidden.shape
        slope = 1 - hidden * hidden                                  # tanh' at every step, at once
        grad_a = torch.empty_like(hidden)
        w_hh = w_hh_t.transpose(1, 2)
        carry = hidden.new_zeros(n, B, H)                            # dL/dh_t through h_{t+1}
        for t in reversed(range(T)):
            grad_t = (grad_hidden[:, t] + carry) * slope[:, t]       # dL/d(pre-activation at t)
            grad_a[:, t] = grad_t
            carry = torch.bmm(grad_t, w_hh)
        previous = torch.cat([hidden.new_zeros(n, 1, B, H), hidden[:, :-1]], dim=1)   # h_{t-1}
        grad_w = torch.bmm(previous.reshape(n, T * B, H).transpose(1, 2), grad_a.reshape(n, T * B, H))
        return grad_a, grad_w


class _StackedModels(nn.Module):
    """n ``SequenceModel``s of one shape as one module: each parameter stacked along a first axis of n.

    The networks share nothing: network k reads x[:, k] and its own weights, computed with batched
    matrix products (``torch.bmm``), one time step at a time, so it computes what ``SequenceModel``
    computes (equations (R1), and (1)-(5) with (3a); gate order i, f, g, o), up to rounding.
    ``forward(x, lengths)``: x (T, n, B, D), lengths (n, B) -> (n, B, C), or (T, n, B, C) when
    ``every_step``.
    """

    _NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")

    def __init__(self, models):
        super().__init__()
        first = models[0]
        self.cell, self.every_step = first.cell, first.every_step
        self.hidden_size = first.rnn.hidden_size
        for name in self._NAMES:
            self.register_parameter(name, nn.Parameter(torch.stack([getattr(m.rnn, name).detach()
                                                                    for m in models]).clone()))
        self.head_weight = nn.Parameter(torch.stack([m.head.weight.detach() for m in models]).clone())
        self.head_bias = nn.Parameter(torch.stack([m.head.bias.detach() for m in models]).clone())

    def forward(self, x, lengths):
        H = self.hidden_size
        T, n, B, D = x.shape
        bias = (self.bias_ih_l0 + self.bias_hh_l0)[:, None, :]                       # (n, 1, G)
        x_n = x.permute(1, 0, 2, 3).reshape(n, T * B, D)
        inputs = torch.baddbmm(bias, x_n, self.weight_ih_l0.transpose(1, 2)).view(n, T, B, -1)
        w_hh = self.weight_hh_l0.transpose(1, 2)                                      # (n, H, G)
        if self.cell == "rnn":
            hidden = _StackedTanhRecurrence.apply(inputs, w_hh)                       # (R1), (n, T, B, H)
        else:
            h, c, states = x.new_zeros(n, B, H), x.new_zeros(n, B, H), []
            for step in inputs.unbind(1):                     # unbind: one backward node, not T slices
                pre = torch.baddbmm(step, h, w_hh)                                    # (n, B, G)
                gates = torch.sigmoid(pre)
                i, f, o = gates[..., :H], gates[..., H:2 * H], gates[..., 3 * H:]     # (2), (1), (4)
                c = f * c + i * torch.tanh(pre[..., 2 * H:3 * H])                     # (3), (3a)
                h = o * torch.tanh(c)                                                 # (5)
                states.append(h)
            hidden = torch.stack(states, dim=1)                                       # (n, T, B, H)
        head_t = self.head_weight.transpose(1, 2)                                     # (n, H, C)
        if self.every_step:
            out = torch.baddbmm(self.head_bias[:, None, :], hidden.reshape(n, T * B, H), head_t)
            return out.view(n, T, B, -1).permute(1, 0, 2, 3)                          # (T, n, B, C)
        nets = torch.arange(n, device=x.device)[:, None]
        last = hidden[nets, lengths - 1, torch.arange(B, device=x.device)[None, :]]   # (n, B, H)
        return torch.baddbmm(self.head_bias[:, None, :], last, head_t)                # (n, B, C)

    def state_of(self, k: int) -> dict:
        """Network k's weights, as a ``SequenceModel`` state_dict."""
        state = {f"rnn.{name}": getattr(self, name)[k].detach().clone() for name in self._NAMES}
        state["head.weight"] = self.head_weight[k].detach().clone()
        state["head.bias"] = self.head_bias[k].detach().clone()
        return state


def _stack_batches(batches, every_step, device):
    """Per-network (x, target, lengths) NumPy batches -> x (T, n, B, D), target, lengths (n, B) tensors,
    zero-padded to the longest sequence of any network."""
    T = max(x.shape[0] for x, _, _ in batches)
    x = np.zeros((T, len(batches)) + batches[0][0].shape[1:], dtype=np.float32)
    if every_step:
        target = np.zeros((T, len(batches)) + batches[0][1].shape[1:], dtype=np.float32)
    else:
        target = np.stack([np.asarray(t) for _, t, _ in batches])
    for k, (xk, tk, _) in enumerate(batches):
        x[:xk.shape[0], k] = xk
        if every_step:
            target[:tk.shape[0], k] = tk
    lengths = np.stack([np.asarray(l) for _, _, l in batches])
    return (torch.from_numpy(x).to(device), torch.from_numpy(target).to(device),
            torch.from_numpy(lengths).to(device))


def train_seeds_until_solved(task: LagTask, cell: str, seeds, *, hidden_size: int = 32,
                             max_sequences: int = 100_000, batch_size: int = 32, lr: float = 1e-2,
                             stop_after: int | None = 2000, log_every: int = 2000, clip: float | None = 1.0,
                             forget_bias: float = 0.0, input_bias: float = 0.0, halve_every: int | None = None,
                             test_n: int = 2560, device=None) -> list[tuple[SequenceModel, LagRun]]:
    """``train_until_solved`` for several seeds at once, trained side by side as one stacked model.

    Run k starts from the weights and reads the training sequences that ``train_until_solved(task,
    cell, seed=seeds[k], ...)`` would; the runs are independent (each its own loss, its own gradient
    clipping, its own Adam moments; Adam works element by element), so each follows the same protocol
    and differs from a lone run only by rounding. A run that meets the stopping criterion keeps the
    weights it had then; the others go on until they do too or the budget is spent. The stacked model
    steps through time in Python, one batched matrix product per step for all the runs: that pays
    where ``torch.nn``'s per-step overhead dominates (a small plain RNN), less for an LSTM on a CPU.

    Args:
        seeds: the seeds, one run each; the other arguments as for ``train_until_solved``.

    Returns:
        a list of (model, LagRun), one per seed in order: each model a ``SequenceModel`` holding its
        run's final weights, scored on the same ``test_n`` test sequences as ``train_until_solved``.
    """
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must name at least one seed; got none")
    device = device if device is not None else get_device()
    streams = [derive_seed(s) for s in seeds]
    models = []
    for stream in streams:                    # the same initial weights as train_until_solved
        torch.manual_seed(stream)
        models.append(SequenceModel(cell, task.input_size, hidden_size, task.output_size, task.every_step,
                                    forget_bias, input_bias).to(device))
    stacked = _StackedModels(models).to(device)
    params = list(stacked.parameters())
    optimizer = torch.optim.Adam(params, lr=lr)
    n = len(seeds)
    runs = [LagRun(task.name, cell, s) for s in seeds]
    finished = [None] * n                     # weights at the moment each run stopped
    streak, window_loss = [0] * n, [0.0] * n
    window_ok, window_n = [0] * n, [0] * n
    step, sequences = 0, 0
    while sequences < max_sequences and any(state is None for state in finished):
        batches = [task.sample(batch_size, 1_000_003 * (stream + 1) + step) for stream in streams]
        x, target, lengths = _stack_batches(batches, task.every_step, device)
        step += 1
        out = stacked(x, lengths)
        if task.every_step:
            losses = [task.loss(out[:, k], target[:, k], lengths[k]) for k in range(n)]
        else:
            losses = [task.loss(out[k], target[k], lengths[k]) for k in range(n)]
        optimizer.zero_grad()
        torch.stack(losses).sum().backward()  # the runs share no weight: each gets its own gradient
        if clip is not None:                  # clip each run's gradient by its own norm
            squared = sum(p.grad.pow(2).flatten(1).sum(1) for p in params)           # (n,)
            scale = (clip / (squared.sqrt() + 1e-6)).clamp(max=1.0)
            for p in params:
                p.grad.mul_(scale.view(-1, *([1] * (p.dim() - 1))))
        optimizer.step()
        if halve_every is not None and (sequences + batch_size) // halve_every > sequences // halve_every:
            for group in optimizer.param_groups:
                group["lr"] *= 0.5
        sequences += batch_size
        for k, run in enumerate(runs):
            if finished[k] is not None:
                continue
            out_k = out[:, k] if task.every_step else out[k]
            t_k = target[:, k] if task.every_step else target[k]
            ok = task.correct(out_k.detach(), t_k, lengths[k]).cpu().numpy()
            for good in ok:                   # the paper counts sequences in a row
                streak[k] = streak[k] + 1 if good else 0
                run.sequences += 1
                if stop_after is not None and streak[k] >= stop_after and run.solved_at is None:
                    run.solved_at = run.sequences
            window_loss[k] += float(losses[k].detach()) * len(ok)
            window_ok[k] += int(ok.sum())
            window_n[k] += len(ok)
            if window_n[k] >= log_every or run.solved_at is not None or run.sequences >= max_sequences:
                run.seen.append(run.sequences)
                run.loss.append(window_loss[k] / window_n[k])
                run.rate.append(window_ok[k] / window_n[k])
                window_loss[k], window_ok[k], window_n[k] = 0.0, 0, 0
            if run.solved_at is not None or run.sequences >= max_sequences:
                finished[k] = stacked.state_of(k)
    results = []
    for k, (model, run) in enumerate(zip(models, runs)):
        model.load_state_dict(finished[k] if finished[k] is not None else stacked.state_of(k))
        run.test_loss, run.test_rate = evaluate_task(model, task, test_n)
        results.append((model, run))
    return results


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
    last = output[-1]                                     # (B, H)
    squared = torch.zeros(x.shape[0], x.shape[1], dtype=x.dtype, device=x.device)   # (T, B)
    for unit in range(last.shape[1]):                     # rows of the Jacobian, all sequences at once
        grad, = torch.autograd.grad(last[:, unit].sum(), x, retain_graph=True)
        squared += (grad ** 2).sum(dim=2)
    return squared.sqrt().flip(0).mean(dim=1).detach()
