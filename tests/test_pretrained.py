"""lstmlib.pretrained: the committed checkpoint of chapter 8 loads, matches its vocabulary and its log."""

import json
import math

import pytest
import torch

from lstmlib import pretrained
from lstmlib.data.text import hamlet_split
from lstmlib.torch.losses import stream_loss
from lstmlib.torch.models import CharLM
from lstmlib.training import save_checkpoint


def test_checkpoint_loads_and_reproduces_its_logged_score():
    model, meta = pretrained.charlm_hamlet()
    assert isinstance(model, CharLM) and not model.training
    assert model.config["num_layers"] == 2 and model.config["cell"] == "lstm"
    split = hamlet_split()
    with torch.no_grad():
        dev_bpc = stream_loss(model, split.dev, streams=8) / math.log(2)
    assert abs(dev_bpc - meta["dev_bpc"]) < 0.01
    log = [json.loads(line) for line in (pretrained.CHECKPOINTS / "charlm_hamlet.log.jsonl").read_text().splitlines()]
    kept = [r for r in log if r.get("saved")][-1]
    assert kept["step"] == meta["step"] and abs(kept["dev_bpc"] - meta["dev_bpc"]) < 1e-9


def test_checkpoint_is_small():
    assert (pretrained.CHECKPOINTS / "charlm_hamlet.pt").stat().st_size < 5 * 2**20


def test_missing_checkpoint_names_the_make_target(tmp_path, monkeypatch):
    monkeypatch.setattr(pretrained, "CHECKPOINTS", tmp_path)
    with pytest.raises(FileNotFoundError, match="make checkpoint"):
        pretrained.charlm_hamlet()


def test_other_vocabulary_is_rejected(tmp_path, monkeypatch):
    V = len(hamlet_split().vocab)
    save_checkpoint(CharLM(V, 4, 8), tmp_path / "charlm_hamlet.pt", itos=["<pad>"] * V)
    monkeypatch.setattr(pretrained, "CHECKPOINTS", tmp_path)
    with pytest.raises(ValueError, match="vocabulary"):
        pretrained.charlm_hamlet()
