"""Run the comparison of chapter 11 and append each run to lstmlib/data/results/recurrent_comparison.jsonl.

For every task (``TASKS``) and model (``MODELS``): the tuning seed tries every learning rate of the task's
grid (``LRS``); the rate with the best validation score (``chosen_lr``) is then run with the other seeds
(``SEEDS``). One JSON line per (task, model, seed, lr) run is appended as soon as it ends; runs already
in the file are skipped, so the script resumes where it stopped. Seeded and deterministic on one CPU
thread (the default), with LSTMLIB_SEED_SHIFT unset.

    python scripts/compare_recurrent.py                       # everything (about 20 minutes on one core)
    python scripts/compare_recurrent.py --models lstm,gru --tasks charlm
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import torch
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from lstmlib.recurrent_comparison import (  # noqa: E402
    LRS,
    MODELS,
    RESULTS,
    SEEDS,
    TASKS,
    TUNING_SEED,
    chosen_lr,
    load_results,
    run,
    run_key,
)
from lstmlib.seeding import seed_shift  # noqa: E402


def _names(text: str, allowed, what: str) -> list[str]:
    names = [n for n in text.split(",") if n]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise SystemExit(f"unknown {what} {unknown}; choose from {list(allowed)}")
    return names


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated, from " + ",".join(MODELS))
    parser.add_argument("--tasks", default=",".join(TASKS), help="comma-separated, from " + ",".join(TASKS))
    parser.add_argument("--out", type=Path, default=RESULTS, help="the JSON-lines file to append to")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: the stored results)")
    args = parser.parse_args(argv)
    models, tasks = _names(args.models, MODELS, "models"), _names(args.tasks, TASKS, "tasks")
    if seed_shift() != 0:
        raise SystemExit("unset LSTMLIB_SEED_SHIFT: the stored results are the unshifted seeds")
    torch.set_num_threads(args.threads)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    records = load_results(args.out)
    done = {run_key(r) for r in records}
    total = sum(len(LRS[t]) + len(SEEDS) - 1 for t in tasks for _ in models)
    bar = tqdm(total=total, desc="runs", unit="run", disable=os.environ.get("TQDM_DISABLE", "") not in ("", "0"))

    def ensure(task, model, seed, lr):
        if (task, model, seed, float(lr)) not in done:
            bar.set_postfix_str(f"{task} {model} seed {seed} lr {lr:g}")
            record = run(task, model, seed, lr)
            with args.out.open("a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
            records.append(record)
            done.add(run_key(record))
        bar.update(1)

    for task in tasks:
        for model in models:
            for lr in LRS[task]:
                ensure(task, model, TUNING_SEED, lr)
            best = chosen_lr(records, task, model, TUNING_SEED)
            for seed in SEEDS:
                if seed != TUNING_SEED:
                    ensure(task, model, seed, best)
    bar.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
