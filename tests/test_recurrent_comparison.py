"""lstmlib.recurrent_comparison and scripts/compare_recurrent.py: matched sizes, tiny runs of both tasks,
the runner's resume logic, and the schema of the committed results."""

import importlib.util
import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from lstmlib import recurrent_comparison as rc
from lstmlib.data.text import hamlet_split

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "compare_recurrent.py"
V = len(hamlet_split().vocab)
TINY_ADDING = rc.AddingConfig(T=30, max_sequences=64, batch_size=16, stop_after=8, val_n=16, test_n=32)
TINY_CHAR = replace(rc.CharConfig(), steps=2, batch_size=4)


def _script():
    spec = importlib.util.spec_from_file_location("compare_recurrent", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", rc.MODELS)
def test_parameter_counts_matched(name):
    for config, vocab in ((rc.TASKS["adding-100"], None), (rc.TASKS["charlm"], V)):
        size, params, target = rc.matched_size(name, config, vocab)
        assert abs(params / target - 1) <= rc.TOLERANCE
        assert params == rc.count_parameters(rc.build(name, config, size, vocab))
        # the size is the best: one unit more or less is not closer
        for other in (size - 1, size + 1):
            if other >= 1:
                assert abs(rc.count_parameters(rc.build(name, config, other, vocab)) - target) >= abs(params - target)


@pytest.mark.parametrize("name", rc.MODELS)
def test_tiny_runs(name):
    record = rc.run_adding(name, TINY_ADDING, 0, 1e-2)
    assert record["task"] == "adding-30" and record["model"] == name
    assert record["sequences"] <= TINY_ADDING.max_sequences and 0 <= record["test_correct"] <= 1
    assert record["solved"] == (record["solved_at"] is not None)
    assert math.isfinite(record["test_mse"]) and record["cpu_s"] > 0
    again = rc.run_adding(name, TINY_ADDING, 0, 1e-2)
    assert again["test_mse"] == record["test_mse"]  # seeded: the same run twice
    text = rc.run_charlm(name, TINY_CHAR, 0, 1e-2)
    assert text["task"] == "charlm" and text["steps"] == 2
    assert 1.0 < text["test_bpc"] < 8.0 and 1.0 < text["dev_bpc"] < 8.0  # about log2(V) after two steps


def test_lstm_starts_gate_open_on_adding_only():
    torch.manual_seed(0)
    model = rc.build("lstm", TINY_ADDING, 4)
    rc._init(model, TINY_ADDING)
    H = 4
    assert torch.all(model.layer.bias_ih_l0[H : 2 * H] == 5.0) and torch.all(model.layer.bias_ih_l0[:H] == -3.0)
    text = rc.build("lstm", TINY_CHAR, 4, V)
    rc._init(text, TINY_CHAR)
    assert text.layer.bias_ih_l0.abs().max() <= 0.5  # PyTorch's start


def test_errors():
    with pytest.raises(ValueError, match="name must be one of"):
        rc.make_layer("rnn", 2, 4, max_len=10)
    with pytest.raises(ValueError, match="vocab_size"):
        rc.build("lstm", rc.CharConfig(), 8)
    with pytest.raises(TypeError, match="AddingConfig or a CharConfig"):
        rc.build("lstm", {"T": 100}, 8)
    with pytest.raises(ValueError, match="task must be one of"):
        rc.run("adding-1000", "lstm", 0, 1e-2)
    with pytest.raises(ValueError, match="model must be one of"):
        rc.run("charlm", "rnn", 0, 1e-2)


def _records():
    base = {"task": "adding-100", "model": "gru", "diverged": False, "params": 10, "wall_s": 1.0, "cpu_s": 1.0}
    return [
        {**base, "seed": 0, "lr": 0.1, "val_mse": 0.04, "test_mse": 0.04, "solved": False, "solved_at": None},
        {**base, "seed": 0, "lr": 0.01, "val_mse": 0.001, "test_mse": 0.001, "solved": True, "solved_at": 100},
        {**base, "seed": 1, "lr": 0.01, "val_mse": 0.002, "test_mse": 0.002, "solved": True, "solved_at": 300},
        {**base, "seed": 2, "lr": 0.01, "val_mse": 0.03, "test_mse": 0.03, "solved": False, "solved_at": None},
        {**base, "seed": 1, "lr": 0.1, "val_mse": math.nan, "test_mse": 0.04, "solved": False, "solved_at": None},
    ]


def test_chosen_lr_and_summarize():
    records = _records()
    assert rc.chosen_lr(records, "adding-100", "gru") == 0.01
    assert rc.chosen_lr(records, "adding-100", "lstm") is None
    diverged = [dict(r, diverged=True) if r["lr"] == 0.01 else r for r in records]
    assert rc.chosen_lr(diverged, "adding-100", "gru") == 0.1  # a diverged run is never chosen
    (row,) = rc.summarize(records)
    assert row["runs"] == 3 and row["solved"] == 2 and row["median_solved_at"] == 200.0 and row["lr"] == 0.01
    assert row["median_test_mse"] == 0.002


def test_runner_resumes(tmp_path, monkeypatch):
    script = _script()
    tasks = {"adding-30": TINY_ADDING, "charlm": TINY_CHAR}
    lrs = {"adding-30": (1e-2, 3e-2), "charlm": (1e-2,)}
    for module in (rc, script):
        monkeypatch.setattr(module, "TASKS", tasks)
        monkeypatch.setattr(module, "LRS", lrs)
    monkeypatch.setattr(script, "SEEDS", (0, 1))
    monkeypatch.delenv("LSTMLIB_SEED_SHIFT", raising=False)
    threads = torch.get_num_threads()
    out = tmp_path / "runs.jsonl"
    try:
        script.main(["--models", "lstm,mingru", "--out", str(out)])
        first = out.read_text().splitlines()
        assert len(first) == 2 * (2 + 1 + 1 + 1)  # per model: 2 tuning + 1 seed (adding), 1 + 1 (text)
        script.main(["--models", "lstm,mingru", "--out", str(out)])
        assert out.read_text().splitlines() == first  # nothing run twice
        script.main(["--models", "lstm,gru", "--tasks", "charlm", "--out", str(out)])
        assert len(out.read_text().splitlines()) == len(first) + 2  # only the new model's runs
    finally:
        torch.set_num_threads(threads)
    keys = [rc.run_key(json.loads(line)) for line in out.read_text().splitlines()]
    assert len(keys) == len(set(keys))
    with pytest.raises(SystemExit, match="unknown models"):
        script.main(["--models", "lstm,rnn", "--out", str(out)])
    monkeypatch.setenv("LSTMLIB_SEED_SHIFT", "1")
    with pytest.raises(SystemExit, match="LSTMLIB_SEED_SHIFT"):
        script.main(["--out", str(out)])


ADDING_KEYS = {"solved", "solved_at", "sequences", "steps", "val_mse", "test_mse", "test_correct"}
COMMON_KEYS = {"task", "model", "seed", "lr", "size", "params", "diverged", "wall_s", "cpu_s", "config", "torch"}


def test_committed_results():
    records = rc.load_results()
    assert records, f"no stored results in {rc.RESULTS}"
    keys = [rc.run_key(r) for r in records]
    assert len(keys) == len(set(keys))  # each run once
    for r in records:
        expected = COMMON_KEYS | (ADDING_KEYS if r["task"].startswith("adding") else {"dev_bpc", "test_bpc"})
        assert expected <= set(r), f"missing {expected - set(r)} in {rc.run_key(r)}"
        assert r["task"] in rc.TASKS and r["model"] in rc.MODELS
        assert r["config"] == rc.asdict(rc.TASKS[r["task"]])  # stored with today's settings
        assert r["threads"] == 1
    for task in rc.TASKS:
        for model in {r["model"] for r in records if r["task"] == task}:
            tuning = {r["lr"] for r in records if (r["task"], r["model"], r["seed"]) == (task, model, rc.TUNING_SEED)}
            assert tuning == set(rc.LRS[task])
            best = rc.chosen_lr(records, task, model)
            seeds = {r["seed"] for r in records if (r["task"], r["model"], r["lr"]) == (task, model, best)}
            assert seeds == set(rc.SEEDS)
            others = {r["seed"] for r in records if (r["task"], r["model"]) == (task, model) and r["lr"] != best}
            assert others <= {rc.TUNING_SEED}  # nothing but the runs a fresh `make compare` makes
    lstm_params = {r["task"]: r["params"] for r in records if r["model"] == "lstm"}
    for r in records:
        assert abs(r["params"] / lstm_params[r["task"]] - 1) <= rc.TOLERANCE
