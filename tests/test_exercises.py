"""Every coding exercise's check accepts its reference, rejects plausible mistakes, and reports stubs."""

import pytest

from lstmlib.exercises import EXERCISES, run_check

NAMES = sorted(EXERCISES)


def test_exercises_are_registered():
    assert "time-first" in EXERCISES


@pytest.mark.parametrize("name", NAMES)
def test_reference_passes(name):
    result = run_check(name, EXERCISES[name].reference)
    assert result.passed, result.message
    assert result.total_cases >= 2, "an exercise needs at least two cases"


@pytest.mark.parametrize("name", NAMES)
def test_stub_reports_not_solved(name):
    def stub(*args, **kwargs):
        raise NotImplementedError("exercise")

    result = run_check(name, stub)
    assert result.status == "not solved"
    assert "not yet solved" in result.message


@pytest.mark.parametrize("name", NAMES)
def test_plausible_wrong_answers_fail(name):
    wrong = EXERCISES[name].wrong_answers
    assert wrong, f"exercise {name!r} lists no plausible wrong answer to test its check against"
    for answer in wrong:
        result = run_check(name, answer)
        assert result.status == "failed", f"{name}: a wrong answer passed"
        assert "case" in result.message


def test_unknown_exercise_names_the_known_ones():
    with pytest.raises(KeyError, match="time-first"):
        run_check("no-such-exercise", lambda: None)


def test_non_callable_answer_is_a_type_error():
    with pytest.raises(TypeError, match="needs a function"):
        run_check("time-first", 42)
