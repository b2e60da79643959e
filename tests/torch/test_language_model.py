"""CharLM, sampling, the held-out loss over a stream, and windows of a token stream."""

import numpy as np
import pytest
import torch

from lstmlib.data import random_windows, stream_windows
from lstmlib.torch import RNN
from lstmlib.torch.decoding import sample
from lstmlib.torch.losses import stream_loss
from lstmlib.torch.models import CharLM
from lstmlib.training import generator, set_seed


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_charlm_shapes_and_state_carry(cell):
    set_seed(0)
    model = CharLM(11, 5, 7, cell=cell)
    tokens = torch.randint(0, 11, (6, 3))
    logits, state = model(tokens)
    assert logits.shape == (6, 3, 11)
    # reading the sequence in two pieces, carrying the state, gives the same logits
    first, mid = model(tokens[:4])
    second, _ = model(tokens[4:], mid)
    torch.testing.assert_close(torch.cat([first, second]), logits)
    h = state[0] if cell == "lstm" else state
    assert h.shape == (1, 3, 7)


def test_charlm_is_embedding_rnn_readout_drawn_in_that_order():
    # The chapters' hand-written model (chapter 2) had these three modules, initialized in this order.
    set_seed(3)
    model = CharLM(20, 8, 16, cell="rnn", impl="fused")
    set_seed(3)
    embed, rnn, readout = torch.nn.Embedding(20, 8), RNN(8, 16, fused=True), torch.nn.Linear(16, 20)
    torch.testing.assert_close(model.embed.weight, embed.weight, rtol=0, atol=0)
    torch.testing.assert_close(model.rnn.weight_hh_l0, rnn.weight_hh_l0, rtol=0, atol=0)
    torch.testing.assert_close(model.readout.weight, readout.weight, rtol=0, atol=0)
    tokens = torch.randint(0, 20, (5, 2))
    expected = readout(rnn(embed(tokens))[0])
    torch.testing.assert_close(model(tokens)[0], expected)
    assert model.config == dict(
        vocab_size=20, embedding_dim=8, hidden_size=16, cell="rnn", num_layers=1, dropout=0.0, impl="fused"
    )


def test_charlm_rejects_bad_tokens():
    model = CharLM(10, 4, 6)
    with pytest.raises(ValueError, match=r"in \[0, 10\); got min 0, max 10"):
        model(torch.tensor([[0], [10]]))
    with pytest.raises(TypeError, match="integer token ids"):
        model(torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"shape \(T, B\)"):
        model(torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="cell must be one of"):
        CharLM(10, 4, 6, cell="sig")


def test_sample_repeats_with_a_generator_and_follows_temperature():
    set_seed(0)
    model = CharLM(12, 4, 8, cell="gru")
    with torch.no_grad():
        model.readout.weight.mul_(30)  # distinct logits, so that a small temperature picks the argmax
    prompt = torch.tensor([[5, 5, 5, 5], [6, 6, 6, 6]])  # (T=2, B=4)
    tau = torch.tensor([1e-3, 1e-3, 5.0, 5.0])
    a, b = (sample(model, prompt, 30, tau, generator(1)) for _ in range(2))
    assert a.shape == (30, 4) and torch.equal(a, b)
    # near-zero temperature: the same sequence (the argmax) in both columns; high: they differ
    assert torch.equal(a[:, 0], a[:, 1]) and not torch.equal(a[:, 2], a[:, 3])
    assert int(a[0, 0]) == int(model(prompt)[0][-1, 0].argmax())  # the first draw: the argmax after the prompt
    c = sample(model, prompt, 200, 1.0, generator(2), exclude=range(6))
    assert int(c.min()) >= 6  # excluded tokens are never drawn
    with pytest.raises(ValueError, match="temperature must be > 0"):
        sample(model, prompt, 3, 0.0)
    with pytest.raises(ValueError, match=r"\(4,\) tensor; got \(3,\)"):
        sample(model, prompt, 3, torch.ones(3))


def test_stream_loss_is_the_mean_cross_entropy_over_parallel_pieces():
    set_seed(0)
    model = CharLM(9, 4, 8, cell="lstm")
    stream = np.random.default_rng(0).integers(0, 9, 103)
    x = torch.from_numpy(stream[:100].reshape(4, 25).T.copy())
    logits, _ = model(x[:-1])
    expected = torch.nn.functional.cross_entropy(logits.reshape(-1, 9), x[1:].reshape(-1)).item()
    assert stream_loss(model, stream, streams=4) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="too short"):
        stream_loss(model, stream[:5], streams=4)


@pytest.mark.parametrize("as_tensor", [False, True])
def test_random_windows_are_shifted_pairs_from_the_generator(as_tensor):
    stream = np.arange(100, 200)
    s = torch.from_numpy(stream) if as_tensor else stream
    x, y = random_windows(s, 10, 4, np.random.default_rng(7))
    assert x.shape == y.shape == (10, 4)
    starts = np.random.default_rng(7).integers(0, 100 - 10 - 1, 4)
    np.testing.assert_array_equal(np.asarray(x[0]), 100 + starts)
    np.testing.assert_array_equal(np.asarray(y), np.asarray(x) + 1)
    with pytest.raises(ValueError, match="at least length \\+ 2 = 102 tokens; got 100"):
        random_windows(s, 100, 4, np.random.default_rng(0))


def test_stream_windows_tile_the_stream():
    x, y = stream_windows(np.arange(23), 5)
    assert x.shape == y.shape == (5, 4)
    np.testing.assert_array_equal(x[:, 1], [5, 6, 7, 8, 9])
    np.testing.assert_array_equal(y, x + 1)
    with pytest.raises(ValueError, match="1-D"):
        stream_windows(np.zeros((3, 4)), 2)


def _table_step(table):
    """A step whose next-token log-probabilities depend only on the last token: table (V, V)."""

    def step(tokens, state):
        return table[tokens], state  # (1, B) -> (1, B, V)

    return step


def test_generate_and_greedy_decode_stop_at_eos_and_pad_after_it():
    from lstmlib.data import BOS_ID, EOS_ID, PAD_ID
    from lstmlib.torch.decoding import generate, greedy_decode

    table = torch.full((6, 6), -10.0)
    table[BOS_ID, 4] = table[4, 5] = table[5, EOS_ID] = 0.0  # <bos> -> 4 -> 5 -> <eos>
    out = greedy_decode(_table_step(table), None, batch_size=2, max_len=10)
    assert out.tolist() == [[4, 4], [5, 5], [EOS_ID, EOS_ID]]
    assert generate(_table_step(table), None, 1, max_len=2).tolist() == [[4], [5]]  # cut at max_len
    mixed = table.clone()
    mixed[BOS_ID] = torch.tensor([-10.0, -10.0, 0.0, -10.0, 0.0, -10.0])  # <eos> or 4, equally likely
    drawn = generate(_table_step(mixed), None, 64, max_len=5, temperature=1.0, generator=generator(0))
    ended = drawn[0] == EOS_ID
    assert 0 < int(ended.sum()) < 64  # some sequences end at once ...
    assert bool((drawn[1:, ended] == PAD_ID).all())  # ... and are padded after <eos>


def test_beam_search_finds_the_likelier_sequence_that_greedy_misses():
    from lstmlib.data import BOS_ID, EOS_ID
    from lstmlib.torch.decoding import beam_search, greedy_decode

    lp = torch.log
    table = torch.full((6, 6), -30.0)
    table[BOS_ID, 4], table[BOS_ID, 5] = lp(torch.tensor(0.6)), lp(torch.tensor(0.4))
    table[4, 3], table[4, EOS_ID] = lp(torch.tensor(0.55)), lp(torch.tensor(0.45))  # 4, then 3 is likelier
    table[3, EOS_ID] = 0.0
    table[5, EOS_ID] = 0.0  # 5 then surely <eos>: p = 0.4 > greedy's 0.6 * 0.55 = 0.33
    step = _table_step(table)
    assert greedy_decode(step, None, 1, max_len=5)[:, 0].tolist() == [4, 3, EOS_ID]
    assert beam_search(step, None, beam_size=2, max_len=5) == [5, EOS_ID]
    assert beam_search(step, None, beam_size=1, max_len=5) == [4, 3, EOS_ID]  # beam 1 = greedy
