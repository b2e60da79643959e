"""Automatic checks for the book's coding exercises.

In a chapter::

    from lstmlib.exercises import check
    check("lstm-forget-gate", my_forget_gate)

prints which case failed and what was expected, "not yet solved" for an unanswered stub, or that all
cases passed. Each chapter registers its exercises in ``lstmlib/exercises/chNN.py``.
"""

import importlib
import pkgutil

from ._core import EXERCISES, CheckResult, Exercise, check, register, run_check

# Register every chapter's exercises: each module chNN.py calls register() when imported.
for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("ch")):
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["check", "run_check", "register", "Exercise", "CheckResult", "EXERCISES"]
