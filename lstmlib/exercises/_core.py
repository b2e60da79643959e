"""The machinery behind ``check``: exercises, their cases, and the comparison of answers.

An exercise is registered once, in the module of its chapter (``lstmlib/exercises/chNN.py``), with

- a ``reference`` solution (the function a correct answer behaves like),
- ``cases``: a function returning a list of ``(description, args)`` pairs, deterministic,
- ``wrong_answers``: plausible mistakes, which the test suite proves the check rejects.

``check(name, answer)`` runs the answer on every case and compares it with the reference: it reports
the first failing case with what was expected and what came, "not yet solved" for an answer that
still raises ``NotImplementedError`` (the stub of a student notebook), and success otherwise.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Exercise", "CheckResult", "register", "check", "run_check", "EXERCISES"]


@dataclass(frozen=True)
class Exercise:
    name: str  # the id a chapter passes to check(), e.g. "lstm-forget-gate"
    reference: Callable  # the correct behaviour
    cases: Callable[[], list]  # () -> [(description, args_tuple), ...], deterministic
    wrong_answers: tuple = ()  # plausible mistakes the check must reject (tested)
    rtol: float = 1e-6  # relative tolerance of the comparison
    atol: float = 1e-8  # absolute tolerance of the comparison
    hint: str = ""  # one line shown when a case fails


@dataclass
class CheckResult:
    name: str  # exercise id
    status: str  # "passed", "failed" or "not solved"
    passed_cases: int = 0  # how many cases passed before the first failure
    total_cases: int = 0  # how many cases there are
    message: str = ""  # what a student reads
    details: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


EXERCISES: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    """Add an exercise to the registry; names are unique."""
    if exercise.name in EXERCISES:
        raise ValueError(f"exercise {exercise.name!r} is registered twice")
    EXERCISES[exercise.name] = exercise
    return exercise


def _to_numpy(value):
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        return value.detach().cpu().numpy()
    return value


def _describe(value) -> str:
    value = _to_numpy(value)
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=4, suppress_small=True, threshold=12)
        return f"array of shape {value.shape}, dtype {value.dtype}: {text}"
    return repr(value)


def _compare(expected, got, rtol, atol, where="answer"):
    """Return None if ``got`` matches ``expected``, else a sentence saying how it differs."""
    expected, got = _to_numpy(expected), _to_numpy(got)
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"{where}: expected a sequence of {len(expected)} values, got {_describe(got)}"
        for k, (e, g) in enumerate(zip(expected, got)):
            problem = _compare(e, g, rtol, atol, f"{where}[{k}]")
            if problem:
                return problem
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            return f"{where}: expected a dict with keys {sorted(expected)}, got {_describe(got)}"
        for key in expected:
            problem = _compare(expected[key], got[key], rtol, atol, f"{where}[{key!r}]")
            if problem:
                return problem
        return None
    if isinstance(expected, (np.ndarray, float, int, np.floating, np.integer)) and not isinstance(expected, bool):
        if got is None:
            return f"{where}: expected {_describe(expected)}, got None (did you forget to return?)"
        got_arr = np.asarray(got)
        exp_arr = np.asarray(expected)
        if got_arr.shape != exp_arr.shape:
            return f"{where}: expected shape {exp_arr.shape}, got shape {got_arr.shape}"
        if not np.issubdtype(got_arr.dtype, np.number):
            return f"{where}: expected numbers, got dtype {got_arr.dtype}"
        if not np.allclose(got_arr, exp_arr, rtol=rtol, atol=atol):
            worst = np.unravel_index(np.argmax(np.abs(got_arr - exp_arr)), exp_arr.shape) if exp_arr.shape else ()
            return (
                f"{where}: values differ (largest difference at index {tuple(int(i) for i in worst)}: "
                f"expected {exp_arr[worst]:.6g}, got {got_arr[worst]:.6g})\n"
                f"  expected {_describe(exp_arr)}\n  got      {_describe(got_arr)}"
            )
        return None
    if expected != got:
        return f"{where}: expected {_describe(expected)}, got {_describe(got)}"
    return None


def run_check(name: str, answer: Callable) -> CheckResult:
    """Run ``answer`` on every case of exercise ``name``; return what happened (prints nothing)."""
    if name not in EXERCISES:
        known = ", ".join(sorted(EXERCISES)) or "none"
        raise KeyError(f"no exercise named {name!r}; known exercises: {known}")
    if not callable(answer):
        raise TypeError(f"check({name!r}, answer) needs a function as answer, got {type(answer).__name__}")
    ex = EXERCISES[name]
    cases = ex.cases()
    for k, (description, args) in enumerate(cases):
        expected = ex.reference(*args)
        try:
            got = answer(*args)
        except NotImplementedError:
            return CheckResult(
                name,
                "not solved",
                k,
                len(cases),
                f"{name}: not yet solved — replace the `raise NotImplementedError` with your answer.",
            )
        except Exception as error:  # the student's code raised: say where, but do not crash the notebook
            last = traceback.extract_tb(error.__traceback__)[-1]
            return CheckResult(
                name,
                "failed",
                k,
                len(cases),
                f"{name}: case {k + 1}/{len(cases)} ({description}) raised "
                f"{type(error).__name__}: {error} (line {last.lineno})",
            )
        problem = _compare(expected, got, ex.rtol, ex.atol)
        if problem:
            hint = f"\n  hint: {ex.hint}" if ex.hint else ""
            return CheckResult(
                name,
                "failed",
                k,
                len(cases),
                f"{name}: case {k + 1}/{len(cases)} failed ({description})\n  {problem}{hint}",
            )
    return CheckResult(name, "passed", len(cases), len(cases), f"{name}: all {len(cases)} cases passed.")


def check(name: str, answer: Callable) -> None:
    """Check a student's answer to exercise ``name`` and print specific feedback."""
    result = run_check(name, answer)
    mark = {"passed": "✓", "failed": "✗", "not solved": "…"}[result.status]
    print(f"{mark} {result.message}")
