"""Train chapter 8's character-level LSTM language model of *Hamlet* and save it as a checkpoint.

The chapter loads the result (``lstmlib/data/checkpoints/charlm_hamlet.pt``) rather than training a
model of this size live. The run is reproducible: a fixed seed (not shifted by ``LSTMLIB_SEED_SHIFT``),
a fixed number of threads, deterministic CPU kernels and a fixed number of steps, with a learning
rate that depends on the step only. Every evaluation is written to the log beside the checkpoint.

The split is the chapter's (``lstmlib.data.text.hamlet_split``): the last tenth of the play is the
held-out test text, never read here; the twentieth of the play before it is the development text
on which the best step is chosen; the network trains on the rest. (The n-gram baselines of the
chapter count the development text too, so they see more training text than the network.)

Usage: ``python scripts/train_charlm.py`` (``make checkpoint``; the defaults are the committed checkpoint's
settings). The committed run was started with ``--steps 3000`` and stopped after the evaluation at step
2000 (the development score had risen for four evaluations since the best, step 1600); with a learning
rate that depends on the step alone, ``--steps 2000`` reproduces it up to there. About 16 minutes of
CPU on one thread.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lstmlib.data.text import hamlet_split  # noqa: E402
from lstmlib.torch.losses import stream_loss  # noqa: E402
from lstmlib.torch.models import CharLM  # noqa: E402
from lstmlib.training import save_checkpoint  # noqa: E402

OUT = ROOT / "lstmlib" / "data" / "checkpoints"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hidden", type=int, default=256, help="H, cells per layer")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--embedding", type=int, default=32)
    p.add_argument("--dropout", type=float, default=0.25, help="on the embeddings, between layers, before the readout")
    p.add_argument("--steps", type=int, default=2000, help="training steps (mini-batches); the run stops there")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--window", type=int, default=128, help="T, characters per training window")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--half-life", type=int, default=1500, help="steps over which the learning rate halves")
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--name", default="charlm_hamlet")
    p.add_argument("--out", type=Path, default=OUT)
    return p.parse_args(argv)


def add_dropout(model: CharLM, p: float) -> None:
    """Dropout on the LSTM's inputs (the embeddings) and outputs (before the readout), in training only.

    Hooks leave the parameters, and so the ``state_dict`` of ``CharLM``, unchanged (the stack's own
    ``dropout`` acts between its layers)."""

    def on_input(module, args):
        return (torch.nn.functional.dropout(args[0], p, module.training),) + tuple(args[1:])

    def on_output(module, args, output):
        return (torch.nn.functional.dropout(output[0], p, module.training), output[1])

    model.rnn.register_forward_pre_hook(on_input)
    model.rnn.register_forward_hook(on_output)


def bits(model, ids, streams=8) -> float:
    """Held-out bits per character: ``stream_loss`` (nats) / ln 2, in evaluation mode."""
    model.eval()
    with torch.no_grad():
        loss = stream_loss(model, torch.as_tensor(ids), streams=streams)
    model.train()
    return loss / math.log(2)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(args.seed)
    split = hamlet_split()
    vocab, train, dev = split.vocab, torch.as_tensor(split.train), split.dev
    V = len(vocab)

    model = CharLM(
        V, args.embedding, args.hidden, cell="lstm", num_layers=args.layers, dropout=args.dropout, impl="fused"
    )
    add_dropout(model, args.dropout)
    n_params = sum(p.numel() for p in model.parameters())
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 0.5 ** (s / args.half_life))
    batches = torch.Generator().manual_seed(args.seed + 1)
    args.out.mkdir(parents=True, exist_ok=True)
    log_path = args.out / f"{args.name}.log.jsonl"
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    out = args.out.resolve()
    settings["out"] = str(out.relative_to(ROOT)) if out.is_relative_to(ROOT) else str(out)
    header = {
        "settings": settings,
        "parameters": n_params,
        "vocab_size": V,
        "train_chars": len(train),
        "dev_chars": len(dev),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    best, best_step, t0, running = math.inf, 0, time.process_time(), []
    with open(log_path, "w") as log:
        log.write(json.dumps(header) + "\n")
        print(json.dumps(header), flush=True)
        model.train()
        for step in range(1, args.steps + 1):
            starts = torch.randint(0, len(train) - args.window - 1, (args.batch,), generator=batches)
            idx = starts[None, :] + torch.arange(args.window + 1)[:, None]  # (T + 1, B)
            chunk = train[idx]
            logits, _ = model(chunk[:-1])
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), chunk[1:].reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            schedule.step()
            running.append(loss.item())
            if step % args.eval_every == 0 or step == args.steps:
                dev_bpc = bits(model, dev)
                record = {
                    "step": step,
                    "train_bpc": float(np.mean(running) / math.log(2)),
                    "dev_bpc": dev_bpc,
                    "lr": schedule.get_last_lr()[0],
                    "cpu_s": round(time.process_time() - t0, 1),
                }
                running = []
                if dev_bpc < best:
                    best, best_step = dev_bpc, step
                    record["saved"] = True
                    save_checkpoint(
                        model,
                        args.out / f"{args.name}.pt",
                        step=step,
                        dev_bpc=dev_bpc,
                        itos=vocab.itos,
                        settings=settings,
                    )
                log.write(json.dumps(record) + "\n")
                log.flush()
                print(json.dumps(record), flush=True)
        summary = {"done": True, "steps": args.steps, "best_step": best_step, "best_dev_bpc": best}
        log.write(json.dumps(summary) + "\n")
        print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
