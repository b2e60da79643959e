"""Shared helpers for the lstmlib.numpy tests: run torch.nn on the same weights as a NumPy model."""

import numpy as np
import torch

from lstmlib.numpy import GRU, LSTM, RNN

TORCH_CLASSES = {RNN: torch.nn.RNN, LSTM: torch.nn.LSTM, GRU: torch.nn.GRU}


def random_inputs(model, T, B, seed=0, with_state=True):
    """x in the model's layout and, optionally, a random initial state."""
    rng = np.random.default_rng(seed)
    shape = (B, T, model.input_size) if model.batch_first else (T, B, model.input_size)
    x = rng.standard_normal(shape).astype(model.dtype)
    if not with_state:
        return x, None

    def s():
        return (0.5 * rng.standard_normal((model.num_layers, B, model.hidden_size))).astype(model.dtype)

    state = (s(), s()) if model.has_cell else s()
    return x, state


def random_upstream(output, final, seed=1):
    rng = np.random.default_rng(seed)
    d_output = rng.standard_normal(output.shape).astype(output.dtype)
    if isinstance(final, tuple):
        d_state = tuple(rng.standard_normal(f.shape).astype(f.dtype) for f in final)
    else:
        d_state = rng.standard_normal(final.shape).astype(final.dtype)
    return d_output, d_state


def torch_reference(model, x, state, d_output, d_state):
    """Forward and backward through torch.nn with the NumPy model's weights.

    Returns dict with output, final (tuple of arrays), dx, dstate (tuple or None), grads.
    """
    tdtype = torch.float64 if model.dtype == np.float64 else torch.float32
    ref = TORCH_CLASSES[type(model)](
        model.input_size, model.hidden_size, num_layers=model.num_layers, batch_first=model.batch_first
    ).to(tdtype)
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    xt = torch.tensor(x, requires_grad=True)
    states = (
        None
        if state is None
        else [torch.tensor(s, requires_grad=True) for s in (state if isinstance(state, tuple) else (state,))]
    )
    st = None if states is None else (tuple(states) if len(states) == 2 else states[0])
    out, final = ref(xt, st)
    finals = final if isinstance(final, tuple) else (final,)
    d_finals = d_state if isinstance(d_state, tuple) else (d_state,)
    loss = (out * torch.from_numpy(d_output)).sum() + sum(
        (f * torch.from_numpy(d)).sum() for f, d in zip(finals, d_finals)
    )
    loss.backward()
    return dict(
        output=out.detach().numpy(),
        final=tuple(f.detach().numpy() for f in finals),
        dx=xt.grad.numpy(),
        dstate=None if states is None else tuple(s.grad.numpy() for s in states),
        grads={k: p.grad.numpy() for k, p in ref.named_parameters()},
    )
