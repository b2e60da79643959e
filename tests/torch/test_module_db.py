"""A true drop-in for torch.nn: PyTorch's own module test samples for nn.RNN, nn.GRU and nn.LSTM.

Every sample of ``torch.testing._internal.common_modules.module_db`` (unbatched 2-D input, 2 layers,
bidirectional, batch_first, bias=False, relu, the LSTM's proj_size, with and without initial states):
our module, with torch.nn's state_dict loaded, gives the same output, final states and gradients (input,
initial states, every parameter) at float64 to 1e-9, on each path (fast, the readable loop, fused).
PyTorch's error samples (``module_error_inputs_func``) are refused by ours with the same exception type.
PackedSequence input (varied lengths, enforce_sorted True and False) is compared the same way.
"""

import pytest
import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence
from torch.testing._internal.common_modules import ModuleErrorEnum, module_db

import lstmlib.torch as lt

# Importing PyTorch's test internals freezes torch.backends' flags for the whole process;
# tests/conftest.py sets them inside torch's context manager that allows it.

OURS = {torch.nn.RNN: lt.RNN, torch.nn.GRU: lt.GRU, torch.nn.LSTM: lt.LSTM}
PATHS = {"fast": {}, "loop": {"fast": False}, "fused": {"fused": True}}
TOL = 1e-9


def _infos():
    return [info for info in module_db if info.module_cls in OURS]


def _describe(cls, kwargs, args):
    flags = [f"L{kwargs.get('num_layers', 1)}", f"H{kwargs.get('hidden_size', args[1] if len(args) > 1 else '?')}"]
    if kwargs.get("bidirectional"):
        flags.append("bidir")
    if kwargs.get("batch_first"):
        flags.append("batch_first")
    if kwargs.get("bias") is False:
        flags.append("nobias")
    if kwargs.get("nonlinearity") == "relu":
        flags.append("relu")
    if kwargs.get("proj_size"):
        flags.append(f"proj{kwargs['proj_size']}")
    return f"{cls.__name__}-" + "-".join(flags)


def _samples():
    cases = []
    for info in _infos():
        samples = info.module_inputs_func(info, device="cpu", dtype=torch.float64, requires_grad=True, training=True)
        seen = {}
        for sample in samples:
            ci, fi = sample.constructor_input, sample.forward_input
            shapes = "x" + "x".join(str(s) for s in fi.args[0].shape)
            name = f"{_describe(info.module_cls, ci.kwargs, ci.args)}-{shapes}" + ("-state" if len(fi.args) > 1 else "")
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                name += f"-{seen[name]}"
            for path in PATHS:
                cases.append(pytest.param(info.module_cls, sample, path, id=f"{name}-{path}"))
    return cases


def _error_samples():
    cases = []
    for info in _infos():
        errors = info.module_error_inputs_func(
            info, device="cpu", dtype=torch.float64, requires_grad=True, training=True
        )
        for k, error in enumerate(errors):
            ci = error.module_error_input.constructor_input
            text = ",".join([repr(a) for a in ci.args] + [f"{key}={value!r}" for key, value in ci.kwargs.items()])
            when = "construct" if error.error_on == ModuleErrorEnum.CONSTRUCTION_ERROR else "forward"
            cases.append(pytest.param(info.module_cls, error, id=f"{info.module_cls.__name__}-{k}-{when}({text})"))
    return cases


def _fresh(value):
    """A leaf copy of a forward argument (tensor, tuple of tensors, PackedSequence), keeping requires_grad."""
    if isinstance(value, PackedSequence):
        return PackedSequence(_fresh(value.data), value.batch_sizes, value.sorted_indices, value.unsorted_indices)
    if isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_(value.requires_grad)
    if isinstance(value, tuple):
        return tuple(_fresh(v) for v in value)
    return value


def _leaves(value):
    if isinstance(value, torch.Tensor):
        return [value] if value.requires_grad else []
    if isinstance(value, tuple):
        return [leaf for v in value for leaf in _leaves(v)]
    return []


def _run(model, args):
    """Output, final states and the gradients of a loss on both, for every input and parameter."""
    args = tuple(_fresh(a) for a in args)
    output, state = model(*args)
    states = state if isinstance(state, tuple) else (state,)
    data = output.data if isinstance(output, PackedSequence) else output
    g = torch.Generator().manual_seed(0)
    loss = (data * torch.randn(data.shape, generator=g, dtype=data.dtype)).sum()
    loss = loss + sum((s * torch.randn(s.shape, generator=g, dtype=s.dtype)).sum() for s in states)
    inputs = [leaf for a in args for leaf in _leaves(a if not isinstance(a, PackedSequence) else a.data)]
    names = [f"input{k}" for k in range(len(inputs))] + [n for n, _ in model.named_parameters()]
    grads = torch.autograd.grad(loss, inputs + list(model.parameters()))
    return output, states, dict(zip(names, grads, strict=True))


def _assert_same(ours, ref):
    (out, states, grads), (out_ref, states_ref, grads_ref) = ours, ref
    assert type(out) is type(out_ref)
    if isinstance(out, PackedSequence):
        assert torch.equal(out.batch_sizes, out_ref.batch_sizes)
        for a, b in ((out.sorted_indices, out_ref.sorted_indices), (out.unsorted_indices, out_ref.unsorted_indices)):
            assert (a is None and b is None) or torch.equal(a, b)
        out, out_ref = out.data, out_ref.data
    assert out.shape == out_ref.shape
    torch.testing.assert_close(out, out_ref, rtol=TOL, atol=TOL)
    assert len(states) == len(states_ref)
    for s, s_ref in zip(states, states_ref, strict=True):
        assert s.shape == s_ref.shape
        torch.testing.assert_close(s, s_ref, rtol=TOL, atol=TOL)
    assert list(grads) == list(grads_ref)
    for name in grads:
        torch.testing.assert_close(grads[name], grads_ref[name], rtol=TOL, atol=TOL, msg=lambda m, n=name: f"d{n}: {m}")


def _pair(ref_cls, args, kwargs, path):
    torch.manual_seed(0)
    ref = ref_cls(*args, **kwargs).double()
    ours = OURS[ref_cls](*args, **kwargs, **PATHS[path]).double()
    ours.load_state_dict(ref.state_dict())
    return ours.eval(), ref.eval()  # the samples have dropout 0; eval makes that certain


@pytest.mark.parametrize("ref_cls, sample, path", _samples())
def test_same_as_torch_nn_on_pytorch_samples(ref_cls, sample, path):
    ci, fi = sample.constructor_input, sample.forward_input
    ours, ref = _pair(ref_cls, ci.args, ci.kwargs, path)
    _assert_same(_run(ours, fi.args), _run(ref, fi.args))


def test_the_samples_cover_what_the_issue_names():
    """Not vacuous: the samples include unbatched input, given states, proj_size, bidirectional, relu ..."""
    samples = [case.values[1] for case in _samples()]
    kwargs = [s.constructor_input.kwargs for s in samples]
    assert len(samples) >= 3 * 80
    assert any(s.forward_input.args[0].dim() == 2 for s in samples)
    assert any(len(s.forward_input.args) == 2 for s in samples)
    for key, value in [("proj_size", 2), ("bidirectional", True), ("batch_first", True), ("bias", False)]:
        assert any(k.get(key) == value for k in kwargs), key
    assert any(k.get("nonlinearity") == "relu" for k in kwargs)
    assert any(k.get("num_layers") == 2 for k in kwargs)


@pytest.mark.parametrize("ref_cls, error", _error_samples())
def test_refuses_what_torch_nn_refuses(ref_cls, error):
    """Each of PyTorch's error samples raises, in ours, the exception type torch.nn raises, with our message."""
    mi = error.module_error_input
    ci, fi = mi.constructor_input, mi.forward_input
    ours_cls = OURS[ref_cls]
    with pytest.raises(error.error_type) as caught:
        model = ours_cls(*ci.args, **ci.kwargs)
        assert error.error_on == ModuleErrorEnum.FORWARD_ERROR, "construction should have failed"
        model(*fi.args, **fi.kwargs)
    message = str(caught.value)
    assert "got" in message  # names what came (and what was expected)
    # and torch.nn refuses it as well (the sample is an error)
    with pytest.raises(error.error_type):
        model = ref_cls(*ci.args, **ci.kwargs)
        model(*fi.args, **fi.kwargs)


# ----------------------------------------------------------------------------- PackedSequence
PACKED = [
    (torch.nn.RNN, {"num_layers": 2, "bidirectional": True}),
    (torch.nn.RNN, {"nonlinearity": "relu", "bias": False}),
    (torch.nn.GRU, {"num_layers": 2, "bidirectional": True}),
    (torch.nn.LSTM, {"num_layers": 2, "bidirectional": True}),
    (torch.nn.LSTM, {"num_layers": 2, "bidirectional": True, "proj_size": 2}),
    (torch.nn.LSTM, {"batch_first": True}),
]


@pytest.mark.parametrize("with_state", [False, True], ids=["zeros", "state"])
@pytest.mark.parametrize("enforce_sorted", [True, False], ids=["sorted", "unsorted"])
@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("ref_cls, kwargs", PACKED, ids=[_describe(c, k, (3, 4)) for c, k in PACKED])
def test_packed_sequence_same_as_torch_nn(ref_cls, kwargs, path, enforce_sorted, with_state):
    """Varied lengths: each sequence's final state at its own length, the reverse pass from its own end."""
    D, H = 3, 4
    ours, ref = _pair(ref_cls, (D, H), kwargs, path)
    lengths = [6, 4, 4, 3, 1] if enforce_sorted else [3, 6, 1, 4, 4]
    T, B = max(lengths), len(lengths)
    g = torch.Generator().manual_seed(1)
    batch_first = kwargs.get("batch_first", False)
    x = torch.randn((B, T, D) if batch_first else (T, B, D), generator=g, dtype=torch.float64)
    packed = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    packed = PackedSequence(
        packed.data.requires_grad_(), packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices
    )
    args = (packed,)
    if with_state:
        layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
        sizes = [kwargs.get("proj_size") or H, H] if ref_cls is torch.nn.LSTM else [H]
        states = tuple(torch.randn(layers, B, s, generator=g, dtype=torch.float64).requires_grad_() for s in sizes)
        args = (packed, states if ref_cls is torch.nn.LSTM else states[0])
    _assert_same(_run(ours, args), _run(ref, args))


def test_packed_output_unpacks_to_zeros_past_each_length():
    torch.manual_seed(0)
    model = lt.LSTM(2, 3, bidirectional=True).double()
    lengths = [2, 5, 3]
    x = torch.randn(5, 3, 2, dtype=torch.float64)
    output, _ = model(pack_padded_sequence(x, lengths, enforce_sorted=False))
    padded, got_lengths = pad_packed_sequence(output)
    assert got_lengths.tolist() == lengths and padded.shape == (5, 3, 6)
    for b, length in enumerate(lengths):
        assert padded[length:, b].abs().sum() == 0 and padded[:length, b].abs().min() > 0
