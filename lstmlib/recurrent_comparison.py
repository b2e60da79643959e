"""One fair comparison: the LSTM against the GRU, minGRU, minLSTM, sLSTM, mLSTM and a causal Transformer.

Every contender is one layer (``make_layer``) between the task's input and a linear read-out, with as
many parameters as the task's LSTM (within ``TOLERANCE``; ``matched_size`` finds each one's size), the
same budget of training sequences, Adam with the gradient's norm clipped at 1, and a learning rate chosen
from a small grid on validation data. Two tasks the book already has:

- ``run_adding``: chapter 7's adding problem (Hochreiter & Schmidhuber 1997, Experiment 4) with chapter
  7's protocol: every training sequence new, a run *solved* once the last ``stop_after`` (2000)
  training sequences in a row were processed correctly (|error| < 0.04), else failed when the budget is
  spent; then scored on chapter 7's fixed test set (2560 sequences, seed 0) and a validation set (seed 1)
  that chooses the learning rate.
- ``run_charlm``: chapter 8's character language model on *Hamlet* (``hamlet_split``): windows of
  ``window`` characters, a fixed number of Adam steps, bits per character on the development text
  (chooses the learning rate) and the held-out test text, every model reading the text in windows of
  the training length from a zero state (so the Transformer and the recurrent networks see the same
  context).

Each run returns one flat ``dict`` (a line of ``lstmlib/data/results/recurrent_comparison.jsonl``,
written by ``scripts/compare_recurrent.py``); ``summarize`` turns such records into the comparison table.

Starts: the LSTM on the adding problem starts gate-open (b_f = +5, b_i = -3), the start chapter 7 found
it needs; on text, and for every other model, the start is the one its module (PyTorch's or the
authors') gives.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .data import lagtasks
from .seeding import derive_seed, rng

__all__ = [
    "MODELS",
    "LABELS",
    "TOLERANCE",
    "AddingConfig",
    "CharConfig",
    "make_layer",
    "Contender",
    "build",
    "count_parameters",
    "matched_size",
    "run_adding",
    "run_charlm",
    "run_key",
    "summarize",
    "chosen_lr",
    "TASKS",
    "LRS",
    "SEEDS",
    "TUNING_SEED",
    "run",
    "load_results",
    "RESULTS",
]

MODELS = ("lstm", "gru", "mingru", "minlstm", "slstm", "mlstm", "transformer")
LABELS = {
    "lstm": "LSTM",
    "gru": "GRU",
    "mingru": "minGRU",
    "minlstm": "minLSTM",
    "slstm": "sLSTM",
    "mlstm": "mLSTM",
    "transformer": "Transformer",
}
TOLERANCE = 0.10  # every contender's parameter count is within 10 % of the LSTM's


@dataclass(frozen=True)
class AddingConfig:
    """The adding problem as a contest (chapter 7's protocol, one budget for every model)."""

    T: int = 100  # minimal sequence length (lengths are uniform in [T, T + T // 10])
    lstm_hidden: int = 16  # the LSTM's H; every other model is matched to its parameter count
    batch_size: int = 32  # sequences per Adam step
    max_sequences: int = 24_000  # the budget of training sequences per run
    stop_after: int = 2000  # sequences in a row processed correctly to count as solved (1997)
    clip: float = 1.0  # the gradient's norm is clipped to this
    val_n: int = 512  # validation sequences (seed 1): choose the learning rate
    test_n: int = 2560  # test sequences (seed 0, chapter 7's test set)
    d_model: int = 12  # the Transformer's width (its feed-forward width is matched)
    num_heads: int = 2  # the Transformer's heads
    num_layers: int = 1  # the Transformer's blocks (every recurrent model has one layer)


@dataclass(frozen=True)
class CharConfig:
    """Chapter 8's character language model on Hamlet as a contest (one budget for every model)."""

    window: int = 64  # characters per training window (and per evaluation window)
    embedding_dim: int = 32  # E, the character embedding's width
    lstm_hidden: int = 64  # the LSTM's H (about 32,000 parameters with the embedding and read-out)
    batch_size: int = 16  # windows per Adam step
    steps: int = 400  # Adam steps per run
    clip: float = 1.0  # the gradient's norm is clipped to this
    d_model: int = 32  # the Transformer's width (its feed-forward width is matched)
    num_heads: int = 2  # the Transformer's heads
    num_layers: int = 2  # the Transformer's blocks


def make_layer(
    name: str, input_size: int, size: int, *, max_len: int, d_model: int = 12, num_heads: int = 2, num_layers: int = 1
) -> tuple[nn.Module, int]:
    """The sequence layer of contender ``name`` and the width of its output.

    ``size`` is the hidden size H of the recurrent layers and the feed-forward width of the
    Transformer (whose ``d_model``, ``num_heads`` and ``num_layers`` are fixed by the task's config).
    Every layer maps x (T, B, input_size) to (output (T, B, width), state).
    """
    if name == "lstm":
        return nn.LSTM(input_size, size), size
    if name == "gru":
        return nn.GRU(input_size, size), size
    if name in ("mingru", "minlstm"):
        from .torch.minrnn import MinGRU, MinLSTM

        # the loop: on one CPU thread about 3 times as fast as the log-space scan at T ~ 100 (same results)
        return (MinGRU if name == "mingru" else MinLSTM)(input_size, size, parallel=False), size
    if name == "slstm":
        from .torch.slstm import SLSTM

        return SLSTM(input_size, size), size
    if name == "mlstm":
        from .torch.mlstm import MLSTM

        return MLSTM(input_size, size), size
    if name == "transformer":
        from .torch.transformer import CausalTransformer

        layer = CausalTransformer(input_size, d_model, num_layers, num_heads, max_len=max_len, dim_feedforward=size)
        return layer, d_model
    raise ValueError(f"name must be one of {MODELS}; got {name!r}")


class Contender(nn.Module):
    """An (optional) embedding, one sequence layer (``make_layer``) and a linear read-out.

    ``forward(x)``: x (T, B, D) features, or (T, B) token ids when built with ``vocab_size`` ->
    (T, B, output_size) read-outs at every step.
    """

    def __init__(self, name: str, input_size: int, size: int, output_size: int, *, vocab_size=None, **layer_args):
        super().__init__()
        self.name = name
        self.embed = nn.Embedding(vocab_size, input_size) if vocab_size is not None else None
        self.layer, width = make_layer(name, input_size, size, **layer_args)
        self.head = nn.Linear(width, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.embed is not None:
            x = self.embed(x)  # (T, B, E)
        hidden, _ = self.layer(x)  # (T, B, width)
        return self.head(hidden)  # (T, B, output_size)


def _layer_args(config, max_len: int) -> dict:
    shape = {"d_model": config.d_model, "num_heads": config.num_heads, "num_layers": config.num_layers}
    return {"max_len": max_len, **shape}


def _adding_max_len(config: AddingConfig) -> int:
    return config.T + config.T // 10


def build(name: str, config: AddingConfig | CharConfig, size: int, vocab_size: int | None = None) -> Contender:
    """The contender ``name`` of size ``size`` for the task of ``config`` (CharConfig needs ``vocab_size``)."""
    if isinstance(config, AddingConfig):
        return Contender(name, 2, size, 1, **_layer_args(config, _adding_max_len(config)))
    if isinstance(config, CharConfig):
        if vocab_size is None:
            raise ValueError("a character language model needs vocab_size; got None")
        args = _layer_args(config, config.window)
        return Contender(name, config.embedding_dim, size, vocab_size, vocab_size=vocab_size, **args)
    raise TypeError(f"config must be an AddingConfig or a CharConfig; got {type(config).__name__}")


def count_parameters(module: nn.Module) -> int:
    """The number of trainable weights of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def matched_size(name: str, config: AddingConfig | CharConfig, vocab_size: int | None = None) -> tuple[int, int, int]:
    """The size of ``name`` whose parameter count is closest to the LSTM's (``config.lstm_hidden``).

    Returns:
        (size, parameters, the LSTM's parameters). Raises ValueError if no size comes within ``TOLERANCE``.
    """
    target = count_parameters(build("lstm", config, config.lstm_hidden, vocab_size))
    if name == "lstm":
        return config.lstm_hidden, target, target
    counts, hi = {}, 1
    while (counts.setdefault(hi, count_parameters(build(name, config, hi, vocab_size)))) < target:
        hi *= 2  # the count grows with the size: double, then bisect for the first size at or above the target
    lo = hi // 2 + 1 if hi > 1 else 1
    while lo < hi:
        mid = (lo + hi) // 2
        counts[mid] = count_parameters(build(name, config, mid, vocab_size))
        lo, hi = (mid + 1, hi) if counts[mid] < target else (lo, mid)
    candidates = [s for s in (lo - 1, lo) if s >= 1]
    for s in candidates:
        counts.setdefault(s, count_parameters(build(name, config, s, vocab_size)))
    size = min(candidates, key=lambda s: abs(counts[s] - target))
    if abs(counts[size] / target - 1) > TOLERANCE:
        raise ValueError(f"{name}: no size has within {TOLERANCE:.0%} of the LSTM's {target} parameters")
    return size, counts[size], target


def _init(model: Contender, config) -> None:
    """The LSTM's gate-open start on the adding problem (chapter 7); every other start as built."""
    if model.name == "lstm" and isinstance(config, AddingConfig):
        from .experiments import init_gate_biases

        init_gate_biases(model.layer, forget=5.0, input=-3.0)


def _adam(model: nn.Module, lr: float) -> torch.optim.Optimizer:
    from .experiments import fused_adam

    return fused_adam(list(model.parameters()), lr)


@dataclass
class _Clock:
    wall: float = field(default_factory=time.perf_counter)
    cpu: float = field(default_factory=time.process_time)

    def read(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def _adding_tensors(n: int, T: int, seed: int, device):
    x, y, lengths = lagtasks.adding_problem(n, T, seed=seed)
    return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device), torch.from_numpy(lengths).to(device)


def _adding_predictions(model: Contender, x, lengths) -> torch.Tensor:
    out = model(x)  # (T, B, 1)
    return out[lengths - 1, torch.arange(x.shape[1], device=x.device), 0]  # (B,) at each sequence's end


@torch.no_grad()
def _adding_score(model: Contender, n: int, T: int, seed: int, device, chunk: int = 512) -> tuple[float, float]:
    """(MSE, fraction with |error| < 0.04) on ``n`` sequences drawn with the fixed ``seed``."""
    x, y, lengths = _adding_tensors(n, T, seed, device)
    model.eval()
    errors = torch.cat([
        _adding_predictions(model, x[:, k : k + chunk], lengths[k : k + chunk]) - y[k : k + chunk]
        for k in range(0, n, chunk)
    ])  # fmt: skip
    model.train()
    return float(errors.square().mean()), float((errors.abs() < lagtasks.ADDING_TOLERANCE).float().mean())


def run_key(record: dict) -> tuple:
    """What identifies a run: (task, model, seed, lr)."""
    return record["task"], record["model"], int(record["seed"]), float(record["lr"])


def run_adding(name: str, config: AddingConfig, seed: int, lr: float, *, device=None) -> dict:
    """Train contender ``name`` on the adding problem until solved or out of budget; score it.

    The seed (through ``derive_seed``) fixes the initial weights and the stream of training sequences;
    the validation (seed 1) and test (seed 0) sets are fixed.

    Returns:
        a record: task ("adding-T"), model, seed, lr, size, params, solved (bool), solved_at (training
        sequences when solved, else None), sequences seen, steps, val_mse, test_mse, test_correct,
        wall_s, cpu_s, diverged (bool).
    """
    device = device if device is not None else torch.device("cpu")
    size, params, _ = matched_size(name, config)
    stream = derive_seed(seed)
    torch.manual_seed(stream)
    model = build(name, config, size).to(device)
    _init(model, config)
    optimizer = _adam(model, lr)
    clock = _Clock()
    streak, sequences, steps, solved_at, diverged = 0, 0, 0, None, False
    while sequences < config.max_sequences:
        x, y, lengths = _adding_tensors(config.batch_size, config.T, 1_000_003 * (stream + 1) + steps, device)
        steps += 1
        prediction = _adding_predictions(model, x, lengths)
        loss = F.mse_loss(prediction, y)
        if not torch.isfinite(loss):
            diverged = True
            break
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), config.clip)
        optimizer.step()
        for good in ((prediction.detach() - y).abs() < lagtasks.ADDING_TOLERANCE).tolist():  # in a row, as in 1997
            streak = streak + 1 if good else 0
            sequences += 1
            if streak >= config.stop_after and solved_at is None:
                solved_at = sequences
        if solved_at is not None:
            break
    wall, cpu = clock.read()
    val_mse, _ = _adding_score(model, config.val_n, config.T, 1, device)
    test_mse, test_correct = _adding_score(model, config.test_n, config.T, 0, device)
    return {
        "task": f"adding-{config.T}",
        "model": name,
        "seed": seed,
        "lr": lr,
        "size": size,
        "params": params,
        "solved": solved_at is not None,
        "solved_at": solved_at,
        "sequences": sequences,
        "steps": steps,
        "val_mse": val_mse,
        "test_mse": test_mse,
        "test_correct": test_correct,
        "diverged": diverged,
        "wall_s": wall,
        "cpu_s": cpu,
        "config": asdict(config),
    }


def _windows(ids: np.ndarray, window: int) -> torch.Tensor:
    """Non-overlapping windows of ``window + 1`` ids (inputs and next-character targets): (window + 1, N)."""
    n = (len(ids) - 1) // window
    starts = np.arange(n) * window
    return torch.from_numpy(np.stack([ids[s : s + window + 1] for s in starts], axis=1))


@torch.no_grad()
def _bits_per_char(model: Contender, windows: torch.Tensor, chunk: int = 128) -> float:
    model.eval()
    total, count = 0.0, 0
    for k in range(0, windows.shape[1], chunk):
        part = windows[:, k : k + chunk]
        logits = model(part[:-1])  # (window, B, V)
        total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), part[1:].reshape(-1), reduction="sum"))
        count += part[1:].numel()
    model.train()
    return total / count / math.log(2)


def run_charlm(name: str, config: CharConfig, seed: int, lr: float, *, device=None) -> dict:
    """Train contender ``name`` as a character language model on Hamlet for ``config.steps`` Adam steps.

    Training windows (``window`` characters of the training text) are drawn at random offsets from
    the seed's stream; development and test text are read in non-overlapping windows of the same
    length, each from a zero state.

    Returns:
        a record: task ("charlm"), model, seed, lr, size, params, steps, dev_bpc, test_bpc, wall_s,
        cpu_s, diverged (bool).
    """
    from .data.text import hamlet_split

    device = device if device is not None else torch.device("cpu")
    split = hamlet_split()
    V = len(split.vocab)
    size, params, _ = matched_size(name, config, V)
    stream = derive_seed(seed)
    torch.manual_seed(stream)
    model = build(name, config, size, V).to(device)
    _init(model, config)
    optimizer = _adam(model, lr)
    train = torch.from_numpy(split.train).to(device)
    high = len(split.train) - config.window - 1
    offsets = rng(seed).integers(0, high, (config.steps, config.batch_size))  # rng(seed) = derive_seed(seed)
    columns = torch.arange(config.window + 1)[:, None]
    clock, diverged = _Clock(), False
    for step in range(config.steps):
        batch = train[torch.from_numpy(offsets[step])[None, :] + columns]  # (window + 1, B)
        logits = model(batch[:-1])
        loss = F.cross_entropy(logits.reshape(-1, V), batch[1:].reshape(-1))
        if not torch.isfinite(loss):
            diverged = True
            break
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), config.clip)
        optimizer.step()
    wall, cpu = clock.read()
    dev_bpc = _bits_per_char(model, _windows(split.dev, config.window).to(device))
    test_bpc = _bits_per_char(model, _windows(split.test, config.window).to(device))
    return {
        "task": "charlm",
        "model": name,
        "seed": seed,
        "lr": lr,
        "size": size,
        "params": params,
        "steps": config.steps,
        "dev_bpc": dev_bpc,
        "test_bpc": test_bpc,
        "diverged": diverged,
        "wall_s": wall,
        "cpu_s": cpu,
        "config": asdict(config),
    }


def _validation_score(record: dict) -> float:
    value = record["dev_bpc"] if record["task"] == "charlm" else record["val_mse"]
    return value if not record["diverged"] and math.isfinite(value) else math.inf


def chosen_lr(records: list[dict], task: str, model: str, tuning_seed: int = 0) -> float | None:
    """The learning rate of ``model``'s tuning runs (``tuning_seed``) on ``task`` with the best validation
    score (the lowest MSE or bits per character), or None when there are no such runs."""
    tuning = [r for r in records if r["task"] == task and r["model"] == model and r["seed"] == tuning_seed]
    return min(tuning, key=_validation_score)["lr"] if tuning else None


def summarize(records: list[dict], lrs: dict | None = None) -> list[dict]:
    """One row per (task, model): the runs at the chosen learning rate, aggregated over seeds.

    Args:
        records: run records (``run_adding``/``run_charlm``).
        lrs: {(task, model): lr} to use; default ``chosen_lr`` for each (task, model) found.

    Returns:
        rows with task, model, params, lr, runs, and for the adding problem solved (k of ``runs``),
        median_solved_at (over solved runs; None if none) and median_test_mse; for text median_test_bpc,
        min_test_bpc, max_test_bpc; and median_wall_s, median_cpu_s.
    """
    rows = []
    pairs = sorted({(r["task"], r["model"]) for r in records}, key=lambda p: (p[0], MODELS.index(p[1])))
    for task, model in pairs:
        lr = (lrs or {}).get((task, model), chosen_lr(records, task, model))
        runs = [r for r in records if r["task"] == task and r["model"] == model and r["lr"] == lr]
        row = {"task": task, "model": model, "params": runs[0]["params"], "lr": lr, "runs": len(runs)}
        if task == "charlm":
            bpc = [r["test_bpc"] for r in runs]
            row.update(median_test_bpc=float(np.median(bpc)), min_test_bpc=min(bpc), max_test_bpc=max(bpc))
        else:
            solved = [r["solved_at"] for r in runs if r["solved"]]
            row.update(
                solved=len(solved),
                median_solved_at=float(np.median(solved)) if solved else None,
                median_test_mse=float(np.median([r["test_mse"] for r in runs])),
            )
        row.update(
            median_wall_s=float(np.median([r["wall_s"] for r in runs])),
            median_cpu_s=float(np.median([r["cpu_s"] for r in runs])),
        )
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------------------------------
# The contest as scripts/compare_recurrent.py runs it, and its stored results

TASKS = {"charlm": CharConfig(), "adding-100": AddingConfig(T=100)}  # task name -> its config
LRS = {"charlm": (2e-3, 1e-2, 3e-2), "adding-100": (3e-3, 2e-2)}  # the Adam step sizes tried per task
SEEDS = (0, 1, 2)  # the seeds of every (task, model) at its chosen learning rate
TUNING_SEED = 0  # the seed that tries every learning rate of the grid (its best run counts as a seed)
RESULTS = Path(__file__).parent / "data" / "results" / "recurrent_comparison.jsonl"  # the stored runs


def run(task: str, model: str, seed: int, lr: float, *, device=None) -> dict:
    """One run of the contest: ``run_adding`` or ``run_charlm`` with ``TASKS[task]``'s config."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {tuple(TASKS)}; got {task!r}")
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}; got {model!r}")
    config = TASKS[task]
    runner = run_charlm if isinstance(config, CharConfig) else run_adding
    record = runner(model, config, seed, lr, device=device)
    record.update(torch=torch.__version__, threads=torch.get_num_threads(), device=str(device or "cpu"))
    return record


def load_results(path=None) -> list[dict]:
    """The stored run records (one JSON object a line), by default the committed
    ``lstmlib/data/results/recurrent_comparison.jsonl``."""
    path = Path(path) if path is not None else RESULTS
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
