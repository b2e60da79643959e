import copy

import pytest
import torch

from lstmlib.device import available_devices
from lstmlib.torch import LSTM
from lstmlib.torch.losses import sequence_loss
from lstmlib.torch.models import EncoderDecoder, SeqToSeq, SeqToVec, VecToSeq, make_rnn
from lstmlib.training import set_seed

CELLS = ["rnn", "gru", "lstm"]


def _overfit(model, loss_fn, steps=150, lr=0.03):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    first = None
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
        first = float(loss.detach()) if first is None else first
    return first, float(loss_fn().detach())


def _pairs(B=6, S=5, T=4, V=9, seed=0):
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(3, V, (S, B), generator=g)
    lengths = torch.randint(2, S + 1, (B,), generator=g)
    lengths[0] = S
    src[torch.arange(S)[:, None] >= lengths[None, :]] = 0  # pad
    body = torch.randint(3, V, (T, B), generator=g)
    tgt = torch.cat([torch.ones(1, B, dtype=torch.long), body, torch.full((1, B), 2)])  # <bos> ... <eos>
    return src, lengths, tgt


@pytest.mark.parametrize("cell", CELLS)
def test_seq_to_vec_overfits(cell):
    set_seed(0)
    src, lengths, _ = _pairs()
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    model = SeqToVec(24, 3, vocab_size=9, cell=cell, pooling="last")
    first, last = _overfit(model, lambda: torch.nn.functional.cross_entropy(model(src, lengths), y), 80)
    assert last < 0.05 < first


@pytest.mark.parametrize("cell", CELLS)
def test_seq_to_seq_overfits(cell):
    set_seed(0)
    x = torch.randn(6, 4, 3)
    y = torch.randint(0, 4, (6, 4))
    model = SeqToSeq(24, 4, input_size=3, cell=cell)
    first, last = _overfit(model, lambda: sequence_loss(model(x), y, pad_id=-100), 100)
    assert last < 0.05 < first


@pytest.mark.parametrize("cell", CELLS)
def test_vec_to_seq_overfits_and_generates(cell):
    set_seed(0)
    _, _, tgt = _pairs()
    vec = torch.randn(6, 5)
    model = VecToSeq(5, 9, 24, cell=cell, condition="both")
    first, last = _overfit(model, lambda: sequence_loss(model(vec, tgt[:-1]), tgt[1:]), 120)
    assert last < 0.05 < first
    assert torch.equal(model.generate(vec, max_len=10), tgt[1:])  # greedy reproduces what it learned
    g1, g2 = (model.generate(vec, 10, temperature=1.0, generator=torch.Generator().manual_seed(3)) for _ in range(2))
    assert torch.equal(g1, g2)


@pytest.mark.parametrize("cell", CELLS)
def test_encoder_decoder_overfits_and_decodes(cell):
    set_seed(0)
    src, lengths, tgt = _pairs()
    model = EncoderDecoder(9, 9, 24, cell=cell, num_layers=2 if cell == "lstm" else 1)
    first, last = _overfit(model, lambda: sequence_loss(model(src, lengths, tgt[:-1]), tgt[1:]), 120)
    assert last < 0.05 < first
    greedy = model.greedy_decode(src, lengths, max_len=10)
    assert torch.equal(greedy, tgt[1:])
    assert torch.equal(model.beam_search(src, lengths, beam_size=1, max_len=10), greedy)
    assert torch.equal(model.beam_search(src, lengths, beam_size=3, max_len=10), greedy)


def test_beam_one_equals_greedy_untrained_and_beam_finds_likelier_targets():
    set_seed(1)
    src, lengths, _ = _pairs(B=8)
    model = EncoderDecoder(9, 9, 16, cell="gru")
    greedy = model.greedy_decode(src, lengths, max_len=6)
    assert torch.equal(model.beam_search(src, lengths, beam_size=1, max_len=6), greedy)

    def logp(out):  # log-probability of each decoded sequence, up to and including <eos>
        tgt_in = torch.cat([torch.ones(1, out.shape[1], dtype=torch.long), out[:-1]])
        lp = torch.log_softmax(model(src, lengths, tgt_in.clamp(min=0)), -1).gather(2, out[..., None])[..., 0]
        alive = torch.cumsum((out == 2).long(), 0) - (out == 2).long() == 0
        return (lp * alive).sum(0)

    wide = model.beam_search(src, lengths, beam_size=4, max_len=6)
    ended = (wide == 2).any(0) & (greedy == 2).any(0)
    assert bool((logp(wide)[ended] >= logp(greedy)[ended] - 1e-5).all())


def test_encoder_ignores_padding():
    set_seed(0)
    model = EncoderDecoder(9, 9, 8, cell="lstm")
    src = torch.tensor([[4, 5], [6, 7], [0, 8]])
    state = model.encode(src, torch.tensor([2, 3]))
    alone = model.encode(src[:2, :1])
    torch.testing.assert_close(state[0][:, :1], alone[0])
    torch.testing.assert_close(state[1][:, :1], alone[1])


def test_seq_to_vec_last_and_mean_pooling_ignore_padding():
    set_seed(0)
    for pooling in ("last", "mean", "max"):
        model = SeqToVec(8, 2, input_size=3, pooling=pooling)
        x = torch.randn(5, 2, 3)
        padded = x.clone()
        padded[3:, 1] = 7.0
        out = model(padded, torch.tensor([5, 3]))
        torch.testing.assert_close(out[1], model(x[:3, 1:])[0])


@pytest.mark.parametrize("cell", CELLS)
def test_impls_share_parameters(cell):
    set_seed(0)
    ours = SeqToVec(8, 2, input_size=3, cell=cell)
    theirs = SeqToVec(8, 2, input_size=3, cell=cell, impl="torch")
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(6, 4, 3)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-6)
    assert isinstance(make_rnn("lstm", 3, 4), LSTM) and isinstance(make_rnn("lstm", 3, 4, impl="torch"), torch.nn.LSTM)


def test_bad_inputs_name_expected_and_got():
    model = SeqToVec(8, 2, vocab_size=10)
    with pytest.raises(ValueError, match=r"token ids in x must be in \[0, 10\); got min 0, max 12"):
        model(torch.tensor([[0, 12]]))
    with pytest.raises(TypeError, match="integer token ids.*got dtype torch.float32"):
        model(torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"shape \(T, B\).*got \(3, 2, 1\)"):
        model(torch.zeros(3, 2, 1, dtype=torch.long))
    with pytest.raises(ValueError, match=r"empty.*got shape \(0, 2\)"):
        model(torch.zeros(0, 2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"lengths must be in \[1, 3\].*max 4"):
        model(torch.zeros(3, 2, dtype=torch.long), torch.tensor([4, 1]))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        model(torch.zeros(3, 2, dtype=torch.long), torch.tensor([3]))
    feats = SeqToVec(8, 2, input_size=3)
    with pytest.raises(ValueError, match=r"x must have shape \(T, B, 3\); got \(5, 2, 4\)"):
        feats(torch.zeros(5, 2, 4))
    with pytest.raises(ValueError, match="device meta but the model is on cpu"):
        feats(torch.zeros(5, 2, 3, device="meta"))
    with pytest.raises(ValueError, match="cell must be one of"):
        SeqToVec(8, 2, input_size=3, cell="transformer")
    with pytest.raises(ValueError, match="exactly one of input_size"):
        SeqToVec(8, 2)
    vec = VecToSeq(4, 9, 8)
    with pytest.raises(ValueError, match=r"vector must have shape \(B, 4\); got \(2, 5\)"):
        vec.generate(torch.zeros(2, 5))
    with pytest.raises(ValueError, match=r"temperature must be >= 0"):
        vec.generate(torch.zeros(2, 4), temperature=-1.0)
    ed = EncoderDecoder(9, 5, 8)
    with pytest.raises(ValueError, match=r"token ids in tgt_in must be in \[0, 5\); got min 1, max 7"):
        ed(torch.ones(3, 2, dtype=torch.long), None, torch.tensor([[1, 7]]))
    with pytest.raises(ValueError, match=r"tgt_in must have shape \(T, 2\)"):
        ed(torch.ones(3, 2, dtype=torch.long), None, torch.ones(3, 3, dtype=torch.long))
    bi = SeqToSeq(8, 2, input_size=3, bidirectional=True)
    with pytest.raises(ValueError, match="equal length"):
        bi(torch.zeros(4, 2, 3), torch.tensor([4, 2]))


@pytest.mark.parametrize("device", available_devices())
def test_architectures_run_on_every_device_and_agree_with_cpu(device):
    set_seed(0)
    src, lengths, tgt = _pairs()
    models = [
        EncoderDecoder(9, 9, 12, cell="lstm"),
        SeqToVec(12, 3, vocab_size=9, cell="gru", pooling="mean"),
        SeqToSeq(12, 9, vocab_size=9, cell="rnn"),
        VecToSeq(5, 9, 12, cell="lstm", condition="both"),
    ]
    vec = torch.randn(6, 5)
    calls = [
        lambda m, d: sequence_loss(m(src.to(d), lengths.to(d), tgt[:-1].to(d)), tgt[1:].to(d)),
        lambda m, d: m(src.to(d), lengths.to(d)).logsumexp(1).mean(),
        lambda m, d: sequence_loss(m(src.to(d), lengths.to(d)), src.to(d)),
        lambda m, d: sequence_loss(m(vec.to(d), tgt[:-1].to(d)), tgt[1:].to(d)),
    ]
    for model, call in zip(models, calls):
        on_device = copy.deepcopy(model).to(device)
        loss_cpu, loss_dev = call(model, "cpu"), call(on_device, device)
        loss_cpu.backward()
        loss_dev.backward()
        torch.testing.assert_close(loss_dev.cpu(), loss_cpu, rtol=1e-4, atol=1e-5)
        for (name, p), q in zip(model.named_parameters(), on_device.parameters()):
            torch.testing.assert_close(q.grad.cpu(), p.grad, rtol=1e-3, atol=1e-5, msg=name)
    decoded = models[0].to(device).beam_search(src.to(device), lengths.to(device), beam_size=2, max_len=5)
    assert decoded.device.type == torch.device(device).type
