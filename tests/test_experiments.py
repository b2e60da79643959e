"""lstmlib.experiments: the tasks' criteria, the model's read-out, the stopping rule, the gradient probe."""

import dataclasses
import re

import numpy as np
import pytest
import torch

from lstmlib.data import lagtasks
from lstmlib.experiments import (
    LagSettings,
    LagTask,
    SequenceModel,
    adding_task,
    evaluate_task,
    input_gradient_norms,
    reber_task,
    solved_count,
    temporal_order_task,
    train_until_solved,
)


def test_adding_baseline_is_the_variance_of_the_targets():
    task = adding_task(100)
    _, y, _ = task.sample(20000, 3)
    assert task.baseline_loss == pytest.approx(np.var(y), rel=0.03)


def test_adding_criterion_is_the_papers_tolerance():
    task = adding_task(30)
    _, y, lengths = task.sample(8, 0)
    y = torch.from_numpy(y)
    assert task.correct((y + 0.039).unsqueeze(1), y, None).all()
    assert not task.correct((y - 0.041).unsqueeze(1), y, None).any()


def test_temporal_order_criterion_needs_probability_above_0_7():
    task = temporal_order_task(2)
    target = torch.tensor([0, 0])
    probs = torch.tensor([[0.8, 0.1, 0.05, 0.05], [0.6, 0.2, 0.1, 0.1]])
    assert task.correct(probs.log(), target, None).tolist() == [True, False]
    assert np.mean(task.correct(probs.log(), target, None).numpy()) == lagtasks.temporal_order_success(
        probs.numpy(), target.numpy()
    )


def test_reber_criterion_agrees_with_lagtasks():
    task = reber_task()
    x, targets, lengths = task.sample(64, 5)
    rng = np.random.default_rng(0)
    logits = torch.from_numpy(np.where(targets > 0.5, 2.0, -2.0) + rng.normal(0, 0.9, targets.shape))
    ours = task.correct(logits, torch.from_numpy(targets), torch.from_numpy(lengths)).float().mean()
    theirs = lagtasks.reber_success(torch.sigmoid(logits).numpy(), targets, lengths)
    assert 0 < theirs < 1 and float(ours) == pytest.approx(theirs)


def test_reber_baseline_is_below_log2():
    assert 0.2 < reber_task().baseline_loss < np.log(2)


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_model_reads_each_sequence_at_its_own_last_step(cell):
    torch.manual_seed(0)
    model = SequenceModel(cell, 2, 5, 1)
    x, _, lengths = adding_problem_tensors(3)
    together = model(x, lengths)  # (B, 1), padded batch
    for b in range(3):
        alone = model(x[: lengths[b], b : b + 1], lengths[b : b + 1])
        torch.testing.assert_close(together[b], alone[0])


def adding_problem_tensors(n):
    x, y, lengths = lagtasks.adding_problem(n, T=30, seed=1)
    assert len(set(lengths.tolist())) > 1  # the batch really is ragged
    return torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(lengths)


def test_every_step_model_outputs_every_step():
    model = SequenceModel("rnn", 7, 4, 7, every_step=True)
    assert model(torch.zeros(6, 3, 7), torch.tensor([6, 2, 4])).shape == (6, 3, 7)


def test_gate_biases_are_set_in_the_input_and_forget_rows():
    torch.manual_seed(0)
    plain = SequenceModel("lstm", 2, 4, 1)
    torch.manual_seed(0)
    biased = SequenceModel("lstm", 2, 4, 1, forget_bias=5.0, input_bias=-3.0)
    b_ih, b_hh = biased.rnn.bias_ih_l0.detach(), biased.rnn.bias_hh_l0.detach()
    torch.testing.assert_close(b_ih[:8], torch.tensor([-3.0] * 4 + [5.0] * 4))  # b_i, b_f (gates i, f, g, o)
    torch.testing.assert_close(b_hh[:8], torch.zeros(8))  # so that b_i + b_f are exactly the values
    torch.testing.assert_close(b_ih[8:], plain.rnn.bias_ih_l0.detach()[8:])  # g, o: PyTorch's init
    torch.testing.assert_close(b_hh[8:], plain.rnn.bias_hh_l0.detach()[8:])
    torch.testing.assert_close(biased.rnn.weight_hh_l0, plain.rnn.weight_hh_l0)


def test_lstm_is_the_course_lstm_on_the_fused_kernel_with_torch_nn_parameters():
    from lstmlib.torch import LSTM

    torch.manual_seed(0)
    model = SequenceModel("lstm", 2, 4, 1)
    torch.manual_seed(0)
    reference = torch.nn.LSTM(2, 4)
    assert isinstance(model.rnn, LSTM) and model.rnn.fused
    for (name, p), (ref_name, q) in zip(model.rnn.named_parameters(), reference.named_parameters()):
        assert name == ref_name
        torch.testing.assert_close(p, q, rtol=0, atol=0)  # same draws, in the same order
    x = torch.randn(9, 3, 2)
    torch.testing.assert_close(model.rnn(x)[0], reference(x)[0])


def test_gate_biases_on_an_rnn_are_a_value_error():
    with pytest.raises(ValueError, match="LSTM gate biases; got forget_bias=5.0"):
        SequenceModel("rnn", 2, 4, 1, forget_bias=5.0)


def test_unknown_cell_is_a_value_error():
    with pytest.raises(ValueError, match="cell must be 'lstm' or 'rnn'; got 'gru'"):
        SequenceModel("gru", 2, 4, 1)


def _constant_task(always_correct):
    def sample(n, seed):
        rng = np.random.default_rng(seed)
        return (
            rng.normal(size=(5, n, 2)).astype(np.float32),
            rng.normal(size=n).astype(np.float32),
            np.full(n, 5, dtype=np.int64),
        )

    return LagTask(
        "constant",
        2,
        1,
        False,
        sample,
        lambda out, y, lengths: ((out.squeeze(1) - y) ** 2).mean(),
        lambda out, y, lengths: torch.full((out.shape[0],), always_correct),
        1.0,
    )


def test_stops_once_stop_after_sequences_in_a_row_are_correct():
    settings = LagSettings(hidden_size=3, batch_size=16, stop_after=100, max_sequences=1000, log_every=50, test_n=32)
    _, run = train_until_solved(_constant_task(True), "rnn", settings, device="cpu")
    assert run.solved_at == 100 and run.sequences == 112  # the batch that crossed 100 is kept
    assert run.test_rate == 1.0 and run.seen[-1] == 112


def test_runs_the_whole_budget_when_never_correct():
    settings = LagSettings(hidden_size=3, batch_size=16, stop_after=100, max_sequences=200, log_every=64, test_n=32)
    _, run = train_until_solved(_constant_task(False), "rnn", settings, device="cpu")
    assert run.solved_at is None and run.sequences == 208 and run.test_rate == 0.0
    assert run.seen == [64, 128, 192, 208] and all(r == 0.0 for r in run.rate)


def test_same_seed_same_run():
    task = adding_task(30)
    settings = LagSettings(hidden_size=4, batch_size=8, max_sequences=64, log_every=16, test_n=16)
    _, first = train_until_solved(task, "lstm", settings, seed=3, device="cpu")
    _, second = train_until_solved(task, "lstm", settings, seed=3, device="cpu")
    _, other = train_until_solved(task, "lstm", settings, seed=4, device="cpu")
    assert first.loss == second.loss and first.test_loss == second.test_loss
    assert first.loss != other.loss


def test_evaluate_task_uses_a_fixed_test_set():
    torch.manual_seed(0)
    model = SequenceModel("rnn", 2, 4, 1)
    for task in (adding_task(30), reber_task()):
        model = SequenceModel("rnn", task.input_size, 4, task.output_size, task.every_step)
        chunked, whole = evaluate_task(model, task, n=40, chunk=16), evaluate_task(model, task, n=40)
        assert chunked[0] == pytest.approx(whole[0], rel=1e-5) and chunked[1] == whole[1]


def test_input_gradient_norms_match_the_full_jacobian():
    torch.manual_seed(0)
    rnn = torch.nn.LSTM(3, 4).double()
    x = torch.randn(6, 2, 3, dtype=torch.float64)
    norms = input_gradient_norms(rnn, x)
    jac = torch.autograd.functional.jacobian(lambda inp: rnn(inp)[0][-1], x)  # (B, H, T, B, D)
    expected = torch.stack([torch.stack([jac[b, :, t, b].norm() for b in range(2)]).mean() for t in reversed(range(6))])
    torch.testing.assert_close(norms, expected)
    assert norms[0] > 0 and norms.shape == (6,)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("hidden_size", 0, "hidden_size must be a positive integer; got 0"),
        ("batch_size", 2.0, "batch_size must be a positive integer; got 2.0"),
        ("stop_after", -5, "stop_after must be a positive integer or None; got -5"),
        ("lr", 0.0, "lr must be positive; got 0.0"),
    ],
)
def test_settings_name_what_they_expected_and_what_came(field, value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        LagSettings(**{field: value})


def test_settings_are_one_value_varied_with_replace():
    base = LagSettings(hidden_size=16, forget_bias=5.0)
    slower = dataclasses.replace(base, lr=1e-3)
    assert slower.lr == 1e-3 and slower.hidden_size == 16 and base.lr == 1e-2
    with pytest.raises(dataclasses.FrozenInstanceError):
        base.lr = 0.5


def test_solved_count_counts_runs_and_pairs():
    settings = LagSettings(hidden_size=3, batch_size=16, stop_after=100, max_sequences=200, log_every=64, test_n=32)
    runs = [train_until_solved(_constant_task(ok), "rnn", settings, seed=0, device="cpu") for ok in (True, False, True)]
    assert solved_count(runs) == 2 and solved_count([run for _, run in runs]) == 2


def test_fused_adam_takes_the_same_steps_as_adam():
    """train_until_solved's optimizer (fused where torch has it) is Adam: same updates to float32 precision."""
    import torch

    from lstmlib.experiments import SequenceModel, fused_adam

    torch.manual_seed(0)
    models = [SequenceModel("lstm", 2, 4, 1) for _ in range(2)]
    models[1].load_state_dict(models[0].state_dict())
    optimizers = [fused_adam(list(models[0].parameters()), 1e-2), torch.optim.Adam(models[1].parameters(), lr=1e-2)]
    x, lengths = torch.randn(7, 3, 2), torch.tensor([7, 5, 2])
    for _ in range(5):
        for model, optimizer in zip(models, optimizers):
            optimizer.zero_grad()
            model(x, lengths).pow(2).sum().backward()
            optimizer.step()
    for p_fused, p_plain in zip(models[0].parameters(), models[1].parameters()):
        torch.testing.assert_close(p_fused, p_plain, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- many runs as one (train_group)
from lstmlib.experiments import GroupRun, Member, MemberGroup, _streaks, evaluate_group, train_group  # noqa: E402


def test_member_names_what_it_expected_and_what_came():
    expected = "start must be one of ('orthogonal', 'identity') for cell='rnn'; got 'open'"
    with pytest.raises(ValueError, match=re.escape(expected)):
        Member("rnn", "open", 0, 1e-2)
    with pytest.raises(ValueError, match="cell must be 'lstm' or 'rnn'; got 'gru'"):
        Member("gru", "open", 0, 1e-2)
    with pytest.raises(ValueError, match="lr must be positive; got 0"):
        Member("lstm", "open", 0, 0)
    assert Member("rnn", "identity", 3, 1e-3).model == "RNN, identity, lr 0.001"


def test_starts_set_what_they_promise():
    task = adding_task(30)
    members = [Member("lstm", "open", 0, 1e-2), Member("lstm", "standard", 0, 1e-2)]
    lstm = MemberGroup(task, members, 4).rnn
    b = lstm.bias_ih.detach() + lstm.bias_hh.detach()
    assert (b[0, :4] == -3).all() and (b[0, 4:8] == 5).all()  # b_i, b_f of the gate-open start
    assert b[1, :8].abs().max() < 1  # PyTorch's init: |b| < 2/sqrt(H)
    torch.testing.assert_close(lstm.weight_hh[0], lstm.weight_hh[1])  # the same seed, the same draw otherwise
    rnn = MemberGroup(task, [Member("rnn", "orthogonal", 0, 1e-2), Member("rnn", "identity", 0, 1e-2)], 6).rnn
    W = rnn.weight_hh.detach()
    torch.testing.assert_close(W[0] @ W[0].T, torch.eye(6), atol=1e-5, rtol=0)
    torch.testing.assert_close(W[1], torch.eye(6))
    assert rnn.nonlinearity == ("tanh", "relu") and rnn.weight_ih[1].std() < 0.01
    assert (rnn.bias_ih == 0).all() and (rnn.bias_hh == 0).all()


def test_member_model_is_the_member():
    task = reber_task()
    group = MemberGroup(task, [Member("rnn", "orthogonal", 0, 1e-2), Member("rnn", "identity", 1, 1e-2)], 5)
    x, _, lengths = task.sample(6, 0)
    x, lengths = torch.from_numpy(x), torch.from_numpy(lengths)
    out = group(x.unsqueeze(1).expand(-1, 2, -1, -1).contiguous(), lengths.expand(2, -1))
    for s in range(2):
        torch.testing.assert_close(group.member_model(s)(x, lengths), out[:, s])


@pytest.mark.parametrize("ok_rows", [[[1, 1, 0, 1, 1], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]]])
def test_streaks_count_sequences_in_a_row_like_the_loop(ok_rows):
    ok = np.array(ok_rows, dtype=bool)
    before = np.array([7, 2, 9])
    expected = []
    for row, streak in zip(ok, before):
        out = []
        for good in row:
            streak = streak + 1 if good else 0
            out.append(streak)
        expected.append(out)
    np.testing.assert_array_equal(_streaks(ok, before), expected)


def test_group_members_train_as_if_alone_and_stop_alone():
    task = adding_task(30)
    members = [Member("lstm", "open", 0, 2e-2), Member("lstm", "standard", 1, 1e-2)]
    settings = LagSettings(hidden_size=3, batch_size=8, max_sequences=96, stop_after=None, log_every=32, test_n=16)
    group, run = train_group(task, members, settings, device="cpu")
    assert isinstance(run, GroupRun) and run.seen == [32, 64, 96] and run.sequences == [96, 96]
    for s, member in enumerate(members):
        alone, solo = train_group(task, [member], settings, device="cpu")
        np.testing.assert_allclose([row[s] for row in run.loss], [row[0] for row in solo.loss], rtol=1e-4)
        for p, q in zip(group.parameters(), alone.parameters()):
            torch.testing.assert_close(p[s], q[0], rtol=1e-4, atol=1e-5)
    assert run.test_loss == pytest.approx(evaluate_group(group, 16)[0])


def test_solved_members_stop_and_the_rest_train_on():
    task = _constant_task(True)
    members = [Member("rnn", "orthogonal", 0, 1e-2), Member("rnn", "identity", 0, 1e-2)]
    settings = LagSettings(hidden_size=3, batch_size=16, stop_after=100, max_sequences=1000, log_every=50, test_n=32)
    _, run = train_group(task, members, settings, device="cpu")
    assert run.solved_at == [100, 100] and run.sequences == [112, 112] and run.solved() == 2
    assert run.median_solved("RNN, identity, lr 0.01") == 100


def test_a_member_whose_loss_is_not_finite_stops_unsolved():
    base = _constant_task(True)
    task = dataclasses.replace(base, loss=lambda out, y, lengths: (out.squeeze(1) - y).mean() * float("nan"))
    members = [Member("rnn", "orthogonal", 0, 1e-2), Member("rnn", "identity", 0, 1e-2)]
    settings = LagSettings(hidden_size=3, batch_size=16, stop_after=100, max_sequences=1000, log_every=50, test_n=32)
    _, run = train_group(task, members, settings, device="cpu")
    assert run.solved_at == [None, None] and run.sequences == [16, 16]


def test_init_gate_biases_is_init_gate_bias_per_gate_and_refuses_what_it_cannot_set():
    from lstmlib.experiments import init_gate_biases
    from lstmlib.torch.variants import init_gate_bias

    torch.manual_seed(0)
    ours = init_gate_biases(torch.nn.LSTM(3, 5, num_layers=2), forget=5.0, input=-3.0)
    torch.manual_seed(0)
    theirs = init_gate_bias(init_gate_bias(torch.nn.LSTM(3, 5, num_layers=2), "forget", 5.0), "input", -3.0)
    for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
        torch.testing.assert_close(a, b, msg=name)
    with pytest.raises(TypeError, match="GRU"):
        init_gate_biases(torch.nn.GRU(3, 5), forget=1.0)
    with pytest.raises(ValueError, match="bias=False"):
        init_gate_biases(torch.nn.LSTM(3, 5, bias=False), input=-3.0)


@pytest.mark.parametrize("make", [lambda: adding_task(30), lambda: temporal_order_task(2), reber_task])
def test_members_at_once_equal_the_loop_over_members(make):
    task = make()
    assert task.members_at_once
    members = [Member("lstm", "open", 0, 2e-2), Member("lstm", "standard", 1, 1e-2), Member("lstm", "open", 2, 5e-3)]
    settings = LagSettings(hidden_size=3, batch_size=8, max_sequences=48, stop_after=None, log_every=16, test_n=16)
    fast_group, fast = train_group(task, members, settings, device="cpu")
    slow_group, slow = train_group(dataclasses.replace(task, members_at_once=False), members, settings, device="cpu")
    np.testing.assert_allclose(np.array(fast.loss), np.array(slow.loss), rtol=1e-5)
    np.testing.assert_array_equal(np.array(fast.rate), np.array(slow.rate))
    for p, q in zip(fast_group.parameters(), slow_group.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)
    fast_scores = evaluate_group(fast_group, 40, chunk=16)
    fast_group.task = dataclasses.replace(task, members_at_once=False)
    np.testing.assert_allclose(fast_scores, evaluate_group(fast_group, 40, chunk=16), rtol=1e-5)
    # the loss and the verdicts of S members at once are those of each member alone
    x, target, lengths = (torch.from_numpy(np.asarray(a)) for a in task.sample(6, 3))
    out = torch.randn(*((x.shape[0], 2, 6) if task.every_step else (2, 6)), task.output_size)
    both_t = torch.stack([target, target], 1 if task.every_step else 0)
    both_l = torch.stack([lengths, lengths])
    losses, verdicts = task.loss(out, both_t, both_l), task.correct(out, both_t, both_l)
    for s in range(2):
        alone = out[:, s] if task.every_step else out[s]
        torch.testing.assert_close(losses[s], task.loss(alone, target, lengths))
        torch.testing.assert_close(verdicts[s], task.correct(alone, target, lengths))
