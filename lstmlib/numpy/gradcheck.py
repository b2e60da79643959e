"""Finite-difference gradient checks: the proof that a backward pass is right.

For a function f with upstream gradient df (the gradient of some loss with respect to f's output),
the gradient with respect to an input x is, by centred differences,

    ∂L/∂x_k ≈ Σ [(f(x + h e_k) − f(x − h e_k)) ⊙ df] / (2h),

accurate to O(h²). Use float64 and small sizes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._validate import Array


def rel_error(x: Array, y: Array, normwise: bool = False) -> float:
    """Maximum relative error max |x − y| / max(1e-8, |x| + |y|), elementwise.

    With ``normwise=True``, max |x − y| / max(1e-8, max(|x| + |y|)): the error relative to the size of
    the array as a whole. Entries far smaller than the rest (a gradient of 1e-8 beside entries of 1)
    then no longer dominate: their elementwise relative error measures the finite difference's
    rounding (about 1e-12 absolute with h = 1e-5), not the backward pass.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if not x.size:
        return 0.0
    if normwise:
        return float(np.max(np.abs(x - y)) / max(1e-8, float(np.max(np.abs(x) + np.abs(y)))))
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def numerical_gradient_array(f: Callable, x: Array, df, h: float = 1e-5) -> Array:
    """Centred-difference gradient of ⟨f(x), df⟩ with respect to the array x (changed in place, restored).

    Args:
        f: function of x returning an array shaped like df (or a tuple of arrays, then df a tuple).
        x: float64 array; perturbed element by element.
        df: upstream gradient.
        h: step.
    Returns:
        an array shaped like x.
    """
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        pos = _dot(f(x), df)
        x[ix] = old - h
        neg = _dot(f(x), df)
        x[ix] = old
        grad[ix] = (pos - neg) / (2 * h)
        it.iternext()
    return grad


def _dot(out, dout):
    if isinstance(out, (tuple, list)):
        return sum(_dot(o, d) for o, d in zip(out, dout) if d is not None)
    return float(np.sum(out * dout))


def check_gradients(
    f: Callable, inputs: list, analytic: list, douts, h: float = 1e-5, normwise: bool = False
) -> list[float | None]:
    """Relative error of each analytic gradient against centred differences.

    Args:
        f: function f(*inputs) returning an array or a tuple of arrays (the outputs).
        inputs: list of float64 arrays.
        analytic: list of gradients aligned with ``inputs`` (None to skip an input).
        douts: the upstream gradient(s) used to compute ``analytic``, shaped like f's output(s).
        h: the finite-difference step.
        normwise: measure each error relative to the gradient array's size (see ``rel_error``).
    Returns:
        list of relative errors (None where skipped).
    """
    errors = []
    for k, (x, g) in enumerate(zip(inputs, analytic)):
        if g is None:
            errors.append(None)
            continue

        def f_k(xk, k=k):
            args = list(inputs)
            args[k] = xk
            return f(*args)

        errors.append(rel_error(g, numerical_gradient_array(f_k, x, douts, h), normwise))
    return errors


def check_module_gradients(
    module, x: Array, state=None, seed: int = 0, h: float = 1e-5, normwise: bool = False
) -> dict[str, float]:
    """Check a layer's ``backward`` (RNN, LSTM, GRU, Linear, MLP) against centred differences.

    Runs forward, then backward with a random upstream gradient for the output (and the final
    state, for recurrent layers), and compares dx, the initial state's gradient and every
    parameter gradient with numerical ones. ``normwise`` as in ``rel_error``.

    Returns:
        dict name -> relative error, with keys "x", "state" (or "state.h", "state.c") and each parameter.
    """
    rng = np.random.default_rng(seed)
    from ._recurrent import RecurrentBase

    recurrent = isinstance(module, RecurrentBase)

    def run(x_, state_):
        return module.forward(x_, state_) if recurrent else module.forward(x_)

    out = run(x, state)
    if recurrent:
        output, final = out
        finals = list(final) if isinstance(final, tuple) else [final]
        d_output = rng.standard_normal(output.shape)
        d_finals = [rng.standard_normal(s.shape) for s in finals]
        d_state = tuple(d_finals) if isinstance(final, tuple) else d_finals[0]
        grads_in = module.backward(d_output, d_state)
        douts = [d_output] + d_finals

        def loss_parts(x_, state_):
            o, fin = run(x_, state_)
            return [o] + (list(fin) if isinstance(fin, tuple) else [fin])
    else:
        d_output = rng.standard_normal(out.shape)
        grads_in = module.backward(d_output)
        douts = d_output

        def loss_parts(x_, state_):
            return run(x_, state_)

    if state is None:
        dx, d_state0 = grads_in, None
    else:
        dx, d_state0 = grads_in
    analytic_params = {k: v.copy() for k, v in module.grads.items()}
    errors = {"x": rel_error(dx, numerical_gradient_array(lambda x_: loss_parts(x_, state), x, douts, h), normwise)}
    if state is not None:
        states = list(state) if isinstance(state, tuple) else [state]
        d_states = list(d_state0) if isinstance(d_state0, tuple) else [d_state0]
        names = ["state.h", "state.c"] if len(states) == 2 else ["state"]
        for j, (s, ds, name) in enumerate(zip(states, d_states, names)):

            def f_s(s_, j=j):
                st = list(states)
                st[j] = s_
                return loss_parts(x, tuple(st) if len(st) == 2 else st[0])

            errors[name] = rel_error(ds, numerical_gradient_array(f_s, s, douts, h), normwise)
    for name, p in module.params.items():
        errors[name] = rel_error(
            analytic_params[name], numerical_gradient_array(lambda p_: loss_parts(x, state), p, douts, h), normwise
        )
    return errors
