"""scripts/train_charlm.py: a run is reproducible step for step, keeps its best development step, logs it."""

import importlib.util
import json
from pathlib import Path

import torch

from lstmlib.torch.models import CharLM
from lstmlib.training import load_checkpoint

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "train_charlm.py"


def _script():
    spec = importlib.util.spec_from_file_location("train_charlm", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(out, name):
    threads = torch.get_num_threads()
    try:
        _script().main(
            [
                "--hidden",
                "16",
                "--layers",
                "2",
                "--embedding",
                "8",
                "--steps",
                "6",
                "--eval-every",
                "3",
                "--batch",
                "4",
                "--window",
                "16",
                "--out",
                str(out),
                "--name",
                name,
            ]
        )
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(False)
    model, meta = load_checkpoint(out / f"{name}.pt", CharLM)
    log = [json.loads(line) for line in (out / f"{name}.log.jsonl").read_text().splitlines()]
    return model, meta, log


def test_two_runs_give_the_same_checkpoint_and_log(tmp_path):
    a, meta_a, log_a = _run(tmp_path / "a", "m")
    b, meta_b, log_b = _run(tmp_path / "b", "m")
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert ka == kb and torch.equal(va, vb), ka
    assert meta_a["step"] == meta_b["step"]
    strip = lambda log: [{k: v for k, v in r.items() if k not in ("cpu_s", "settings")} for r in log]  # noqa: E731
    assert strip(log_a) == strip(log_b)


def test_log_records_every_evaluation_and_the_best_is_kept(tmp_path):
    model, meta, log = _run(tmp_path, "m")
    assert log[0]["parameters"] == sum(p.numel() for p in model.parameters())
    evals = [r for r in log if "dev_bpc" in r]
    assert [r["step"] for r in evals] == [3, 6]
    assert meta["dev_bpc"] == min(r["dev_bpc"] for r in evals)
    assert log[-1]["done"] and log[-1]["best_step"] == meta["step"]
    assert model.config["num_layers"] == 2 and model.config["hidden_size"] == 16
